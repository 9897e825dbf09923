import type { Matrix } from './matrix';

/**
 * General matrix-vector product, in place: `y ← α·op(A)·x + β·y`, with `op(A) = A` or `Aᵀ` when `trans` is true.
 * `A` is row-major `m × n`; `x` has `n` (or `m` when transposed) entries, `y` has `m` (or `n`).
 * With `β = 0` the previous content of `y` is ignored (NaNs in it do not propagate), as in BLAS.
 */
export function gemv(alpha: number, A: Matrix, x: Float64Array, beta: number, y: Float64Array, trans = false): void {
  const { rows: m, cols: n, data: a } = A;
  if (!trans) {
    for (let i = 0; i < m; i++) {
      const off = i * n;
      let s0 = 0;
      let s1 = 0;
      let j = 0;
      const n2 = n - (n % 2);
      for (; j < n2; j += 2) {
        s0 += a[off + j] * x[j];
        s1 += a[off + j + 1] * x[j + 1];
      }
      if (j < n) s0 += a[off + j] * x[j];
      y[i] = beta === 0 ? alpha * (s0 + s1) : alpha * (s0 + s1) + beta * y[i];
    }
    return;
  }
  if (beta === 0) y.fill(0, 0, n);
  else if (beta !== 1) for (let j = 0; j < n; j++) y[j] *= beta;
  for (let i = 0; i < m; i++) {
    const w = alpha * x[i];
    if (w === 0) continue;
    const off = i * n;
    for (let j = 0; j < n; j++) y[j] += w * a[off + j];
  }
}

/**
 * Gathered product over selected rows: `out[k] = a_{rows[k]} · x` for k < rows.length, where `a_i` is row i of
 * `A`. This is the margin computation of a minibatch oracle, without copying the batch.
 */
export function gemvRows(A: Matrix, rows: Int32Array, x: Float64Array, out: Float64Array): void {
  const n = A.cols;
  const a = A.data;
  const n2 = n - (n % 2);
  for (let k = 0; k < rows.length; k++) {
    const off = rows[k] * n;
    let s0 = 0;
    let s1 = 0;
    let j = 0;
    for (; j < n2; j += 2) {
      s0 += a[off + j] * x[j];
      s1 += a[off + j + 1] * x[j + 1];
    }
    if (j < n) s0 += a[off + j] * x[j];
    out[k] = s0 + s1;
  }
}

/**
 * Gathered transposed product: `out ← β·out + α Σ_k w[k] · a_{rows[k]}`, the gradient accumulation of a minibatch
 * oracle. With `β = 0` the previous content of `out` is ignored.
 */
export function gemvRowsT(
  alpha: number,
  A: Matrix,
  rows: Int32Array,
  w: Float64Array,
  beta: number,
  out: Float64Array,
): void {
  const n = A.cols;
  const a = A.data;
  if (beta === 0) out.fill(0, 0, n);
  else if (beta !== 1) for (let j = 0; j < n; j++) out[j] *= beta;
  for (let k = 0; k < rows.length; k++) {
    const c = alpha * w[k];
    if (c === 0) continue;
    const off = rows[k] * n;
    for (let j = 0; j < n; j++) out[j] += c * a[off + j];
  }
}
