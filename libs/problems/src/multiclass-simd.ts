import type { Matrix } from '@bilevel/linalg';
import { instantiateKernels, kernelModuleLoader, matrix } from '@bilevel/linalg';
import { classGradAccumulate, classLogits } from './multiclass-kernels';
import { WASM_BASE64 } from './wasm/multiclass-kernels-binary';

/** The exports of multiclass-kernels.wat (pointers are byte offsets into the memory). */
interface MulticlassExports {
  logits(a: number, d: number, rows: number, m: number, wp: number, K: number, out: number): void;
  gradAccumulate(alpha: number, a: number, d: number, rows: number, m: number, r: number, K: number, out: number): void;
}

const compiledModule = kernelModuleLoader(WASM_BASE64);

/** The compiled kernel module, or null where WebAssembly SIMD is missing (or `BILEVEL_KERNELS=js`). */
function kernelModule(): object | null {
  return process.env.BILEVEL_KERNELS === 'js' ? null : compiledModule();
}

/**
 * The softmax kernels of multiclass-hpo.ts ({@link classLogits}, {@link classGradAccumulate}) in WebAssembly SIMD
 * (multiclass-kernels.wat), the same bits as the JavaScript ones: the feature matrices live in one WebAssembly memory
 * ({@link MulticlassSimd.matrices}, copies of the given ones), the weights, batch rows and residuals are copied in per
 * call (K·d + m + m·K numbers) and the results copied out. A matrix from elsewhere goes to the JavaScript kernels.
 * Logits: lanes over class pairs (the weights interleaved by pairs), two samples × four classes per pass; accumulation: lanes over
 * features, the JavaScript blocking of classes and rows. Measured on the kernels bench's digits shape (64 rows,
 * d = 65, K = 10): logits 1.9 → 8.0 GFLOP/s, accumulation 1.9 → 9.2 GFLOP/s (of an 18.8 GFLOP/s f64x2 peak).
 */
export class MulticlassSimd {
  /** Copies of the given matrices in the kernels' memory, in the same order. */
  readonly matrices: readonly Matrix[];
  private readonly k: MulticlassExports;
  private readonly buffer: ArrayBuffer;
  private readonly wp: Float64Array;
  private readonly rows: Int32Array;
  private readonly resp: Float64Array;
  private readonly grad: Float64Array;

  private constructor(mod: object, mats: readonly Matrix[], K: number, maxRows: number) {
    const d = mats[0].cols;
    const K2 = K + (K % 2);
    const sizes = [...mats.map((m) => m.rows * m.cols), K2 * d, maxRows / 2 + 1, maxRows * K, K * d];
    const offsets: number[] = [];
    let used = 0;
    for (const n of sizes) {
      offsets.push(used);
      used += Math.ceil(n / 2) * 2; // 16-byte aligned
    }
    const instance = instantiateKernels<MulticlassExports>(mod, 8 * used);
    this.k = instance.exports;
    this.buffer = instance.buffer;
    const view = (i: number) => new Float64Array(this.buffer, 8 * offsets[i], sizes[i]);
    this.matrices = mats.map((m, i) => {
      const data = view(i);
      data.set(m.data);
      return matrix(m.rows, m.cols, data);
    });
    const j = mats.length;
    this.wp = view(j);
    this.rows = new Int32Array(this.buffer, 8 * offsets[j + 1], maxRows);
    this.resp = view(j + 2);
    this.grad = view(j + 3);
  }

  /**
   * The kernels over copies of `mats` (all with the same columns), for K classes and batches of at most `maxRows`
   * rows; null where WebAssembly SIMD is missing or `BILEVEL_KERNELS=js`.
   */
  static create(mats: readonly Matrix[], K: number, maxRows: number): MulticlassSimd | null {
    const mod = kernelModule();
    return mod === null ? null : new MulticlassSimd(mod, mats, K, maxRows);
  }

  /** classLogits(A, rows, W, K, out), the same bits. */
  logits(A: Matrix, rows: Int32Array, W: Float64Array, K: number, out: Float64Array): void {
    const m = rows.length;
    if (A.data.buffer !== this.buffer || m > this.rows.length) {
      classLogits(A, rows, W, K, out);
      return;
    }
    const d = A.cols;
    const { wp } = this;
    for (let c = 0; c < K; c += 2) {
      const base = c * d;
      const hasPair = c + 1 < K;
      for (let i = 0; i < d; i++) {
        wp[base + 2 * i] = W[base + i];
        wp[base + 2 * i + 1] = hasPair ? W[base + d + i] : 0;
      }
    }
    this.rows.set(rows);
    this.k.logits(A.data.byteOffset, d, this.rows.byteOffset, m, wp.byteOffset, K, this.resp.byteOffset);
    out.set(this.resp.subarray(0, m * K));
  }

  /** classGradAccumulate(alpha, A, rows, r, K, beta, out), the same bits. */
  gradAccumulate(alpha: number, A: Matrix, rows: Int32Array, r: Float64Array, K: number, beta: number, out: Float64Array): void {
    const m = rows.length;
    const d = A.cols;
    const len = K * d;
    if (A.data.buffer !== this.buffer || m > this.rows.length || len > this.grad.length) {
      classGradAccumulate(alpha, A, rows, r, K, beta, out);
      return;
    }
    const { grad } = this;
    if (beta === 0) grad.fill(0, 0, len);
    else {
      if (beta !== 1) for (let p = 0; p < len; p++) out[p] *= beta;
      grad.set(out.subarray(0, len));
    }
    this.rows.set(rows);
    this.resp.set(r.subarray(0, m * K));
    this.k.gradAccumulate(alpha, A.data.byteOffset, d, this.rows.byteOffset, m, this.resp.byteOffset, K, grad.byteOffset);
    out.set(grad.subarray(0, len));
  }
}
