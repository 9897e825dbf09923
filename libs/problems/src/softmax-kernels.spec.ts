// The sparse-pixel layout and the softmax kernels against dense float64 reference computations written out here:
// standardization moments, logits A_B z, gradient accumulation A_Bᵀ W, softmax and its Hessian product.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '@bilevel/linalg';
import { denseRow, pixelRows, pixelScaling } from './pixel-rows';
import { batchGradient, batchLogits, foldScaling, softmaxHessianRows, softmaxRows } from './softmax-kernels';

/** Sums of at most a few hundred O(1–100) products: 1e-12 relative covers their rounding. */
const REL = 1e-12;

function close(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= REL * Math.max(1, scale);
}

/** Random images with many zero pixels, `rows × cols` bytes. */
function images(rng: Rng, rows: number, cols: number): Uint8Array {
  return Uint8Array.from({ length: rows * cols }, () => (rng.float() < 0.5 ? 0 : rng.int(1, 255)));
}

test('pixelRows stores the non-zero pixels of the selected rows, in order', () => {
  const px = Uint8Array.of(0, 3, 0, 7, /* row 1 */ 0, 0, 0, 0, /* row 2 */ 255, 1, 2, 0);
  const X = pixelRows(px, 4, [2, 1, 0]);
  assert.equal(X.rows, 3);
  assert.deepEqual(Array.from(X.rowStart), [0, 3, 3, 5]);
  assert.deepEqual(Array.from(X.pixel), [0, 1, 2, 1, 3]);
  assert.deepEqual(Array.from(X.value), [255, 1, 2, 3, 7]);
  assert.throws(() => pixelRows(px, 4, [3]), /selects image 3, expected 0\.\.2/);
  assert.throws(() => pixelRows(px, 0, [0]), /cols must be an integer in 1\.\.65536/);
});

test('pixelScaling: population mean and std per pixel; a constant pixel is only centred (scale 1)', () => {
  const rng = Rng.fromSeed(4);
  const rows = 37;
  const cols = 6;
  const px = images(rng, rows, cols);
  for (let i = 0; i < rows; i++) px[i * cols + 5] = 9; // constant non-zero pixel
  const s = pixelScaling(pixelRows(px, cols, Int32Array.from({ length: rows }, (_, i) => i)));
  for (let p = 0; p < cols; p++) {
    let m = 0;
    for (let i = 0; i < rows; i++) m += px[i * cols + p];
    m /= rows;
    let v = 0;
    for (let i = 0; i < rows; i++) v += (px[i * cols + p] - m) ** 2;
    const std = Math.sqrt(v / rows);
    assert.ok(close(s.mean[p], m, m), `mean of pixel ${p}`);
    assert.ok(close(s.invStd[p], std > 0 ? 1 / std : 1, 1), `scale of pixel ${p}`);
  }
  assert.equal(s.invStd[5], 1);
  assert.equal(s.mean[5], 9);
});

test('logits and gradient accumulation equal the dense standardized computation (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 40 }), (seed, batchSize, cols) => {
      const rng = Rng.fromSeed(seed);
      const rows = 15;
      const X = pixelRows(images(rng, rows, cols), cols, Int32Array.from({ length: rows }, (_, i) => i));
      const scaling = pixelScaling(X);
      const batch = Int32Array.from({ length: batchSize }, () => rng.int(0, rows - 1));
      const z = rng.normals(new Float64Array(cols * 10));
      const W = rng.normals(new Float64Array(batchSize * 10));
      const zt = new Float64Array(cols * 10);
      const off = new Float64Array(10);
      foldScaling(z, scaling, zt, off);
      const t = new Float64Array(batchSize * 10);
      batchLogits(X, batch, zt, off, t);
      const g = new Float64Array(cols * 10);
      batchGradient(X, scaling, batch, W, 0.5, g);
      const gRef = new Float64Array(cols * 10);
      for (let k = 0; k < batchSize; k++) {
        const a = denseRow(X, scaling, batch[k]);
        for (let c = 0; c < 10; c++) {
          let s = 0;
          let scale = 0;
          for (let p = 0; p < cols; p++) {
            s += a[p] * z[p * 10 + c];
            scale += Math.abs(a[p] * z[p * 10 + c]);
            gRef[p * 10 + c] += 0.5 * a[p] * W[k * 10 + c];
          }
          if (!close(t[k * 10 + c], s, 255 * scale)) return false;
        }
      }
      for (let j = 0; j < cols * 10; j++) if (!close(g[j], gRef[j], 255 * batchSize * 10)) return false;
      return true;
    }),
    { numRuns: 60, seed: 7 },
  );
});

test('softmax rows: probabilities sum to 1, lse = log Σ exp; no overflow at logits ±1000', () => {
  const t = Float64Array.from([1000, 999, -1000, 0, 0, 0, 0, 0, 0, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]);
  const p = new Float64Array(20);
  const lse = new Float64Array(2);
  softmaxRows(t, 2, p, lse);
  for (let k = 0; k < 2; k++) {
    let s = 0;
    for (let c = 0; c < 10; c++) s += p[k * 10 + c];
    assert.ok(Math.abs(s - 1) < 1e-15);
  }
  assert.ok(Math.abs(lse[0] - (1000 + Math.log(1 + Math.exp(-1)))) < 1e-12);
  let ref = 0;
  for (let c = 0; c < 10; c++) ref += Math.exp(t[10 + c]);
  assert.ok(Math.abs(lse[1] - Math.log(ref)) < 1e-14);
});

test('softmax Hessian product: (diag(π) − ππᵀ) u, scaled; zero on constant directions', () => {
  const rng = Rng.fromSeed(2);
  const t = rng.normals(new Float64Array(10));
  const p = new Float64Array(10);
  softmaxRows(t, 1, p, new Float64Array(1));
  const u = rng.normals(new Float64Array(10));
  const out = new Float64Array(10);
  softmaxHessianRows(p, u, 1, Float64Array.of(3), out);
  const pu = p.reduce((s, pc, c) => s + pc * u[c], 0);
  for (let c = 0; c < 10; c++) assert.ok(Math.abs(out[c] - 3 * (p[c] * u[c] - p[c] * pu)) < 1e-15);
  softmaxHessianRows(p, new Float64Array(10).fill(2), 1, Float64Array.of(1), out);
  for (let c = 0; c < 10; c++) assert.ok(Math.abs(out[c]) < 1e-15);
});
