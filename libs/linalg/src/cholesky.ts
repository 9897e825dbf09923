import type { Matrix } from './matrix';

/**
 * Cholesky factorization of a symmetric positive definite matrix, `A = L·Lᵀ`, written into `out` (lower
 * triangle; the strict upper triangle is zeroed). Only the lower triangle of `A` is read. `A` and `out` may be
 * the same matrix. Throws a RangeError naming the pivot when `A` is not numerically positive definite.
 */
export function cholesky(A: Matrix, out: Matrix = A): Matrix {
  const n = A.rows;
  if (A.cols !== n || out.rows !== n || out.cols !== n) {
    throw new RangeError(`cholesky: expected square n×n matrices, received A ${A.rows}×${A.cols}, out ${out.rows}×${out.cols}`);
  }
  const a = A.data;
  const l = out.data;
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let p = 0; p < j; p++) d -= l[j * n + p] * l[j * n + p];
    if (!(d > 0) || !Number.isFinite(d)) {
      throw new RangeError(`cholesky: matrix is not positive definite (pivot ${j} is ${d})`);
    }
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let p = 0; p < j; p++) s -= l[i * n + p] * l[j * n + p];
      l[i * n + j] = s / ljj;
    }
    for (let i = 0; i < j; i++) l[i * n + j] = 0;
  }
  return out;
}

/** Solves `L·Lᵀ·x = b` in place in `b`, given the Cholesky factor `L` from {@link cholesky}. */
export function choleskySolve(L: Matrix, b: Float64Array): Float64Array {
  const n = L.rows;
  const l = L.data;
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let p = 0; p < i; p++) s -= l[i * n + p] * b[p];
    b[i] = s / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let p = i + 1; p < n; p++) s -= l[p * n + i] * b[p];
    b[i] = s / l[i * n + i];
  }
  return b;
}
