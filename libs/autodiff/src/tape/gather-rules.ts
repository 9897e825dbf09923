import * as linalg from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';
import * as codes from './node-codes';
import type { TapeNode } from './tape-nodes';

// Module-local copies of imported bindings: tsx compiles an imported binding to a getter call, which the replay's
// inner loops must not pay (measured: a quarter of a small oracle's time).
const FWD_VALUE = codes.FWD_VALUE;
const gemvRows = linalg.gemvRows;
const gemvRowsT = linalg.gemvRowsT;

/**
 * Rules of the nodes that read the samples of the batch:
 *   gather / gatherLabels   y_k = data[batch[k]]                         (constants: value only)
 *   gatherRows              y[k, :] = data[batch[k]·d … batch[k]·d + d)   (constants: the batch copied once)
 *   rowsDot                 y_k = M_{batch[k]} · u, linear in u: ẏ_k = M_{batch[k]}·u̇, ū += M_Bᵀȳ, ū̇ += M_Bᵀȳ̇
 * rowsDot is the vector tape's gathered matrix-vector product, kept for its speed on the logistic oracles: it runs on
 * the WebAssembly SIMD gemv kernels of @bilevel/linalg (a copy of M in their own arena, see SimdRows) or on the
 * JavaScript loops over M itself, not on the tensor kernels (which need their operands in the tape's arena).
 */

export function gatherForward(y: TapeNode): void {
  const b = y.ctx.batch;
  const data = y.data;
  const v = y.val;
  for (let k = 0; k < b.length; k++) v[k] = data[b[k]];
}

/**
 * The rows copied four entries a step: V8 pays a loop check per step, which halves the copy's time here (1.0 against
 * 2.1 ns an entry, measured on 64 rows of 784). The data are the caller's memory, not the arena's, so no WebAssembly
 * copy reaches them, and `set` from a row's subarray would allocate one view per row and replay.
 */
export function gatherRowsForward(y: TapeNode): void {
  const b = y.ctx.batch;
  const d = y.inner;
  const data = y.data;
  const v = y.val;
  for (let k = 0; k < b.length; k++) {
    const src = b[k] * d;
    const dst = k * d;
    let j = 0;
    for (; j + 3 < d; j += 4) {
      v[dst + j] = data[src + j];
      v[dst + j + 1] = data[src + j + 1];
      v[dst + j + 2] = data[src + j + 2];
      v[dst + j + 3] = data[src + j + 3];
    }
    for (; j < d; j++) v[dst + j] = data[src + j];
  }
}

export function rowsDotForward(y: TapeNode, mode: number, tanMask: number): void {
  const value = (mode & FWD_VALUE) !== 0;
  const u = y.a;
  const b = y.ctx.batch;
  const simd = y.simd;
  if (simd !== null) {
    if (value && tanMask !== 0) simd.rowsDot2(b, u.val, y.val, u.dot, y.dot);
    else if (value) simd.rowsDot(b, u.val, y.val);
    else if (tanMask !== 0) simd.rowsDot(b, u.dot, y.dot);
    return;
  }
  const M = y.M as Matrix;
  if (value && tanMask !== 0) rowsDot2(M, b, u.val, y.val, u.dot, y.dot);
  else if (value) gemvRows(M, b, u.val, y.val);
  else if (tanMask !== 0) gemvRows(M, b, u.dot, y.dot);
}

export function rowsDotReverse(y: TapeNode, barMask: number, bdotMask: number): void {
  const u = y.a;
  const b = y.ctx.batch;
  const simd = y.simd;
  const bar = barMask !== 0;
  const bdot = (bdotMask & 1) !== 0;
  if (simd !== null) {
    if (bar) simd.rowsDotT(b, y.bar, u.bar);
    if (bdot) simd.rowsDotT(b, y.bdot, u.bdot);
    return;
  }
  const M = y.M as Matrix;
  if (bar && bdot) rowsDotT2(M, b, y.bar, u.bar, y.bdot, u.bdot);
  else if (bar) gemvRowsT(1, M, b, y.bar, 1, u.bar);
  else if (bdot) gemvRowsT(1, M, b, y.bdot, 1, u.bdot);
}

/** out[k] = M_{b[k]}·x and outY[k] = M_{b[k]}·y in one pass over the rows. */
function rowsDot2(M: Matrix, b: Int32Array, x: Float64Array, out: Float64Array, y: Float64Array, outY: Float64Array): void {
  const n = M.cols;
  const a = M.data;
  for (let k = 0; k < b.length; k++) {
    const o = b[k] * n;
    let s0 = 0;
    let s1 = 0;
    let t0 = 0;
    let t1 = 0;
    let j = 0;
    for (; j + 1 < n; j += 2) {
      const a0 = a[o + j];
      const a1 = a[o + j + 1];
      s0 += a0 * x[j];
      s1 += a1 * x[j + 1];
      t0 += a0 * y[j];
      t1 += a1 * y[j + 1];
    }
    if (j < n) {
      s0 += a[o + j] * x[j];
      t0 += a[o + j] * y[j];
    }
    out[k] = s0 + s1;
    outY[k] = t0 + t1;
  }
}

/** outX += Σ_k wx[k] M_{b[k]} and outY += Σ_k wy[k] M_{b[k]} in one pass over the rows. */
function rowsDotT2(M: Matrix, b: Int32Array, wx: Float64Array, outX: Float64Array, wy: Float64Array, outY: Float64Array): void {
  const n = M.cols;
  const a = M.data;
  let k = 0;
  for (; k + 1 < b.length; k += 2) {
    const o0 = b[k] * n;
    const o1 = b[k + 1] * n;
    const x0 = wx[k];
    const x1 = wx[k + 1];
    const y0 = wy[k];
    const y1 = wy[k + 1];
    for (let j = 0; j < n; j++) {
      const a0 = a[o0 + j];
      const a1 = a[o1 + j];
      outX[j] += x0 * a0 + x1 * a1;
      outY[j] += y0 * a0 + y1 * a1;
    }
  }
  if (k < b.length) {
    const o = b[k] * n;
    for (let j = 0; j < n; j++) {
      outX[j] += wx[k] * a[o + j];
      outY[j] += wy[k] * a[o + j];
    }
  }
}
