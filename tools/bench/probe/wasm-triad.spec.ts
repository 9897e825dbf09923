// Both WebAssembly triads against the JavaScript triad on random data: the same bits (one multiply and one add per
// element, rounded the same way), at every offset and even length fast-check draws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { triad } from './triad';
import { wasmTriad, wasmTriadBytes } from './wasm-triad';

const SEED = 11;
const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });

test('triad and triadSimd write exactly b + s·c into a, and nothing else', () => {
  const w = wasmTriad(3 * 64 * 8 + 64);
  const mem = new Float64Array(w.memory.buffer);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 32 }).map((h) => 2 * h), finite, fc.boolean(), fc.integer({ min: 0, max: 4 }), (n, s, simd, shift) => {
      // a, b, c at 16-byte aligned offsets (element offsets multiple of 2), a guard element after a
      const a0 = 2 * shift;
      const b0 = a0 + 66;
      const c0 = b0 + 66;
      for (let i = 0; i < mem.length; i++) mem[i] = Math.sin(i + n + s);
      const before = Float64Array.from(mem);
      const b = mem.slice(b0, b0 + n);
      const c = mem.slice(c0, c0 + n);
      const expected = new Float64Array(n);
      triad(expected, b, c, s);
      (simd ? w.triadSimd : w.triad)(a0 * 8, b0 * 8, c0 * 8, n, s);
      for (let i = 0; i < mem.length; i++) {
        if (i >= a0 && i < a0 + n) assert.equal(mem[i], expected[i - a0]);
        else assert.equal(mem[i], before[i]);
      }
    }),
    { seed: SEED, numRuns: 60 },
  );
});

test('the JavaScript triad refuses arrays of different lengths', () => {
  assert.throws(() => triad(new Float64Array(3), new Float64Array(3), new Float64Array(2), 1), /triad: lengths 3, 3, 2 differ/);
});

test('memory sizes outside 1…65,536 pages are refused', () => {
  assert.throws(() => wasmTriadBytes(0), /wasmTriadBytes: pages must be an integer in 1…65536, received 0/);
});
