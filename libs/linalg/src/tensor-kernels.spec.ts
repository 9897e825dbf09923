// The tensor engine's dense kernels, both implementations (WebAssembly SIMD and JavaScript):
// - against their definitions: matrix products against the sum written out, for every transpose combination and
//   both modes; convolutions against the defining sum, and their two gradients against the adjoint identities
//   ⟨conv(x, w), g⟩ = ⟨x, ∂ₓ(g)⟩ = ⟨w, ∂_w(g)⟩ over random shapes, strides and paddings;
// - against each other and the reference loops (matmulJs, conv2dJs, …): the same bits (Object.is on every entry)
//   over shapes with edge tiles, several cache blocks, transposes, accumulation, strides and paddings;
// - the arena: views from elsewhere, short or overlapping operands and unreserved scratch are refused; no call
//   allocates (no garbage collection over many calls).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GCProfiler } from 'node:v8';
import fc from 'fast-check';
import { Rng } from './rng';
import type { Conv2dShape, TensorKernels } from './tensor-kernels';
import {
  checkConv2dShape, conv2dFilterGradJs, conv2dInputGradJs, conv2dJs, conv2dOutSize, convScratchBytes, DEFAULT_CONV_SCRATCH,
  jsTensorKernels, matmulJs, simdTensorKernels, tensorKernels,
} from './tensor-kernels';
import { GEMM_KC, GEMM_MC, GEMM_NC } from './tensor-gemm';
import { tensorSimdAvailable } from './wasm/tensor-simd-ops';

/** Relative tolerance of sums of a few hundred terms of size 1. */
const TOL = 1e-12;
/** Heap growth tolerated over 20,000 calls that allocate nothing (V8's own bookkeeping), a fifth of 64 bytes per call. */
const HEAP_SLACK = 256 * 1024;

const randoms = (rng: Rng, n: number) => rng.normals(new Float64Array(n));
const dotOf = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
const close = (a: number, b: number, scale: number) => Math.abs(a - b) <= TOL * Math.max(1, scale);

const shapeArb = fc
  .record({
    batch: fc.integer({ min: 1, max: 2 }),
    inChannels: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 1, max: 7 }),
    width: fc.integer({ min: 1, max: 7 }),
    outChannels: fc.integer({ min: 1, max: 6 }),
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

/** Both implementations, each as a constructor of kernels over `bytes` bytes (SIMD only where the runtime has it). */
const IMPLS: readonly { readonly name: string; readonly make: (bytes: number, convShapes?: readonly Conv2dShape[]) => TensorKernels }[] = [
  { name: 'js', make: jsTensorKernels },
  ...(tensorSimdAvailable() ? [{ name: 'simd', make: simdTensorKernels }] : []),
];

for (const { name, make } of IMPLS) {
  test(`${name}: matmul equals the written-out sum for every transpose combination, overwriting or accumulating`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.boolean(), fc.boolean(), fc.integer(), (m, n, k, tA, tB, acc, seed) => {
        const rng = Rng.fromSeed(seed);
        const K = make(8 * (m * k + k * n + m * n) + 64);
        const a = K.alloc(m * k);
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

  test(`${name}: conv2d equals the defining sum (zero padding, strides)`, () => {
    fc.assert(
      fc.property(shapeArb, fc.integer(), (s, seed) => {
        const rng = Rng.fromSeed(seed);
        const z = sizes(s);
        const K = make(8 * (z.x + z.w + z.out) + 64);
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

  test(`${name}: conv2dInputGrad and conv2dFilterGrad are the adjoints of conv2d, and accumulate when asked`, () => {
    fc.assert(
      fc.property(shapeArb, fc.integer(), (s, seed) => {
        const rng = Rng.fromSeed(seed);
        const z = sizes(s);
        const K = make(8 * (3 * z.x + 3 * z.w + 2 * z.out) + 256);
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

  test(`${name}: no call allocates (no garbage collection over 60,000 kernel calls)`, () => {
    const s: Conv2dShape = { batch: 2, inChannels: 3, height: 6, width: 5, outChannels: 4, kernelH: 3, kernelW: 2, strideH: 1, strideW: 2, padH: 1, padW: 1 };
    const z = sizes(s);
    const K = make(8 * (3 * 7 * 9 + 3 * z.x + 3 * z.w + 2 * z.out) + 1024);
    const a = K.alloc(7 * 9).fill(0.5);
    const b = K.alloc(9 * 7).fill(0.25);
    const c = K.alloc(7 * 7);
    const x = K.alloc(z.x).fill(0.1);
    const w = K.alloc(z.w).fill(0.2);
    const out = K.alloc(z.out);
    const gx = K.alloc(z.x);
    const gw = K.alloc(z.w);
    const round = (r: number) => {
      K.matmul(a, b, c, 7, 7, 9, (r & 1) === 1, (r & 2) === 2, (r & 4) === 4);
      K.conv2d(x, w, out, s, false);
      K.conv2dInputGrad(out, w, gx, s, (r & 1) === 1);
      K.conv2dFilterGrad(x, out, gw, s, false);
    };
    for (let r = 0; r < 5000; r++) round(r); // warm up: JIT tiers settle
    // 3 samples of 5000 rounds of 4 calls: an allocation of 64 bytes per call would grow the heap by 1.28 MB in a
    // sample, or start a collection. A sample passes with no collection and under HEAP_SLACK of growth; one passing
    // sample of the three is required (anything else in the process could allocate or collect during one sample).
    const samples: string[] = [];
    let passed = false;
    for (let t = 0; t < 3 && !passed; t++) {
      const profiler = new GCProfiler();
      profiler.start();
      const before = process.memoryUsage().heapUsed;
      for (let r = 0; r < 5000; r++) round(r);
      const grown = process.memoryUsage().heapUsed - before;
      const collections = profiler.stop()?.statistics.length ?? 0;
      samples.push(`${collections} collections, ${grown} bytes`);
      passed = collections === 0 && grown < HEAP_SLACK;
    }
    assert.ok(passed, `20,000 kernel calls per sample: ${samples.join('; ')}`);
  });
}

/** Deterministic values in [-2, 2] with exponents spread over 10⁻³ … 10³, so any reordering of a sum changes its bits. */
function fill(a: Float64Array, seed: number): void {
  let s = seed % 2147483646 + 1;
  for (let i = 0; i < a.length; i++) {
    s = (s * 16807) % 2147483647;
    a[i] = ((s / 2147483647) * 4 - 2) * 10 ** ((s % 7) - 3);
  }
}

function sameBits(got: Float64Array, want: Float64Array, what: string): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) assert.ok(Object.is(got[i], want[i]), `${what}, entry ${i}: ${got[i]} vs ${want[i]}`);
}

/** matmul of every implementation against the reference loops, bit for bit. */
function checkMatmulBits(m: number, n: number, k: number, tA: boolean, tB: boolean, acc: boolean, seed: number): void {
  const A = new Float64Array(m * k);
  fill(A, seed);
  const B = new Float64Array(k * n);
  fill(B, seed + 1);
  const C0 = new Float64Array(m * n);
  fill(C0, seed + 2);
  const want = Float64Array.from(C0);
  matmulJs(A, B, want, m, n, k, tA, tB, acc);
  for (const { name, make } of IMPLS) {
    const K = make(8 * (m * k + k * n + m * n) + 64);
    const a = K.alloc(m * k);
    a.set(A);
    const b = K.alloc(k * n);
    b.set(B);
    const c = K.alloc(m * n);
    c.set(C0);
    K.matmul(a, b, c, m, n, k, tA, tB, acc);
    sameBits(c, want, `${name} matmul ${m}×${n}×${k} transA=${tA} transB=${tB} accumulate=${acc}`);
  }
}

/** The three convolutions of every implementation against the reference loops, bit for bit. */
function checkConvBits(s: Conv2dShape, acc: boolean, seed: number): void {
  const z = sizes(s);
  const X = new Float64Array(z.x);
  fill(X, seed);
  const Wt = new Float64Array(z.w);
  fill(Wt, seed + 1);
  const G = new Float64Array(z.out);
  fill(G, seed + 2);
  const O0 = new Float64Array(z.out);
  fill(O0, seed + 3);
  const GX0 = new Float64Array(z.x);
  fill(GX0, seed + 4);
  const GW0 = new Float64Array(z.w);
  fill(GW0, seed + 5);
  const out = Float64Array.from(O0);
  conv2dJs(X, Wt, out, s, acc);
  const gx = Float64Array.from(GX0);
  conv2dInputGradJs(G, Wt, gx, s, acc);
  const gw = Float64Array.from(GW0);
  conv2dFilterGradJs(X, G, gw, s, acc);
  for (const { name, make } of IMPLS) {
    const K = make(8 * 2 * (z.x + z.w + z.out) + 256, [s]);
    const x = K.alloc(z.x);
    x.set(X);
    const w = K.alloc(z.w);
    w.set(Wt);
    const g = K.alloc(z.out);
    g.set(G);
    const kOut = K.alloc(z.out);
    kOut.set(O0);
    K.conv2d(x, w, kOut, s, acc);
    const kGx = K.alloc(z.x);
    kGx.set(GX0);
    K.conv2dInputGrad(g, w, kGx, s, acc);
    const kGw = K.alloc(z.w);
    kGw.set(GW0);
    K.conv2dFilterGrad(x, g, kGw, s, acc);
    const what = `${name} ${JSON.stringify(s)} accumulate=${acc}`;
    sameBits(kOut, out, `conv2d ${what}`);
    sameBits(kGx, gx, `conv2dInputGrad ${what}`);
    sameBits(kGw, gw, `conv2dFilterGrad ${what}`);
  }
}

test('SIMD is available on this runtime (Node 20 has WebAssembly SIMD) and chosen unless told otherwise', () => {
  assert.equal(tensorSimdAvailable(), process.env.BILEVEL_KERNELS !== 'js');
  assert.equal(tensorKernels({ bytes: 64 }).simd, process.env.BILEVEL_KERNELS !== 'js');
  assert.equal(tensorKernels({ bytes: 64, kernels: 'js' }).simd, false);
});

test('BILEVEL_KERNELS=js selects the JavaScript kernels', () => {
  const before = process.env.BILEVEL_KERNELS;
  process.env.BILEVEL_KERNELS = 'js';
  try {
    assert.equal(tensorKernels({ bytes: 64 }).simd, false);
  } finally {
    if (before === undefined) delete process.env.BILEVEL_KERNELS;
    else process.env.BILEVEL_KERNELS = before;
  }
});

test('matmul: SIMD, JavaScript and the reference loops give the same bits (edge tiles, transposes, accumulation)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 19 }),
      fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 1e6 }),
      (m, n, k, tA, tB, acc, seed) => checkMatmulBits(m, n, k, tA, tB, acc, seed),
    ),
    { seed: 21, numRuns: 400 },
  );
});

test('matmul: the same bits across several cache blocks in every dimension', () => {
  // m > GEMM_MC, n > GEMM_NC, k > GEMM_KC (and not multiples of them or of the tiles), every layout
  const [m, n, k] = [GEMM_MC + 5, GEMM_NC + 7, GEMM_KC + 9];
  for (const [tA, tB, acc] of [[false, false, false], [true, false, true], [false, true, true], [true, true, false]] as const) checkMatmulBits(m, n, k, tA, tB, acc, 5);
});

test('convolutions: SIMD, JavaScript and the reference loops give the same bits (strides, paddings, accumulation)', () => {
  fc.assert(
    fc.property(shapeArb, fc.boolean(), fc.integer({ min: 1, max: 1e6 }), (s, acc, seed) => checkConvBits(s, acc, seed)),
    { seed: 22, numRuns: 150 },
  );
});

test('convolutions: the same bits when the reduction spans several cache blocks', () => {
  // C·KH·KW = 270 > GEMM_KC (forward), O·KH·KW = 261 (input gradient), OH·OW = 289 (filter gradient)
  checkConvBits({ batch: 2, inChannels: 30, height: 17, width: 17, outChannels: 29, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 }, true, 9);
  checkConvBits({ batch: 1, inChannels: 5, height: 19, width: 18, outChannels: 6, kernelH: 3, kernelW: 4, strideH: 2, strideW: 1, padH: 2, padW: 0 }, false, 10);
});

test('the arena hands out aligned, zero-filled views and refuses to grow; bad shapes are refused naming the field', () => {
  for (const { make } of IMPLS) {
    const K = make(100);
    const a = K.alloc(3);
    assert.deepEqual(Array.from(a), [0, 0, 0]);
    const b = K.alloc(5);
    assert.equal(b.byteOffset % 16, 0);
    assert.throws(() => K.alloc(10), /TensorKernels\.alloc: out of space/);
  }
  assert.throws(() => tensorKernels({ bytes: 8, kernels: 'gpu' as never }), /tensorKernels: options\.kernels must be "auto" or "js", received gpu/);
  assert.throws(() => tensorKernels({ bytes: -1 }), /bytes must be an integer ≥ 0, received -1/);
  const s: Conv2dShape = { batch: 1, inChannels: 1, height: 2, width: 2, outChannels: 1, kernelH: 5, kernelW: 1, strideH: 1, strideW: 1, padH: 1, padW: 0 };
  assert.throws(() => checkConv2dShape('conv2d', s), /conv2d: a 5×1 kernel does not fit a 2×2 image padded by \(1, 0\)/);
  assert.throws(() => checkConv2dShape('conv2d', { ...s, strideW: 0 }), /conv2d: shape\.strideW must be a positive integer, received 0/);
  assert.throws(() => tensorKernels({ bytes: 8, convShapes: [{ ...s, padW: -1 }] }), /convShapes\[0\]: shape\.padW must be an integer ≥ 0, received -1/);
});

test('operands from outside the arena, too short or overlapping the output are refused, naming the argument', () => {
  for (const { name, make } of IMPLS) {
    const K = make(1024);
    const a = K.alloc(6);
    const b = K.alloc(6);
    const c = K.alloc(4);
    assert.throws(() => K.matmul(new Float64Array(6), b, c, 2, 2, 3, false, false, false), /TensorKernels\.matmul: a must be a Float64Array from this arena \(TensorKernels\.alloc\), received a Float64Array of 6 numbers from another memory/, name);
    const other = make(1024).alloc(4);
    assert.throws(() => K.matmul(a, b, other, 2, 2, 3, false, false, false), /TensorKernels\.matmul: c must be a Float64Array from this arena/, name);
    assert.throws(() => K.matmul(a, b, new Float32Array(4) as never, 2, 2, 3, false, false, false), /c must be a Float64Array from this arena .*received a Float32Array of 4 numbers/, name);
    assert.throws(() => K.matmul(a, b, c, 2, 3, 3, false, false, false), /TensorKernels\.matmul: b holds 6 numbers, 9 needed/, name);
    // an operand of which nothing is read (k = 0) may be any Float64Array; the output is zeroed
    c.fill(5);
    K.matmul(new Float64Array(0), new Float64Array(0), c, 2, 2, 0, false, false, false);
    assert.deepEqual(Array.from(c), [0, 0, 0, 0], name);
    assert.throws(() => K.matmul(a, b, c, 2, 2, 2.5, false, false, false), /TensorKernels\.matmul: k must be an integer ≥ 0, received 2\.5/, name);
    const whole = new Float64Array(a.buffer, a.byteOffset, 10); // a and b side by side
    assert.throws(() => K.matmul(a, b, whole.subarray(4, 8), 2, 2, 3, false, false, true), /TensorKernels\.matmul: c overlaps a/, name);
    const s: Conv2dShape = { batch: 1, inChannels: 1, height: 2, width: 3, outChannels: 1, kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, padH: 0, padW: 0 };
    assert.throws(() => K.conv2d(a, b, a, s, false), /TensorKernels\.conv2d: out overlaps x/, name);
    assert.throws(() => K.conv2dInputGrad(a, b.subarray(0, 1), new Float64Array(6), s, false), /conv2dInputGrad: gx must be a Float64Array from this arena/, name);
    assert.throws(() => K.conv2dFilterGrad(a, b, c, { ...s, kernelH: 0 }, false), /TensorKernels\.conv2dFilterGrad: shape\.kernelH must be a positive integer, received 0/, name);
  }
});

test('a convolution needing more scratch than reserved is refused; listing its shape reserves enough', () => {
  const big: Conv2dShape = { batch: 1, inChannels: 64, height: 48, width: 48, outChannels: 2, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 };
  const need = convScratchBytes(big);
  assert.ok(need > DEFAULT_CONV_SCRATCH, `${need} bytes`);
  const z = sizes(big);
  for (const { name, make } of IMPLS) {
    const K = make(8 * (z.x + z.w + z.out) + 64);
    assert.equal(K.convScratch, DEFAULT_CONV_SCRATCH);
    const x = K.alloc(z.x);
    const w = K.alloc(z.w);
    const out = K.alloc(z.out);
    assert.throws(() => K.conv2d(x, w, out, big, false), new RegExp(`TensorKernels\\.conv2d: this shape needs ${need} bytes of convolution scratch, ${DEFAULT_CONV_SCRATCH} are reserved: list it in tensorKernels\\(\\{ convShapes \\}\\)`), name);
    const K2 = make(8 * (z.x + z.w + z.out) + 64, [big]);
    assert.equal(K2.convScratch, need);
    const x2 = K2.alloc(z.x).fill(1);
    const w2 = K2.alloc(z.w).fill(1);
    const out2 = K2.alloc(z.out);
    K2.conv2d(x2, w2, out2, big, false);
    assert.equal(out2[big.width + 1], 64 * 9, 'an interior output sums 64 channels × 9 taps of ones');
  }
});
