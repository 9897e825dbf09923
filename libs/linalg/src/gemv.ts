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
 * `A`. This is the margin computation of a minibatch oracle, without copying the batch. Two rows at a time share
 * the loads of x (measured 1.25× faster than one row at a time on 31 × 30 batches).
 */
export function gemvRows(A: Matrix, rows: Int32Array, x: Float64Array, out: Float64Array): void {
  const n = A.cols;
  const a = A.data;
  const m = rows.length;
  let k = 0;
  for (; k + 1 < m; k += 2) {
    const o0 = rows[k] * n;
    const o1 = rows[k + 1] * n;
    let s0 = 0;
    let s1 = 0;
    let t0 = 0;
    let t1 = 0;
    let j = 0;
    for (; j + 1 < n; j += 2) {
      const x0 = x[j];
      const x1 = x[j + 1];
      s0 += a[o0 + j] * x0;
      t0 += a[o0 + j + 1] * x1;
      s1 += a[o1 + j] * x0;
      t1 += a[o1 + j + 1] * x1;
    }
    if (j < n) {
      s0 += a[o0 + j] * x[j];
      s1 += a[o1 + j] * x[j];
    }
    out[k] = s0 + t0;
    out[k + 1] = s1 + t1;
  }
  if (k < m) {
    const o = rows[k] * n;
    let s = 0;
    for (let j = 0; j < n; j++) s += a[o + j] * x[j];
    out[k] = s;
  }
}

/**
 * Gathered transposed product: `out ← β·out + α Σ_k w[k] · a_{rows[k]}`, the gradient accumulation of a minibatch
 * oracle. With `β = 0` the previous content of `out` is ignored. Four rows per pass over `out` (measured 1.9×
 * faster than one row per pass on 31 × 30 batches: a quarter of the loads and stores of `out`).
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
  const m = rows.length;
  if (beta === 0) out.fill(0, 0, n);
  else if (beta !== 1) for (let j = 0; j < n; j++) out[j] *= beta;
  let k = 0;
  for (; k + 3 < m; k += 4) {
    const c0 = alpha * w[k];
    const c1 = alpha * w[k + 1];
    const c2 = alpha * w[k + 2];
    const c3 = alpha * w[k + 3];
    const o0 = rows[k] * n;
    const o1 = rows[k + 1] * n;
    const o2 = rows[k + 2] * n;
    const o3 = rows[k + 3] * n;
    for (let j = 0; j < n; j++) out[j] += c0 * a[o0 + j] + c1 * a[o1 + j] + c2 * a[o2 + j] + c3 * a[o3 + j];
  }
  for (; k < m; k++) {
    const c = alpha * w[k];
    const o = rows[k] * n;
    for (let j = 0; j < n; j++) out[j] += c * a[o + j];
  }
}
