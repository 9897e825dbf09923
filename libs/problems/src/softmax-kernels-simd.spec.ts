// The pixel kernels in WebAssembly SIMD against the JavaScript loops: the same bits, on random sparse images,
// random batches (repeats allowed, empty rows included) and random weights. The SIMD path is taken when the rows
// and the buffers live in the arena; the JavaScript path on plain arrays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng, SimdArena, simdAvailable } from '@bilevel/linalg';
import type { PixelSimd } from './pixel-rows';
import { countStored, pixelRows, pixelScaling, scalingIn } from './pixel-rows';
import { batchGradient, batchLogits, batchLogits2, foldScaling } from './softmax-kernels';

const sameBits = (a: Float64Array, b: Float64Array, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

test('foldScaling, batchLogits, batchLogits2 and batchGradient: SIMD gives the bits of the JavaScript loops', { skip: !simdAvailable() }, () => {
  fc.assert(
    fc.property(
      fc.record({ rows: fc.integer({ min: 1, max: 20 }), cols: fc.integer({ min: 1, max: 40 }), m: fc.integer({ min: 0, max: 25 }), seed: fc.integer({ min: 0, max: 1e6 }) }),
      ({ rows, cols, m, seed }) => {
        const rng = Rng.fromSeed(seed);
        const px = Uint8Array.from({ length: rows * cols }, () => (rng.float() < 0.5 ? 0 : rng.int(1, 255)));
        const all = Int32Array.from({ length: rows }, (_, i) => i);
        const dim = cols * 10;
        const nnz = countStored(px, cols, all);
        const arena = new SimdArena(SimdArena.bytesFor({ u16: [nnz], u8: [nnz], i32: [rows + 1, Math.max(m, 1)], f64: [dim, dim, dim, 10, 10, 10 * m, 10 * m, 10 * m, cols, cols, dim, 10] }));
        const simd: PixelSimd = { arena, batch: arena.i32(Math.max(m, 1)), acc: arena.f64(dim) };
        const Xs = pixelRows(px, cols, all, simd);
        const Xj = pixelRows(px, cols, all);
        assert.deepEqual(Array.from(Xs.rowStart), Array.from(Xj.rowStart));
        const scaling = pixelScaling(Xj);
        const batch = Int32Array.from({ length: m }, () => rng.int(0, rows - 1));
        const z = Float64Array.from({ length: dim }, () => rng.normal());
        const v = Float64Array.from({ length: dim }, () => rng.normal());
        const zt = arena.f64(dim);
        const vt = arena.f64(dim);
        const offZ = arena.f64(10);
        const offV = arena.f64(10);
        foldScaling(z, scaling, zt, offZ);
        foldScaling(v, scaling, vt, offV);
        // the fold in SIMD (scaling in the arena): the bits of the JavaScript fold
        const inArena = scalingIn(scaling, arena);
        const ztS = arena.f64(dim);
        const offS = arena.f64(10);
        foldScaling(z, inArena, ztS, offS);
        sameBits(ztS, zt, 'fold zt');
        sameBits(offS, offZ, 'fold offset');
        const outS = arena.f64(10 * m);
        const outV = arena.f64(10 * m);
        const refZ = new Float64Array(10 * m);
        const refV = new Float64Array(10 * m);
        batchLogits(Xj, batch, Float64Array.from(zt), Float64Array.from(offZ), refZ);
        batchLogits(Xj, batch, Float64Array.from(vt), Float64Array.from(offV), refV);
        batchLogits(Xs, batch, zt, offZ, outS);
        sameBits(outS, refZ, 'logits');
        outS.fill(0);
        batchLogits2(Xs, batch, zt, offZ, outS, vt, offV, outV);
        sameBits(outS, refZ, 'logits2 z');
        sameBits(outV, refV, 'logits2 v');
        const W = arena.f64(10 * m);
        for (let i = 0; i < W.length; i++) W[i] = rng.normal();
        const gS = new Float64Array(dim).fill(NaN);
        const gJ = new Float64Array(dim).fill(NaN);
        batchGradient(Xs, scaling, batch, W, 0.3, gS);
        batchGradient(Xj, scaling, batch, Float64Array.from(W), 0.3, gJ);
        sameBits(gS, gJ, 'gradient');
        const gA = new Float64Array(dim).fill(NaN);
        batchGradient(Xs, inArena, batch, W, 0.3, gA);
        sameBits(gA, gJ, 'gradient, scaling pass in SIMD');
      },
    ),
    { seed: 11, numRuns: 200 },
  );
});
