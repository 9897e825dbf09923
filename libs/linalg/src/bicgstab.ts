import { dot } from './dot';
import { nrm2 } from './nrm2';
import type { IterativeSolveOptions, LinearSolveResult, Matvec, Precond, SolveReason } from './linear-solve';
import { StallTest, checkSystem, optionalFunction, resolveSolveOptions, withRidge } from './linear-solve';

/** Options of {@link bicgstab}, with their defaults. */
export interface BicgstabOptions extends IterativeSolveOptions {
  /** M⁻¹ ≈ Â⁻¹, applied on the right. Default none. */
  readonly precond?: Precond;
  /**
   * Breakdown threshold: a recursion coefficient whose cosine |uᵀv| / (‖u‖‖v‖) falls below it (ρ = r̂ᵀr, r̂ᵀÂp̂ or
   * ω's tᵀs) ends the solve as `breakdown`. Default 1e-14.
   */
  readonly breakdownTol?: number;
}

/**
 * BiCGSTAB (van der Vorst, SIAM J. Sci. Stat. Comput. 1992) for a general square `Â = A + λI`, right-preconditioned:
 *
 *   r = b − Âx, r̂ = r, ρ = α = ω = 1, v = p = 0;  repeat:
 *     ρ⁺ = r̂ᵀr,  β = (ρ⁺/ρ)(α/ω),  p = r + β(p − ωv),  p̂ = M⁻¹p,  v = Âp̂,  α = ρ⁺ / r̂ᵀv,  s = r − αv,
 *     ŝ = M⁻¹s,  t = Âŝ,  ω = tᵀs / tᵀt,  x += αp̂ + ωŝ,  r = s − ωt
 *
 * Two products per iteration, short recurrences (no growing basis, unlike GMRES), but no minimization property:
 * it can break down. The breakdowns are detected (a near-zero ρ⁺, r̂ᵀv or tᵀs, relative to the norms involved) and
 * reported as `breakdown`; a stall of the best residual as `stalled`. Stops when ‖r‖ ≤ max(rtol·‖b‖, atol) (also
 * checked on s halfway through an iteration). `x` holds the warm start on entry and the solution on exit. Allocates
 * seven (nine with M⁻¹) work vectors once per call.
 *
 * @example bicgstab((p, out) => gemv(1, A, p, 0, out), b, x, { rtol: 1e-10 })
 */
export function bicgstab(matvec: Matvec, b: Float64Array, x: Float64Array, options: BicgstabOptions = {}): LinearSolveResult {
  const fn = 'bicgstab';
  checkSystem(fn, b, x);
  const n = b.length;
  const { rtol, atol, maxIter, ridge, stallWindow, stallFactor } = resolveSolveOptions(fn, options, n, ['precond', 'breakdownTol']);
  const precond = optionalFunction<Precond>(fn, 'precond', options.precond);
  const tiny = options.breakdownTol ?? 1e-14;
  if (typeof tiny !== 'number' || !Number.isFinite(tiny) || !(tiny >= 0)) {
    throw new RangeError(`${fn}: breakdownTol must be a finite number ≥ 0, received ${String(tiny)}`);
  }
  const op = withRidge(matvec, ridge);
  const r = new Float64Array(n);
  const rHat = new Float64Array(n);
  const p = new Float64Array(n);
  const v = new Float64Array(n);
  const s = new Float64Array(n);
  const t = new Float64Array(n);
  const pHat = precond ? new Float64Array(n) : p;
  const sHat = precond ? new Float64Array(n) : s;
  const stall = new StallTest(stallWindow, stallFactor);
  op(x, v);
  let matvecs = 1;
  for (let i = 0; i < n; i++) r[i] = b[i] - v[i];
  rHat.set(r);
  v.fill(0);
  const rHatNorm = nrm2(rHat);
  const target = Math.max(rtol * nrm2(b), atol);
  let rNorm = nrm2(r);
  let rho = 1;
  let alpha = 1;
  let omega = 1;
  let it = 0;
  let reason: SolveReason | undefined;
  while (rNorm > target && it < maxIter) {
    const rhoNew = dot(rHat, r);
    if (Number.isNaN(rhoNew)) {
      reason = 'non-finite';
      break;
    }
    if (!(Math.abs(rhoNew) > tiny * rHatNorm * rNorm)) {
      reason = 'breakdown';
      break;
    }
    const beta = (rhoNew / rho) * (alpha / omega);
    rho = rhoNew;
    for (let i = 0; i < n; i++) p[i] = r[i] + beta * (p[i] - omega * v[i]);
    if (precond) precond(p, pHat);
    op(pHat, v);
    matvecs++;
    const rv = dot(rHat, v);
    if (!(Math.abs(rv) > tiny * rHatNorm * nrm2(v))) {
      reason = Number.isNaN(rv) ? 'non-finite' : 'breakdown';
      break;
    }
    alpha = rho / rv;
    for (let i = 0; i < n; i++) s[i] = r[i] - alpha * v[i];
    const sNorm = nrm2(s);
    if (sNorm <= target) {
      for (let i = 0; i < n; i++) {
        x[i] += alpha * pHat[i];
        r[i] = s[i];
      }
      rNorm = sNorm;
      it++;
      break;
    }
    if (precond) precond(s, sHat);
    op(sHat, t);
    matvecs++;
    const ts = dot(t, s);
    const tt = dot(t, t);
    if (!(Math.abs(ts) > tiny * Math.sqrt(tt) * sNorm)) {
      // ω = 0 would end the recursion: keep the half step x += αp̂, whose residual is s
      for (let i = 0; i < n; i++) {
        x[i] += alpha * pHat[i];
        r[i] = s[i];
      }
      rNorm = sNorm;
      it++;
      reason = Number.isNaN(ts) || Number.isNaN(tt) ? 'non-finite' : 'breakdown';
      break;
    }
    omega = ts / tt;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * pHat[i] + omega * sHat[i];
      r[i] = s[i] - omega * t[i];
    }
    rNorm = nrm2(r);
    it++;
    if (Number.isNaN(rNorm)) {
      reason = 'non-finite';
      break;
    }
    if (stall.push(rNorm)) {
      reason = 'stalled';
      break;
    }
  }
  const converged = rNorm <= target;
  if (converged) reason = 'converged';
  reason ??= 'max-iter';
  return { iterations: it, matvecs, residualNorm: rNorm, converged, stalled: reason !== 'converged' && reason !== 'max-iter', reason };
}
