import { dot } from './dot';
import { nrm2 } from './nrm2';
import type { IterativeSolveOptions, LinearSolveResult, Matvec, Precond, SolveReason } from './linear-solve';
import { StallTest, checkSystem, optionalFunction, resolveSolveOptions, withRidge } from './linear-solve';

/** Options of {@link conjugateGradient}: the common ones (stall test off by default here) and a preconditioner. */
export interface CgOptions extends IterativeSolveOptions {
  /** M⁻¹, symmetric positive definite, M ≈ A + λI: preconditioned CG. Default none (M = I). */
  readonly precond?: Precond;
}

/** What {@link conjugateGradient} reports. */
export type CgResult = LinearSolveResult;

/**
 * Conjugate gradient (Hestenes & Stiefel, 1952) for `(A + λI)·x = b` with `A + λI` symmetric positive definite,
 * given only as `matvec(p, out)` (writes `A·p` into `out`). With a preconditioner M⁻¹ (SPD), the recursions are
 *
 *   r₀ = b − Âx₀, z₀ = M⁻¹r₀, p₀ = z₀;   α = rᵀz / pᵀÂp,  x += αp,  r −= αÂp,  z = M⁻¹r,  β = r⁺ᵀz⁺ / rᵀz,  p = z + βp
 *
 * (Â = A + λI; without M, z = r: the plain method, to the bit as before preconditioning and ridge existed). `x`
 * holds the warm start on entry and the solution on exit. Stops when ‖r‖ ≤ max(rtol·‖b‖, atol) or after maxIter
 * steps; a curvature pᵀÂp ≤ 0 (A not positive definite) ends it as `indefinite`, a NaN as `non-finite`, and the
 * optional stall test (`stallWindow`, off by default here) as `stalled`, all reported as data. For SPD A the error
 * in the A-norm contracts by 2((√κ − 1)/(√κ + 1))^k after k steps (κ of M⁻¹Â with a preconditioner).
 * Allocates its three (four with M⁻¹) work vectors once per call, none per iteration.
 *
 * @example const res = conjugateGradient((p, out) => gemv(1, A, p, 0, out), b, x, { rtol: 1e-8, ridge: 1e-6 })
 */
export function conjugateGradient(matvec: Matvec, b: Float64Array, x: Float64Array, options: CgOptions = {}): CgResult {
  const fn = 'conjugateGradient';
  checkSystem(fn, b, x);
  const n = b.length;
  const { rtol, atol, maxIter, ridge, stallWindow, stallFactor } = resolveSolveOptions(fn, options, n, ['precond'], { stallWindow: 0 });
  const precond = optionalFunction<Precond>(fn, 'precond', options.precond);
  const op = withRidge(matvec, ridge);
  const r = new Float64Array(n);
  const p = new Float64Array(n);
  const ap = new Float64Array(n);
  const z = precond ? new Float64Array(n) : r;
  const stall = new StallTest(stallWindow, stallFactor);
  op(x, ap);
  let matvecs = 1;
  for (let i = 0; i < n; i++) r[i] = b[i] - ap[i];
  const target = Math.max(rtol * nrm2(b), atol);
  let rr = dot(r, r);
  let rz = rr;
  if (precond) {
    precond(r, z);
    rz = dot(r, z);
  }
  p.set(z);
  let it = 0;
  let reason: SolveReason | undefined = Number.isNaN(rr) ? 'non-finite' : undefined;
  while (Math.sqrt(rr) > target && it < maxIter) {
    op(p, ap);
    matvecs++;
    const pap = dot(p, ap);
    if (!(pap > 0)) {
      reason = Number.isNaN(pap) ? 'non-finite' : 'indefinite';
      break;
    }
    const alpha = rz / pap;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * ap[i];
    }
    let rzNew: number;
    if (precond) {
      rr = dot(r, r);
      precond(r, z);
      rzNew = dot(r, z);
    } else {
      rzNew = dot(r, r);
      rr = rzNew;
    }
    const beta = rzNew / rz;
    rz = rzNew;
    for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
    it++;
    if (Number.isNaN(rr)) {
      reason = 'non-finite';
      break;
    }
    if (stall.push(Math.sqrt(rr))) {
      reason = 'stalled';
      break;
    }
  }
  const residualNorm = Math.sqrt(rr);
  const converged = residualNorm <= target;
  if (converged) reason = 'converged';
  reason ??= 'max-iter';
  return { iterations: it, matvecs, residualNorm, converged, stalled: reason !== 'converged' && reason !== 'max-iter', reason };
}
