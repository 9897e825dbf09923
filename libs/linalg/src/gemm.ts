import type { Matrix } from './matrix';

/**
 * General matrix-matrix product, in place: `C ← α·op(A)·op(B) + β·C`, with `op(X) = X` or `Xᵀ`.
 * Shapes are checked: op(A) is `m × k`, op(B) is `k × n`, C is `m × n`. With `β = 0` the previous content of C
 * is ignored. The loop order keeps the innermost loop on contiguous memory for every transpose combination.
 */
export function gemm(
  alpha: number,
  A: Matrix,
  B: Matrix,
  beta: number,
  C: Matrix,
  transA = false,
  transB = false,
): void {
  const m = transA ? A.cols : A.rows;
  const k = transA ? A.rows : A.cols;
  const kb = transB ? B.cols : B.rows;
  const n = transB ? B.rows : B.cols;
  if (k !== kb || C.rows !== m || C.cols !== n) {
    throw new RangeError(
      `gemm: op(A) is ${m}×${k}, op(B) is ${kb}×${n}, C is ${C.rows}×${C.cols}; expected inner sizes to agree and C to be ${m}×${n}`,
    );
  }
  const a = A.data;
  const b = B.data;
  const c = C.data;
  if (beta === 0) c.fill(0, 0, m * n);
  else if (beta !== 1) for (let i = 0; i < m * n; i++) c[i] *= beta;
  const lda = A.cols;
  const ldb = B.cols;
  if (!transB) {
    // C[i, :] += α A(i, p) B[p, :]  (row of B contiguous)
    for (let i = 0; i < m; i++) {
      const ci = i * n;
      for (let p = 0; p < k; p++) {
        const aip = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
        if (aip === 0) continue;
        const bp = p * ldb;
        for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
      }
    }
    return;
  }
  // op(B) = Bᵀ: C[i, j] += α Σ_p A(i, p) B[j, p]  (row j of B contiguous in p)
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let j = 0; j < n; j++) {
      const bj = j * ldb;
      let s = 0;
      if (transA) for (let p = 0; p < k; p++) s += a[p * lda + i] * b[bj + p];
      else {
        const ai = i * lda;
        for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
      }
      c[ci + j] += alpha * s;
    }
  }
}
