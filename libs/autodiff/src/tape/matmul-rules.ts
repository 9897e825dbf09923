import type { TensorKernels } from '@bilevel/linalg';
import * as codes from './node-codes';
import type { TapeNode } from './tape-nodes';
import type { TapeSimd } from './tape-simd';

// Module-local copies of imported bindings: tsx compiles an imported binding to a getter call, which the replay's
// inner loops must not pay (measured: a quarter of a small oracle's time).
const FWD_VALUE = codes.FWD_VALUE;
const YDOT_LIVE = codes.YDOT_LIVE;


/**
 * Rules of matmul / linear: C = op(A)·op(B) (+ bias broadcast over the rows), op(A) m×k, op(B) k×n, op = identity or
 * transpose as recorded. Bilinear, so (with Ā, B̄ in op-space, transposed back for a transposed operand)
 *   Ċ = Ȧ·B + A·Ḃ (+ ḃias)                     Ā += C̄·Bᵀ              B̄ += Aᵀ·C̄            b̄ias += Σ_rows C̄
 *   Ā̇ += C̄̇·Bᵀ + C̄·Ḃᵀ                           B̄̇ += Aᵀ·C̄̇ + Ȧᵀ·C̄                      b̄̇ias += Σ_rows C̄̇
 * Every product runs on the tensor kernels (`matmul`, over the tape's arena). `ip` = [m, n, k, transA, transB,
 * batch mode, has bias]: batch mode 0 all fixed, 1 the rows of A are the batch (m = batch size at replay), 2 the
 * contraction runs over the batch (k = batch size: Aᵀ·B with both operands batched on their rows).
 */


/** Ā (+)= C̄·op(B)ᵀ, in A's stored layout (added to when `acc`, else assigned). */
function gradA(K: TensorKernels, m: number, n: number, k: number, tA: boolean, tB: boolean, cbar: Float64Array, B: Float64Array, abar: Float64Array, acc: boolean): void {
  if (!tA) K.matmul(cbar, B, abar, m, k, n, false, !tB, acc);
  else K.matmul(B, cbar, abar, k, m, n, tB, true, acc);
}

/** B̄ (+)= op(A)ᵀ·C̄, in B's stored layout (added to when `acc`, else assigned). */
function gradB(K: TensorKernels, m: number, n: number, k: number, tA: boolean, tB: boolean, A: Float64Array, cbar: Float64Array, bbar: Float64Array, acc: boolean): void {
  if (!tB) K.matmul(A, cbar, bbar, k, n, m, !tA, false, acc);
  else K.matmul(cbar, A, bbar, n, k, m, true, tA, acc);
}

/** y[i, :] (+)= bias for each of the m rows (the addition on the SIMD kernels when the tape has them). */
function addRows(E: TapeSimd | null, bias: Float64Array, y: Float64Array, m: number, n: number, overwrite: boolean): void {
  if (E !== null && !overwrite) {
    E.rowBias(y, bias, m, n);
    return;
  }
  for (let i = 0; i < m; i++) {
    const o = i * n;
    if (overwrite) for (let j = 0; j < n; j++) y[o + j] = bias[j];
    else for (let j = 0; j < n; j++) y[o + j] += bias[j];
  }
}

/** out[j] (+)= Σ_i src[i, j], rows in order (added to when `acc`, else from +0; on the SIMD kernels when the tape has them). */
function sumRows(E: TapeSimd | null, src: Float64Array, out: Float64Array, m: number, n: number, acc: boolean): void {
  if (E !== null) {
    E.sumRows(src, out, m, n, acc);
    return;
  }
  if (!acc) for (let j = 0; j < n; j++) out[j] = 0;
  for (let i = 0; i < m; i++) {
    const o = i * n;
    for (let j = 0; j < n; j++) out[j] += src[o + j];
  }
}

export function matmulForward(y: TapeNode, mode: number, tanMask: number): void {
  const K = y.ctx.kernels as TensorKernels;
  const ip = y.ip;
  const dm = ip[5] === 1 ? y.ctx.size : ip[0];
  const dn = ip[1];
  const dk = ip[5] === 2 ? y.ctx.size : ip[2];
  const tA = ip[3] === 1;
  const tB = ip[4] === 1;
  const bias = ip[6] === 1;
  const a = y.a;
  const b = y.b;
  if ((mode & FWD_VALUE) !== 0) {
    K.matmul(a.val, b.val, y.val, dm, dn, dk, tA, tB, false);
    if (bias) addRows(y.ctx.simd, y.c.val, y.val, dm, dn, false);
  }
  if (tanMask !== 0) {
    let written = false;
    if ((tanMask & 1) !== 0) {
      K.matmul(a.dot, b.val, y.dot, dm, dn, dk, tA, tB, false);
      written = true;
    }
    if ((tanMask & 2) !== 0) {
      K.matmul(a.val, b.dot, y.dot, dm, dn, dk, tA, tB, written);
      written = true;
    }
    if ((tanMask & 4) !== 0) addRows(y.ctx.simd, y.c.dot, y.dot, dm, dn, !written);
  }
}

export function matmulReverse(y: TapeNode, barMask: number, bdotMask: number, tanMask: number, barSet: number, bdotSet: number): void {
  const K = y.ctx.kernels as TensorKernels;
  const ip = y.ip;
  const dm = ip[5] === 1 ? y.ctx.size : ip[0];
  const dn = ip[1];
  const dk = ip[5] === 2 ? y.ctx.size : ip[2];
  const tA = ip[3] === 1;
  const tB = ip[4] === 1;
  const a = y.a;
  const b = y.b;
  if ((barMask & 1) !== 0) gradA(K, dm, dn, dk, tA, tB, y.bar, b.val, a.bar, (barSet & 1) === 0);
  if ((barMask & 2) !== 0) gradB(K, dm, dn, dk, tA, tB, a.val, y.bar, b.bar, (barSet & 2) === 0);
  if ((barMask & 4) !== 0) sumRows(y.ctx.simd, y.bar, y.c.bar, dm, dn, (barSet & 4) === 0);
  const ydot = (bdotMask & YDOT_LIVE) !== 0;
  if ((bdotMask & 1) !== 0) {
    let acc = (bdotSet & 1) === 0;
    if (ydot) {
      gradA(K, dm, dn, dk, tA, tB, y.bdot, b.val, a.bdot, acc);
      acc = true;
    }
    if ((tanMask & 2) !== 0) {
      gradA(K, dm, dn, dk, tA, tB, y.bar, b.dot, a.bdot, acc);
      acc = true;
    }
    if (!acc) a.bdot.fill(0, 0, dm * dk);
  }
  if ((bdotMask & 2) !== 0) {
    let acc = (bdotSet & 2) === 0;
    if (ydot) {
      gradB(K, dm, dn, dk, tA, tB, a.val, y.bdot, b.bdot, acc);
      acc = true;
    }
    if ((tanMask & 1) !== 0) {
      gradB(K, dm, dn, dk, tA, tB, a.dot, y.bar, b.bdot, acc);
      acc = true;
    }
    if (!acc) b.bdot.fill(0, 0, dk * dn);
  }
  if ((bdotMask & 4) !== 0) {
    if (ydot) sumRows(y.ctx.simd, y.bdot, y.c.bdot, dm, dn, (bdotSet & 4) === 0);
    else if ((bdotSet & 4) !== 0) y.c.bdot.fill(0, 0, dn);
  }
}
