import { SimdArena } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';

/**
 * The gathered data products of a tape on the WebAssembly SIMD kernels of @bilevel/linalg ({@link SimdArena}: f64x2,
 * about 2× the unrolled JavaScript loops on batch-32 logistic products, bit-identical to them): a copy of one data
 * matrix in its own arena, with staging buffers for the batch, the vectors and the results. Each call copies its
 * few inputs in and its results out (batch-sized and column-sized copies, against a batch × cols product).
 * Internal to the tape folder.
 */
export class SimdRows {
  private readonly arena: SimdArena;
  private readonly A: Matrix;
  private readonly rows: Int32Array;
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  private readonly out: Float64Array;
  private readonly outY: Float64Array;
  private readonly acc: Float64Array;

  constructor(M: Matrix) {
    const { rows: n, cols: d } = M;
    this.arena = new SimdArena(SimdArena.bytesFor({ f64: [n * d, d, d, n, n, d], i32: [n] }));
    this.A = { rows: n, cols: d, data: this.arena.copyF64(M.data) };
    this.rows = this.arena.i32(n);
    this.x = this.arena.f64(d);
    this.y = this.arena.f64(d);
    this.out = this.arena.f64(n);
    this.outY = this.arena.f64(n);
    this.acc = this.arena.f64(d);
  }

  /** out[k] = M_{batch[k]}·x. */
  rowsDot(batch: Int32Array, x: Float64Array, out: Float64Array): void {
    const m = batch.length;
    this.rows.set(batch);
    this.x.set(x);
    this.arena.gemvRows(this.A, this.rows, m, this.x, this.out);
    const o = this.out;
    for (let k = 0; k < m; k++) out[k] = o[k];
  }

  /** out[k] = M_{batch[k]}·x and outY[k] = M_{batch[k]}·y, one pass over the rows. */
  rowsDot2(batch: Int32Array, x: Float64Array, out: Float64Array, y: Float64Array, outY: Float64Array): void {
    const m = batch.length;
    this.rows.set(batch);
    this.x.set(x);
    this.y.set(y);
    this.arena.gemvRows2(this.A, this.rows, m, this.x, this.out, this.y, this.outY);
    const o = this.out;
    const oy = this.outY;
    for (let k = 0; k < m; k++) {
      out[k] = o[k];
      outY[k] = oy[k];
    }
  }

  /** into += Σ_k w[k] M_{batch[k]}. */
  rowsDotT(batch: Int32Array, w: Float64Array, into: Float64Array): void {
    const m = batch.length;
    const d = this.A.cols;
    this.rows.set(batch);
    const stage = this.out;
    for (let k = 0; k < m; k++) stage[k] = w[k];
    const acc = this.acc;
    for (let j = 0; j < d; j++) acc[j] = 0;
    this.arena.gemvRowsT(1, this.A, this.rows, m, stage, acc);
    for (let j = 0; j < d; j++) into[j] += acc[j];
  }
}
