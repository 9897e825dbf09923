import type { Matrix } from '@bilevel/linalg';
import { gemvRows, gemvRowsT, matrix, Rng, SimdArena, simdAvailable } from '@bilevel/linalg';
import type { PixelRows } from '@bilevel/problems';
import {
  batchGradient,
  batchLogits,
  batchLogits2,
  classGradAccumulate,
  classLogits,
  CLASSES,
  fieldOfExperts,
  foldScaling,
  gaussianBlur,
  softmaxHessianRows,
  softmaxRows,
} from '@bilevel/problems';
import { SagaMemory } from '@bilevel/solvers';
import type { KernelData } from './kernel-data';

/**
 * One row of the kernel table: a kernel at one size in one implementation (`variant`), with the work of one call.
 * `flops` counts every floating-point add, subtract, multiply, divide and square root once (a fused multiply-add
 * would count 2; exp and log are not counted and are named in `note` where they occur). `bytes` is the compulsory
 * traffic of one call: every distinct byte of the inputs read once and of the outputs written once (an array that
 * is read and updated counts twice); scratch buffers private to the kernel and re-reads of data already loaded are
 * not counted, so GB/s is a lower bound on the traffic the loop really generates. `workingSet` is the bytes a call
 * touches (with scratch), which says whether the data comes from cache or from memory.
 * The lead adds variants (WebAssembly SIMD, tfjs) as more rows with the same `kernel` and `size`.
 */
export interface KernelCase {
  readonly kernel: string;
  readonly size: string;
  readonly variant: string;
  readonly flops: number;
  readonly bytes: number;
  readonly workingSet: number;
  readonly fn: () => void;
  readonly note?: string;
}

const F64 = 8;

/** Cycles through a list of batches, one per call (the real kernels see a different batch each iteration). */
function cycler<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => {
    const item = items[i];
    i = i + 1 === items.length ? 0 : i + 1;
    return item;
  };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Stored (non-zero) pixels of a batch of pixel rows. */
function storedPixels(data: KernelData, batch: Int32Array): number {
  let nnz = 0;
  for (const i of batch) nnz += data.pixels.rowStart[i + 1] - data.pixels.rowStart[i];
  return nnz;
}

/** Distinct pixel columns a batch touches (each touched column reads or writes its 10 class weights once). */
function touchedColumns(data: KernelData, batch: Int32Array): number {
  const seen = new Uint8Array(data.pixels.cols);
  let count = 0;
  for (const i of batch) {
    for (let e = data.pixels.rowStart[i]; e < data.pixels.rowStart[i + 1]; e++) {
      const p = data.pixels.pixel[e];
      if (!seen[p]) {
        seen[p] = 1;
        count++;
      }
    }
  }
  return count;
}

function logregCases(data: KernelData): KernelCase[] {
  const A = data.logregA;
  const d = A.cols;
  const rng = Rng.fromSeed(3);
  const z = rng.normals(new Float64Array(d));
  const w = rng.normals(new Float64Array(64));
  const t = new Float64Array(64);
  const out = new Float64Array(d);
  const m = mean(data.logregBatches.map((b) => b.length));
  const size = `${m.toFixed(0)} rows gathered from ${A.rows}×${d}`;
  const next = cycler(data.logregBatches);
  const rowsBytes = m * d * F64 + m * 4;
  return [
    {
      kernel: 'gemvRows (margins A_B z)',
      size,
      variant: 'js (linalg)',
      flops: 2 * m * d,
      bytes: rowsBytes + d * F64 + m * F64,
      workingSet: A.rows * d * F64,
      fn: () => gemvRows(A, next(), z, t),
    },
    {
      kernel: 'gemvRowsT (gradient A_Bᵀ w)',
      size,
      variant: 'js (linalg)',
      flops: 2 * m * d + m,
      bytes: rowsBytes + m * F64 + d * F64,
      workingSet: A.rows * d * F64,
      fn: () => gemvRowsT(1, A, next(), w, 0, out),
    },
    {
      kernel: 'gemvRows ×2 (HVP margins A_B z, A_B v)',
      size,
      variant: 'js (linalg), two calls',
      flops: 4 * m * d,
      bytes: rowsBytes + 2 * d * F64 + 2 * m * F64,
      workingSet: A.rows * d * F64,
      fn: () => {
        const b = next();
        gemvRows(A, b, z, t);
        gemvRows(A, b, w.subarray(0, d), out);
      },
    },
    ...logregSimdCases(A, data.logregBatches, size, rowsBytes, m),
  ];
}

/**
 * The same logistic kernels in WebAssembly SIMD (simd-kernels.wat): matrix and buffers in a SimdArena, the batch
 * indices copied in per call as the problem does. Same bits as the JavaScript rows.
 */
function logregSimdCases(A0: Matrix, batches: readonly Int32Array[], size: string, rowsBytes: number, m: number): KernelCase[] {
  if (!simdAvailable()) return [];
  const d = A0.cols;
  const maxRows = Math.max(...batches.map((b) => b.length));
  const arena = new SimdArena(SimdArena.bytesFor({ f64: [A0.data.length, d, d, maxRows, maxRows, maxRows, d], i32: [maxRows] }));
  const A = matrix(A0.rows, d, arena.copyF64(A0.data));
  const rng = Rng.fromSeed(3);
  const z = rng.normals(arena.f64(d));
  const v = rng.normals(arena.f64(d));
  const t = arena.f64(maxRows);
  const s = arena.f64(maxRows);
  const w = rng.normals(arena.f64(maxRows));
  const out = arena.f64(d);
  const rows = arena.i32(maxRows);
  const next = cycler(batches);
  return [
    {
      kernel: 'gemvRows (margins A_B z)',
      size,
      variant: 'wasm simd f64x2',
      flops: 2 * m * d,
      bytes: rowsBytes + d * F64 + m * F64,
      workingSet: A.rows * d * F64,
      fn: () => {
        const b = next();
        rows.set(b);
        arena.gemvRows(A, rows, b.length, z, t);
      },
    },
    {
      kernel: 'gemvRowsT (gradient A_Bᵀ w)',
      size,
      variant: 'wasm simd f64x2',
      flops: 2 * m * d + m,
      bytes: rowsBytes + m * F64 + d * F64,
      workingSet: A.rows * d * F64,
      fn: () => {
        const b = next();
        rows.set(b);
        out.fill(0);
        arena.gemvRowsT(1, A, rows, b.length, w, out);
      },
    },
    {
      kernel: 'gemvRows ×2 (HVP margins A_B z, A_B v)',
      size,
      variant: 'wasm simd f64x2, one pass',
      flops: 4 * m * d,
      bytes: rowsBytes + 2 * d * F64 + 2 * m * F64,
      workingSet: A.rows * d * F64,
      fn: () => {
        const b = next();
        rows.set(b);
        arena.gemvRows2(A, rows, b.length, z, t, v, s);
      },
    },
  ];
}

/** The pixel rows copied into a SimdArena with the softmax kernels' buffers (the layout DataCleaning uses). */
function pixelArena(X: PixelRows, B: number) {
  const nnz = X.rowStart[X.rows];
  const dim = X.cols * CLASSES;
  const arena = new SimdArena(
    SimdArena.bytesFor({ u16: [nnz], u8: [nnz], i32: [X.rows + 1, B], f64: [dim, dim, dim, CLASSES, CLASSES, B * CLASSES, B * CLASSES, B * CLASSES] }),
  );
  const simd = { arena, batch: arena.i32(B), acc: arena.f64(dim) };
  const rowStart = arena.i32(X.rows + 1);
  rowStart.set(X.rowStart);
  const pixel = arena.u16(nnz);
  pixel.set(X.pixel.subarray(0, nnz));
  const value = arena.u8(nnz);
  value.set(X.value.subarray(0, nnz));
  const rowsS: PixelRows = { rows: X.rows, cols: X.cols, rowStart, pixel, value, simd };
  return { arena, rows: rowsS, dim };
}

function softmaxCases(data: KernelData): KernelCase[] {
  const X = data.pixels;
  const P = X.cols;
  const rng = Rng.fromSeed(4);
  const z = rng.normals(new Float64Array(P * CLASSES)).map((v) => 0.01 * v);
  const zt = new Float64Array(P * CLASSES);
  const offset = new Float64Array(CLASSES);
  foldScaling(z, data.scaling, zt, offset);
  const B = 64;
  const logits = new Float64Array(B * CLASSES);
  const probs = new Float64Array(B * CLASSES);
  const lse = new Float64Array(B);
  const u = rng.normals(new Float64Array(B * CLASSES));
  const scale = new Float64Array(B).fill(1 / B);
  const hv = new Float64Array(B * CLASSES);
  const W = rng.normals(new Float64Array(B * CLASSES));
  const grad = new Float64Array(P * CLASSES);
  const batches = data.pixelBatches.filter((b) => b.length === B);
  const nnz = mean(batches.map((b) => storedPixels(data, b)));
  const cols = mean(batches.map((b) => touchedColumns(data, b)));
  const next = cycler(batches);
  const rowBytes = nnz * 3 + B * 4 + B * 4; // uint8 value + uint16 pixel per stored pixel, rowStart pairs, batch ids
  const size = `${B} rows × ${P} px (${(nnz / B).toFixed(0)} stored) × ${CLASSES}`;
  softmaxRows(u, B, probs, lse); // valid probabilities for the Hessian kernel
  return [
    {
      kernel: 'batchLogits (A_B z, CSR uint8)',
      size,
      variant: 'js (problems)',
      flops: 2 * CLASSES * nnz + B * CLASSES,
      bytes: rowBytes + cols * CLASSES * F64 + CLASSES * F64 + B * CLASSES * F64,
      workingSet: rowBytes + P * CLASSES * F64,
      fn: () => batchLogits(X, next(), zt, offset, logits),
    },
    {
      kernel: 'batchGradient (A_Bᵀ W, CSR uint8)',
      size,
      variant: 'js (problems)',
      flops: 2 * CLASSES * nnz + B * CLASSES + P * (1 + 3 * CLASSES),
      bytes: rowBytes + B * CLASSES * F64 + 2 * P * F64 + P * CLASSES * F64,
      workingSet: rowBytes + P * CLASSES * F64 + 2 * P * F64,
      fn: () => batchGradient(X, data.scaling, next(), W, 1 / B, grad),
      note: 'writes all 784×10 outputs (zero-fill, scatter, then the scaling pass)',
    },
    ...(simdAvailable()
      ? (() => {
          const { arena, rows: Xs, dim } = pixelArena(X, B);
          const ztS = arena.f64(dim);
          const vtS = arena.f64(dim);
          const offS = arena.f64(CLASSES);
          const offV = arena.f64(CLASSES);
          ztS.set(zt);
          vtS.set(zt.map((q) => -q));
          offS.set(offset);
          offV.set(offset.map((q) => -q));
          const logitsS = arena.f64(B * CLASSES);
          const dirS = arena.f64(B * CLASSES);
          const WS = arena.f64(B * CLASSES);
          WS.set(W);
          const cases: KernelCase[] = [
            {
              kernel: 'batchLogits (A_B z, CSR uint8)',
              size,
              variant: 'wasm simd f64x2',
              flops: 2 * CLASSES * nnz + B * CLASSES,
              bytes: rowBytes + cols * CLASSES * F64 + CLASSES * F64 + B * CLASSES * F64,
              workingSet: rowBytes + P * CLASSES * F64,
              fn: () => batchLogits(Xs, next(), ztS, offS, logitsS),
            },
            {
              kernel: 'batchLogits ×2 (A_B z, A_B v)',
              size,
              variant: 'js (problems), two calls',
              flops: 4 * CLASSES * nnz + 2 * B * CLASSES,
              bytes: rowBytes + 2 * cols * CLASSES * F64 + 2 * CLASSES * F64 + 2 * B * CLASSES * F64,
              workingSet: rowBytes + 2 * P * CLASSES * F64,
              fn: () => {
                const b = next();
                batchLogits(X, b, zt, offset, logits);
                batchLogits(X, b, zt, offset, hv);
              },
            },
            {
              kernel: 'batchLogits ×2 (A_B z, A_B v)',
              size,
              variant: 'wasm simd f64x2, two passes',
              flops: 4 * CLASSES * nnz + 2 * B * CLASSES,
              bytes: 2 * rowBytes + 2 * cols * CLASSES * F64 + 2 * CLASSES * F64 + 2 * B * CLASSES * F64,
              workingSet: rowBytes + 2 * P * CLASSES * F64,
              fn: () => batchLogits2(Xs, next(), ztS, offS, logitsS, vtS, offV, dirS),
            },
            {
              kernel: 'batchGradient (A_Bᵀ W, CSR uint8)',
              size,
              variant: 'wasm simd f64x2',
              flops: 2 * CLASSES * nnz + B * CLASSES + P * (1 + 3 * CLASSES),
              bytes: rowBytes + B * CLASSES * F64 + 2 * P * F64 + P * CLASSES * F64,
              workingSet: rowBytes + P * CLASSES * F64 + 2 * P * F64,
              fn: () => batchGradient(Xs, data.scaling, next(), WS, 1 / B, grad),
              note: 'accumulation in SIMD; the scaling pass stays in JavaScript',
            },
          ];
          return cases;
        })()
      : []),
    {
      kernel: 'softmaxRows',
      size: `${B} × ${CLASSES}`,
      variant: 'js (problems)',
      flops: B * (4 * CLASSES + 2),
      bytes: 2 * B * CLASSES * F64 + B * F64,
      workingSet: 2 * B * CLASSES * F64 + B * F64,
      fn: () => softmaxRows(u, B, probs, lse),
      note: `plus ${B * CLASSES} exp and ${B} log per call, not in flops`,
    },
    {
      kernel: 'softmaxHessianRows',
      size: `${B} × ${CLASSES}`,
      variant: 'js (problems)',
      flops: B * 5 * CLASSES,
      bytes: 3 * B * CLASSES * F64 + B * F64,
      workingSet: 3 * B * CLASSES * F64 + B * F64,
      fn: () => softmaxHessianRows(probs, u, B, scale, hv),
    },
  ];
}

/** multiclass-hpo on digits: 64 rows of 64 features + intercept, 10 classes (random values of that shape). */
function multiclassCases(): KernelCase[] {
  const n = 1347;
  const d = 65;
  const K = 10;
  const B = 64;
  const rng = Rng.fromSeed(5);
  const A: Matrix = matrix(n, d, rng.normals(new Float64Array(n * d)));
  const W = rng.normals(new Float64Array(K * d));
  const r = rng.normals(new Float64Array(B * K));
  const out = new Float64Array(B * K);
  const grad = new Float64Array(K * d);
  const perm = rng.permutation(n);
  const batches = Array.from({ length: Math.floor(n / B) }, (_, b) => perm.slice(b * B, (b + 1) * B));
  const next = cycler(batches);
  const size = `${B} rows of ${n}×${d}, K = ${K}`;
  return [
    {
      kernel: 'classLogits (A_B Wᵀ)',
      size,
      variant: 'js (problems)',
      flops: 2 * B * d * K,
      bytes: B * d * F64 + K * d * F64 + B * K * F64 + B * 4,
      workingSet: n * d * F64 + K * d * F64,
      fn: () => classLogits(A, next(), W, K, out),
      note: 'random values of the digits shape',
    },
    {
      kernel: 'classGradAccumulate (Rᵀ A_B)',
      size,
      variant: 'js (problems)',
      flops: 2 * B * d * K + B * K,
      bytes: B * d * F64 + K * d * F64 + B * K * F64 + B * 4,
      workingSet: n * d * F64 + K * d * F64,
      fn: () => classGradAccumulate(1, A, next(), r, K, 0, grad),
      note: 'random values of the digits shape',
    },
  ];
}

/**
 * SagaMemory.direction at the real table sizes: logreg (11 blocks × 30) and datacleaning's inner gradient
 * (313 blocks × 7,840 = 19.6 MB, more than the last-level cache), blocks visited in a shuffled order as the sampler does.
 * Per coordinate: read q, the row and the mean, write out, the row and the mean: 4 flops, 48 bytes.
 */
function sagaCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  for (const [label, nBlocks, dim] of [
    ['logreg (341 samples / 32)', 11, 30],
    ['datacleaning (20,000 / 64)', 313, 7840],
  ] as const) {
    const rng = Rng.fromSeed(6);
    const memory = new SagaMemory(nBlocks, dim, new Float64Array(nBlocks).fill(1 / nBlocks));
    const q = rng.normals(new Float64Array(dim));
    const out = new Float64Array(dim);
    const order = rng.permutation(nBlocks);
    const next = cycler(Array.from(order));
    cases.push({
      kernel: 'SagaMemory.direction',
      size: `${label}: ${nBlocks} × ${dim}`,
      variant: 'js (solvers)',
      flops: 4 * dim,
      bytes: 6 * dim * F64,
      workingSet: (nBlocks + 3) * dim * F64,
      fn: () => memory.direction(next(), q, out),
    });
  }
  // BlockSparseSagaMemory is not exported by @bilevel/solvers: its loop is reproduced here (same arithmetic), 64 of 20,000.
  const dim = 20000;
  const B = 64;
  const rng = Rng.fromSeed(7);
  const values = new Float64Array(dim);
  const means = new Float64Array(dim);
  const perm = rng.permutation(dim);
  const blocks = Array.from({ length: Math.floor(dim / B) }, (_, b) => perm.slice(b * B, (b + 1) * B));
  const q = rng.normals(new Float64Array(B));
  const out = new Float64Array(B);
  const next = cycler(blocks);
  const w = B / dim;
  cases.push({
    kernel: 'BlockSparseSagaMemory.direction',
    size: `${B} of ${dim} coordinates`,
    variant: 'js (replica)',
    flops: 4 * B,
    bytes: B * (4 + F64 + 2 * F64 + 2 * F64 + F64),
    workingSet: 2 * dim * F64,
    fn: () => {
      const indices = next();
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k];
        const diff = q[k] - values[i];
        out[k] = diff + means[i];
        means[i] += w * diff;
        values[i] = q[k];
      }
    },
    note: 'not exported from @bilevel/solvers: a copy of its loop',
  });
  return cases;
}

/**
 * Imaging: the 5×5 Gaussian blur (index-table gather, 25 taps: 50 flops per pixel) and its adjoint, and the Field
 * of Experts gradient ∇_z R (8 filters 5×5: per filter a correlation and its transpose, 50 flops per pixel each, and
 * ψ = wt/√(t² + ν²), 5 flops per pixel; the reflect extension and fold move data only), on the training patches
 * (32×32) and the held-out images (96×96).
 */
function imagingCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  const foe = fieldOfExperts();
  const theta = foe.initialTheta();
  for (const side of [32, 96]) {
    const P = side * side;
    const rng = Rng.fromSeed(8);
    const z = rng.normals(new Float64Array(P));
    const out = new Float64Array(P);
    const blur = gaussianBlur(side, side);
    const size = `${side}×${side}`;
    const indexBytes = P * 25 * 4;
    cases.push({
      kernel: 'gaussianBlur.apply (5×5)',
      size,
      variant: 'js (problems)',
      flops: 50 * P,
      bytes: 2 * P * F64 + indexBytes,
      workingSet: 2 * P * F64 + indexBytes,
      fn: () => blur.apply(z, 0, out, 0),
      note: 'reads a 25-entry int32 index table per pixel (counted in bytes)',
    });
    cases.push({
      kernel: 'gaussianBlur.adjointAdd (5×5)',
      size,
      variant: 'js (problems)',
      flops: 51 * P,
      bytes: 3 * P * F64 + indexBytes,
      workingSet: 2 * P * F64 + indexBytes,
      fn: () => blur.adjointAdd(z, 0, out, 0, 1e-9),
    });
    const bound = foe.bind(side, side);
    const K = 8;
    const ext = (side + 4) * (side + 4);
    cases.push({
      kernel: 'fieldOfExperts grad (8 filters 5×5)',
      size,
      variant: 'js (problems)',
      flops: K * 105 * P + ext,
      bytes: 3 * P * F64 + theta.length * F64,
      workingSet: (3 * ext + 4 * P) * F64 + 2 * P * F64,
      fn: () => bound.grad(theta, z, 0, out, 0, 1e-9),
      note: `plus ${K} exp per call, not in flops`,
    });
  }
  return cases;
}

/** Every hot kernel at its real size, in the library's current implementation. */
export function jsKernelCases(data: KernelData): KernelCase[] {
  return [...logregCases(data), ...softmaxCases(data), ...multiclassCases(), ...sagaCases(), ...imagingCases()];
}
