// The tensor engine's dense kernels against their definitions: matrix products against the sum written out, for
// every transpose combination and both modes; convolutions against the defining sum, and their two gradients
// against the adjoint identities ⟨conv(x, w), g⟩ = ⟨x, ∂ₓ(g)⟩ = ⟨w, ∂_w(g)⟩ over random shapes, strides and paddings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from './rng';
import type { Conv2dShape } from './tensor-kernels';
import { checkConv2dShape, conv2dOutSize, tensorKernels } from './tensor-kernels';

/** Relative tolerance of sums of a few hundred terms of size 1. */
const TOL = 1e-12;

const randoms = (rng: Rng, n: number) => rng.normals(new Float64Array(n));
const dotOf = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
const close = (a: number, b: number, scale: number) => Math.abs(a - b) <= TOL * Math.max(1, scale);

test('matmul equals the written-out sum for every transpose combination, overwriting or accumulating', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.boolean(), fc.boolean(), fc.integer(), (m, n, k, tA, tB, acc, seed) => {
      const rng = Rng.fromSeed(seed);
      const K = tensorKernels({ bytes: 8 * (m * k + k * n + m * n) + 64 });
      const a = K.alloc(m * k).fill(0);
      a.set(randoms(rng, m * k));
      const b = K.alloc(k * n);
      b.set(randoms(rng, k * n));
      const c = K.alloc(m * n);
      const c0 = randoms(rng, m * n);
      c.set(c0);
      K.matmul(a, b, c, m, n, k, tA, tB, acc);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = acc ? c0[i * n + j] : 0;
          for (let p = 0; p < k; p++) s += (tA ? a[p * m + i] : a[i * k + p]) * (tB ? b[j * k + p] : b[p * n + j]);
          assert.ok(close(c[i * n + j], s, Math.abs(s)), `(${i}, ${j}): ${c[i * n + j]} vs ${s}`);
        }
      }
    }),
    { seed: 11, numRuns: 200 },
  );
});

const shapeArb = fc
  .record({
    batch: fc.integer({ min: 1, max: 2 }),
    inChannels: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 1, max: 7 }),
    width: fc.integer({ min: 1, max: 7 }),
    outChannels: fc.integer({ min: 1, max: 3 }),
    kernelH: fc.integer({ min: 1, max: 3 }),
    kernelW: fc.integer({ min: 1, max: 3 }),
    strideH: fc.integer({ min: 1, max: 3 }),
    strideW: fc.integer({ min: 1, max: 3 }),
    padH: fc.integer({ min: 0, max: 2 }),
    padW: fc.integer({ min: 0, max: 2 }),
  })
  .filter((s) => s.height + 2 * s.padH >= s.kernelH && s.width + 2 * s.padW >= s.kernelW);

function sizes(s: Conv2dShape) {
  const { outH, outW } = conv2dOutSize(s);
  return { x: s.batch * s.inChannels * s.height * s.width, w: s.outChannels * s.inChannels * s.kernelH * s.kernelW, out: s.batch * s.outChannels * outH * outW, outH, outW };
}

test('conv2d equals the defining sum (zero padding, strides)', () => {
  fc.assert(
    fc.property(shapeArb, fc.integer(), (s, seed) => {
      const rng = Rng.fromSeed(seed);
      const z = sizes(s);
      const K = tensorKernels({ bytes: 8 * (z.x + z.w + z.out) + 64 });
      const x = K.alloc(z.x);
      x.set(randoms(rng, z.x));
      const w = K.alloc(z.w);
      w.set(randoms(rng, z.w));
      const out = K.alloc(z.out);
      out.fill(7); // overwritten
      K.conv2d(x, w, out, s, false);
      for (let n = 0; n < s.batch; n++)
        for (let o = 0; o < s.outChannels; o++)
          for (let i = 0; i < z.outH; i++)
            for (let j = 0; j < z.outW; j++) {
              let sum = 0;
              for (let c = 0; c < s.inChannels; c++)
                for (let p = 0; p < s.kernelH; p++)
                  for (let q = 0; q < s.kernelW; q++) {
                    const y = i * s.strideH + p - s.padH;
                    const xc = j * s.strideW + q - s.padW;
                    if (y < 0 || y >= s.height || xc < 0 || xc >= s.width) continue;
                    sum += x[((n * s.inChannels + c) * s.height + y) * s.width + xc] * w[((o * s.inChannels + c) * s.kernelH + p) * s.kernelW + q];
                  }
              const got = out[((n * s.outChannels + o) * z.outH + i) * z.outW + j];
              assert.ok(close(got, sum, Math.abs(sum)), `${got} vs ${sum}`);
            }
    }),
    { seed: 12, numRuns: 150 },
  );
});

test('conv2dInputGrad and conv2dFilterGrad are the adjoints of conv2d, and accumulate when asked', () => {
  fc.assert(
    fc.property(shapeArb, fc.integer(), (s, seed) => {
      const rng = Rng.fromSeed(seed);
      const z = sizes(s);
      const K = tensorKernels({ bytes: 8 * (3 * z.x + 3 * z.w + 2 * z.out) + 256 });
      const x = K.alloc(z.x);
      x.set(randoms(rng, z.x));
      const w = K.alloc(z.w);
      w.set(randoms(rng, z.w));
      const g = K.alloc(z.out);
      g.set(randoms(rng, z.out));
      const out = K.alloc(z.out);
      K.conv2d(x, w, out, s, false);
      const gx = K.alloc(z.x);
      const gw = K.alloc(z.w);
      K.conv2dInputGrad(g, w, gx, s, false);
      K.conv2dFilterGrad(x, g, gw, s, false);
      const lhs = dotOf(out, g);
      assert.ok(close(dotOf(x, gx), lhs, Math.abs(lhs) + 10), `⟨x, ∂ₓ⟩ = ${dotOf(x, gx)} vs ${lhs}`);
      assert.ok(close(dotOf(w, gw), lhs, Math.abs(lhs) + 10), `⟨w, ∂_w⟩ = ${dotOf(w, gw)} vs ${lhs}`);
      // accumulate: a second call adds the same again
      const gx2 = K.alloc(z.x);
      gx2.set(gx);
      K.conv2dInputGrad(g, w, gx2, s, true);
      gx2.forEach((v, i) => assert.ok(close(v, 2 * gx[i], Math.abs(gx[i]))));
      const gw2 = K.alloc(z.w);
      gw2.set(gw);
      K.conv2dFilterGrad(x, g, gw2, s, true);
      gw2.forEach((v, i) => assert.ok(close(v, 2 * gw[i], Math.abs(gw[i]))));
    }),
    { seed: 13, numRuns: 150 },
  );
});

test('the arena hands out aligned, zero-filled views and refuses to grow; bad shapes are refused naming the field', () => {
  const K = tensorKernels({ bytes: 100 });
  const a = K.alloc(3);
  assert.deepEqual(Array.from(a), [0, 0, 0]);
  const b = K.alloc(5);
  assert.equal(b.byteOffset % 16, 0);
  assert.throws(() => K.alloc(10), /TensorKernels\.alloc: out of space/);
  assert.throws(() => tensorKernels({ bytes: 8, kernels: 'gpu' as never }), /tensorKernels: options\.kernels must be "auto" or "js", received gpu/);
  const s: Conv2dShape = { batch: 1, inChannels: 1, height: 2, width: 2, outChannels: 1, kernelH: 5, kernelW: 1, strideH: 1, strideW: 1, padH: 1, padW: 0 };
  assert.throws(() => checkConv2dShape('conv2d', s), /conv2d: a 5×1 kernel does not fit a 2×2 image padded by \(1, 0\)/);
  assert.throws(() => checkConv2dShape('conv2d', { ...s, strideW: 0 }), /conv2d: shape\.strideW must be a positive integer, received 0/);
});
