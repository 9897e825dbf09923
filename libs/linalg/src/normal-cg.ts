import { dot } from './dot';
import { nrm2 } from './nrm2';
import type { IterativeSolveOptions, LinearSolveResult, Matvec, Precond, SolveReason } from './linear-solve';
import { StallTest, checkSystem, optionalFunction, resolveSolveOptions, withRidge } from './linear-solve';

/** Options of {@link normalCg}, with their defaults. */
export interface NormalCgOptions extends IterativeSolveOptions {
  /** M⁻¹ ≈ (ÂᵀÂ)⁻¹, symmetric positive definite, applied to the normal-equation residual. Default none. */
  readonly precond?: Precond;
  /**
   * Stop as `least-squares` when ‖Âᵀr‖ ≤ lsqRtol·‖Âᵀr₀‖ while ‖r‖ is still above the target: b is then (numerically)
   * outside the range of Â and x minimizes ‖b − Âx‖. Default 1e-12.
   */
  readonly lsqRtol?: number;
}

/**
 * Conjugate gradient on the normal equations, in the CGLS form (Hestenes & Stiefel, 1952; Paige & Saunders, 1982),
 * for a square `Â = A + λI` that need not be symmetric: it solves ÂᵀÂx = Âᵀb with `matvec` (A·p) and `rmatvec`
 * (Aᵀ·p), never forming ÂᵀÂ:
 *
 *   r = b − Âx,  s = Âᵀr,  z = M⁻¹s,  p = z,  γ = sᵀz;
 *   repeat:  q = Âp,  α = γ/‖q‖²,  x += αp,  r −= αq,  s = Âᵀr,  z = M⁻¹s,  β = sᵀz/γ,  γ = sᵀz,  p = z + βp
 *
 * Two products per iteration; convergence is governed by κ(Â)², so it is the slow but safe choice for a
 * non-symmetric or indefinite system (no breakdown is possible while s ≠ 0). The ridge is added to A, not to ÂᵀÂ
 * (jaxopt's `solve_normal_cg` adds it to AᵀA): every solver of this library with ridge λ solves the same system.
 * Stops when ‖r‖ ≤ max(rtol·‖b‖, atol) (`converged`), when ‖s‖ vanishes first (`least-squares`), at maxIter, or when
 * the best ‖s‖ stalls. `x` holds the warm start on entry and the solution on exit. Allocates five (six with M⁻¹)
 * work vectors once per call.
 *
 * @example normalCg((p, out) => gemv(1, A, p, 0, out), (p, out) => gemv(1, A, p, 0, out, true), b, x, { rtol: 1e-10 })
 */
export function normalCg(matvec: Matvec, rmatvec: Matvec, b: Float64Array, x: Float64Array, options: NormalCgOptions = {}): LinearSolveResult {
  const fn = 'normalCg';
  checkSystem(fn, b, x);
  if (typeof rmatvec !== 'function') throw new RangeError(`${fn}: rmatvec (p, out) => Aᵀp is required, received ${typeof rmatvec}`);
  const n = b.length;
  const { rtol, atol, maxIter, ridge, stallWindow, stallFactor } = resolveSolveOptions(fn, options, n, ['precond', 'lsqRtol']);
  const precond = optionalFunction<Precond>(fn, 'precond', options.precond);
  const lsqRtol = options.lsqRtol ?? 1e-12;
  if (typeof lsqRtol !== 'number' || !Number.isFinite(lsqRtol) || !(lsqRtol >= 0)) {
    throw new RangeError(`${fn}: lsqRtol must be a finite number ≥ 0, received ${String(lsqRtol)}`);
  }
  const op = withRidge(matvec, ridge);
  const opT = withRidge(rmatvec, ridge);
  const r = new Float64Array(n);
  const s = new Float64Array(n);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  const z = precond ? new Float64Array(n) : s;
  const stall = new StallTest(stallWindow, stallFactor);
  op(x, q);
  for (let i = 0; i < n; i++) r[i] = b[i] - q[i];
  opT(r, s);
  let matvecs = 2;
  const target = Math.max(rtol * nrm2(b), atol);
  const sTarget = lsqRtol * nrm2(s);
  if (precond) precond(s, z);
  let gamma = dot(s, z);
  p.set(z);
  let rNorm = nrm2(r);
  let it = 0;
  let reason: SolveReason | undefined;
  while (rNorm > target && it < maxIter) {
    if (nrm2(s) <= sTarget) {
      reason = 'least-squares';
      break;
    }
    op(p, q);
    const qq = dot(q, q);
    if (!(qq > 0) || !(gamma > 0)) {
      matvecs++;
      reason = Number.isNaN(qq) || Number.isNaN(gamma) ? 'non-finite' : 'breakdown';
      break;
    }
    const alpha = gamma / qq;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * q[i];
    }
    opT(r, s);
    matvecs += 2;
    if (precond) precond(s, z);
    const gammaNew = dot(s, z);
    const beta = gammaNew / gamma;
    gamma = gammaNew;
    for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
    rNorm = nrm2(r);
    it++;
    if (Number.isNaN(rNorm) || Number.isNaN(gamma)) {
      reason = 'non-finite';
      break;
    }
    if (stall.push(nrm2(s))) {
      reason = 'stalled';
      break;
    }
  }
  const converged = rNorm <= target;
  if (converged) reason = 'converged';
  reason ??= 'max-iter';
  return { iterations: it, matvecs, residualNorm: rNorm, converged, stalled: reason !== 'converged' && reason !== 'max-iter' && reason !== 'least-squares', reason };
}
