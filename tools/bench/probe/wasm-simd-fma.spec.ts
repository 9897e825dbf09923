// The hand-assembled SIMD probe against the same recursion in JavaScript: the same bits, since f64x2.mul then
// f64x2.add round exactly like a JavaScript multiply then add (no fused multiply-add on either side).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { wasmSimdFma, wasmSimdFmaBytes, wasmSimdFmaReference } from './wasm-simd-fma';

const SEED = 7;

test('the module starts with the WebAssembly header (magic \\0asm, version 1)', () => {
  assert.deepEqual([...wasmSimdFmaBytes(12, 2).subarray(0, 8)], [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
});

test('run(n) returns exactly the JavaScript recursion for any accumulators, unroll and n', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 300 }), (A, unroll, n) => {
      const probe = wasmSimdFma(A, unroll);
      assert.equal(probe.run(n), wasmSimdFmaReference(A, unroll, n));
      assert.equal(probe.flopsPerIter, 4 * A * unroll);
    }),
    { seed: SEED, numRuns: 40 },
  );
});

test('run(0) is the lane sum of the starting accumulators, 2·Σ(1 + i/16)', () => {
  assert.equal(wasmSimdFma(12, 2).run(0), 2 * Array.from({ length: 12 }, (_, i) => 1 + i / 16).reduce((a, b) => a + b, 0));
});

test('bad shapes are refused with the function, the field and the value', () => {
  assert.throws(() => wasmSimdFmaBytes(0, 2), /wasmSimdFmaBytes: accumulators must be an integer in 1…64, received 0/);
  assert.throws(() => wasmSimdFmaBytes(4, 17), /wasmSimdFmaBytes: unroll must be an integer in 1…16, received 17/);
});
