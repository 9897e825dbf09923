import type { Matrix } from './matrix';
import { matrix } from './matrix';

/** An LU factorization with partial pivoting, PA = LU, packed in one matrix (L unit lower, U upper). */
export interface LuFactors {
  readonly lu: Matrix;
  /** Row k of PA is row perm[k] of A. */
  readonly perm: Int32Array;
  /** Index of the first pivot at or below n·ε·max|a_ij| (the matrix is numerically singular), or −1. */
  readonly singularAt: number;
  /** min |u_kk| / max |u_kk|: a cheap (optimistic) indicator of conditioning, 0 when singular. */
  readonly pivotRatio: number;
}

/**
 * Gaussian elimination with partial pivoting (Golub & Van Loan, Matrix Computations, Alg. 3.4.1) of a square
 * matrix, into `out` (a copy of A by default; pass `A` itself to factor in place). A numerically zero pivot is
 * reported as data (`singularAt`), not thrown: the elimination stops there. O(n³/3) flops, for small dense systems
 * (a fallback of the iterative solvers).
 *
 * @example const f = luFactor(A); if (f.singularAt < 0) luSolve(f, b) // b ← A⁻¹b
 */
export function luFactor(A: Matrix, out: Matrix = matrix(A.rows, A.cols)): LuFactors {
  const n = A.rows;
  if (A.cols !== n) throw new RangeError(`luFactor: A must be square, received ${A.rows} × ${A.cols}`);
  if (out.rows !== n || out.cols !== n) throw new RangeError(`luFactor: out must be ${n} × ${n}, received ${out.rows} × ${out.cols}`);
  const a = out.data;
  if (out !== A) a.set(A.data);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(a[i]));
  const tiny = n * Number.EPSILON * scale;
  let singularAt = -1;
  let minPivot = Infinity;
  let maxPivot = 0;
  for (let k = 0; k < n; k++) {
    let piv = k;
    let best = Math.abs(a[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[i * n + k]);
      if (v > best) {
        best = v;
        piv = i;
      }
    }
    if (!(best > tiny)) {
      singularAt = k;
      break;
    }
    minPivot = Math.min(minPivot, best);
    maxPivot = Math.max(maxPivot, best);
    if (piv !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j];
        a[k * n + j] = a[piv * n + j];
        a[piv * n + j] = t;
      }
      const t = perm[k];
      perm[k] = perm[piv];
      perm[piv] = t;
    }
    const pivot = a[k * n + k];
    for (let i = k + 1; i < n; i++) {
      const l = (a[i * n + k] /= pivot);
      if (l === 0) continue;
      for (let j = k + 1; j < n; j++) a[i * n + j] -= l * a[k * n + j];
    }
  }
  return { lu: out, perm, singularAt, pivotRatio: singularAt >= 0 || n === 0 ? (n === 0 ? 1 : 0) : minPivot / maxPivot };
}

/** b ← A⁻¹b from {@link luFactor}'s factors (forward then back substitution); throws on singular factors. */
export function luSolve(f: LuFactors, b: Float64Array): Float64Array {
  const { lu, perm } = f;
  const n = lu.rows;
  if (f.singularAt >= 0) throw new RangeError(`luSolve: the matrix is singular (pivot ${f.singularAt} is numerically zero)`);
  if (b.length !== n) throw new RangeError(`luSolve: b has length ${b.length}, expected ${n}`);
  const a = lu.data;
  const y = Float64Array.from(perm, (p) => b[p]);
  for (let i = 0; i < n; i++) {
    let s = y[i];
    for (let j = 0; j < i; j++) s -= a[i * n + j] * y[j];
    y[i] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let j = i + 1; j < n; j++) s -= a[i * n + j] * y[j];
    y[i] = s / a[i * n + i];
  }
  b.set(y);
  return b;
}
