import { dot } from './dot';
import { nrm2 } from './nrm2';

/** Options of {@link conjugateGradient}. */
export interface CgOptions {
  /** Stop when ‖A·x − b‖ ≤ max(rtol·‖b‖, atol). Default 1e-10. */
  readonly rtol?: number;
  /** Absolute floor of the residual test. Default 0. */
  readonly atol?: number;
  /** Iteration cap. Default 10·n. */
  readonly maxIter?: number;
}

/** What {@link conjugateGradient} reports. */
export interface CgResult {
  readonly iterations: number;
  readonly residualNorm: number;
  readonly converged: boolean;
}

/**
 * Conjugate gradient for `A·x = b` with `A` symmetric positive definite, given only as `matvec(p, out)` (writes
 * `A·p` into `out`). Hestenes-Stiefel recursions; `x` holds the warm start on entry and the solution on exit.
 * Reports a non-convergence as data (`converged: false`), not as an exception; stops if a curvature `pᵀAp ≤ 0`
 * shows that `A` is not positive definite.
 */
export function conjugateGradient(
  matvec: (p: Float64Array, out: Float64Array) => void,
  b: Float64Array,
  x: Float64Array,
  options: CgOptions = {},
): CgResult {
  const n = b.length;
  const rtol = options.rtol ?? 1e-10;
  const atol = options.atol ?? 0;
  const maxIter = options.maxIter ?? 10 * n;
  const r = new Float64Array(n);
  const p = new Float64Array(n);
  const ap = new Float64Array(n);
  matvec(x, ap);
  for (let i = 0; i < n; i++) r[i] = b[i] - ap[i];
  const target = Math.max(rtol * nrm2(b), atol);
  let rr = dot(r, r);
  p.set(r);
  let it = 0;
  while (Math.sqrt(rr) > target && it < maxIter) {
    matvec(p, ap);
    const pap = dot(p, ap);
    if (!(pap > 0)) break;
    const alpha = rr / pap;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * ap[i];
    }
    const rrNew = dot(r, r);
    const beta = rrNew / rr;
    rr = rrNew;
    for (let i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
    it++;
  }
  const residualNorm = Math.sqrt(rr);
  return { iterations: it, residualNorm, converged: residualNorm <= target };
}
