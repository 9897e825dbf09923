// The WebAssembly SIMD kernels against their JavaScript twins: the same bits (not merely close), on random shapes,
// including odd column counts and row counts that leave remainders of the two- and four-row passes. Also: the
// committed binary is the compilation of the committed .wat source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import wabtInit from 'wabt';
import { gemvRows, gemvRowsT } from '../gemv';
import { matrix } from '../matrix';
import { SimdArena, simdAvailable } from './simd-arena';
import { WASM_BASE64 } from './simd-kernels-binary';

const sameBits = (a: Float64Array, b: Float64Array) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `entry ${i}: ${a[i]} vs ${b[i]}`);
};

const shape = fc.record({
  rows: fc.integer({ min: 1, max: 12 }),
  cols: fc.integer({ min: 1, max: 11 }),
  m: fc.integer({ min: 0, max: 13 }),
  seed: fc.integer({ min: 1, max: 1e6 }),
});

/** Deterministic values in [-2, 2] with varied exponents, so reordering would change the bits. */
function fill(a: Float64Array, seed: number): void {
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (s * 16807) % 2147483647;
    a[i] = ((s / 2147483647) * 4 - 2) * 10 ** ((s % 7) - 3);
  }
}

test('SIMD is available on this runtime (Node 20 has WebAssembly SIMD)', () => {
  assert.equal(simdAvailable(), process.env.BILEVEL_KERNELS !== 'js');
});

test('gemvRows and gemvRowsT in SIMD give the bits of the JavaScript kernels', () => {
  fc.assert(
    fc.property(shape, ({ rows, cols, m, seed }) => {
      const arena = new SimdArena(SimdArena.bytesFor({ f64: [rows * cols, cols, m, m, cols, cols, cols, m, m], i32: [m] }));
      const A = matrix(rows, cols, arena.f64(rows * cols));
      fill(A.data, seed);
      const idx = arena.i32(m);
      for (let k = 0; k < m; k++) idx[k] = (k * 7 + seed) % rows;
      const x = arena.f64(cols);
      fill(x, seed + 1);
      const out = arena.f64(m);
      const ref = new Float64Array(m);
      gemvRows(A, Int32Array.from(idx), Float64Array.from(x), ref);
      arena.gemvRows(A, idx, m, x, out);
      sameBits(out, ref);
      const y = arena.f64(cols);
      fill(y, seed + 4);
      const refY = new Float64Array(m);
      gemvRows(A, Int32Array.from(idx), Float64Array.from(y), refY);
      const out2 = arena.f64(m);
      const outY = arena.f64(m);
      arena.gemvRows2(A, idx, m, x, out2, y, outY);
      sameBits(out2, ref);
      sameBits(outY, refY);
      const w = arena.f64(m);
      fill(w, seed + 2);
      const acc = arena.f64(cols);
      fill(acc, seed + 3);
      const accRef = Float64Array.from(acc);
      gemvRowsT(0.75, A, Int32Array.from(idx), Float64Array.from(w), 1, accRef);
      arena.gemvRowsT(0.75, A, idx, m, w, acc);
      sameBits(acc, accRef);
    }),
    { seed: 7, numRuns: 300 },
  );
});

test('the arena refuses to overflow and knows its views', () => {
  const arena = new SimdArena(100);
  const a = arena.f64(8);
  assert.ok(arena.holds(a));
  assert.ok(!arena.holds(new Float64Array(8)));
  assert.throws(() => arena.f64(1e6), /out of space/);
  assert.equal(a.byteOffset % 16, 0);
  const b = arena.u8(3);
  const c = arena.f64(2);
  assert.equal(c.byteOffset % 16, 0, 'f64 arrays stay 16-byte aligned after odd-sized ones');
  assert.ok(b.byteOffset < c.byteOffset);
});

test('a prefaulted arena holds zeros and has its pages mapped already: writing every page faults (almost) none', () => {
  const bytes = 16 << 20;
  const arena = new SimdArena(bytes, { prefault: true });
  const all = arena.u8(bytes - 64 * 1024);
  assert.ok(all.every((b) => b === 0), 'the prefault wrote zeros only');
  const before = process.resourceUsage().minorPageFault;
  for (let at = 0; at < all.length; at += 4096) all[at] = 7;
  const faults = process.resourceUsage().minorPageFault - before;
  // without the prefault: one fault per 4 KiB page (~4,000) unless the kernel backs the memory with huge pages
  assert.ok(faults < all.length / 4096 / 8, `${faults} page faults writing ${all.length / 4096} pages`);
});

test('the committed binary is the compilation of simd-kernels.wat', async () => {
  const wabt = await wabtInit();
  const src = readFileSync(fileURLToPath(new URL('./simd-kernels.wat', import.meta.url)), 'utf8');
  const mod = wabt.parseWat('simd-kernels.wat', src, { simd: true });
  const { buffer } = mod.toBinary({});
  mod.destroy();
  assert.equal(Buffer.from(buffer).toString('base64'), WASM_BASE64, 'run `npm run build:wasm` after editing the .wat');
});
