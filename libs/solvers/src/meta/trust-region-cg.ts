import { dot, nrm2 } from '@bilevel/linalg';
import type { Matvec } from '@bilevel/linalg';

/** Options of {@link trustRegionCg}. */
export interface TrustRegionCgOptions {
  /** The radius Δ > 0 of the ball ‖x‖ ≤ Δ. */
  readonly radius: number;
  /** CG steps at most. */
  readonly maxIter: number;
  /** Stops once ‖r‖ ≤ rtol·‖b‖. */
  readonly rtol: number;
  /** A ridge ρ: the operator is A + ρI. Default 0. */
  readonly ridge?: number;
}

/** What {@link trustRegionCg} reached. */
export interface TrustRegionCgResult {
  readonly iterations: number;
  /** ‖b − (A + ρI)x‖ at the end. */
  readonly residualNorm: number;
  /**
   * converged (‖r‖ ≤ rtol·‖b‖ inside the ball), max-iter (inside the ball), boundary (the next CG step would have
   * left the ball: x is on it), indefinite (a direction of non-positive curvature: x went along it to the ball's
   * edge), non-finite (a NaN).
   */
  readonly reason: 'converged' | 'max-iter' | 'boundary' | 'indefinite' | 'non-finite';
}

/** τ ≥ 0 with ‖x + τp‖ = Δ (x inside the ball, p ≠ 0): the positive root of ‖p‖²τ² + 2xᵀpτ + ‖x‖² − Δ² = 0. */
function toBoundary(x: Float64Array, p: Float64Array, radius: number): number {
  const pp = dot(p, p);
  const xp = dot(x, p);
  const c = dot(x, x) - radius * radius;
  const disc = Math.sqrt(Math.max(xp * xp - pp * c, 0));
  // the root (−xp + disc)/pp without cancellation when xp > 0
  return xp > 0 ? -c / (xp + disc) : (disc - xp) / pp;
}

/**
 * Truncated conjugate gradient in a ball (Steihaug, SIAM J. Numer. Anal. 1983; Toint 1981; Nocedal & Wright,
 * Numerical Optimization, 2nd ed., Algorithm 7.2): approximately minimizes the model m(x) = ½xᵀ(A + ρI)x − bᵀx over
 * ‖x‖ ≤ Δ from x = 0 with CG steps on `matvec` (A symmetric, not necessarily definite):
 *
 *   r = b, p = r;  each step: κ = pᵀÂp;  κ ≤ 0 → x += τp to the edge, stop;  α = rᵀr/κ;
 *   ‖x + αp‖ ≥ Δ → x += τp to the edge, stop;  x += αp, r −= αÂp;  ‖r‖ ≤ rtol‖b‖ → stop;  p = r + (r⁺ᵀr⁺/rᵀr)p.
 *
 * On a positive definite system whose solution lies inside the ball, its iterates are plain CG's; ‖x‖ grows
 * monotonically along them (Steihaug's Theorem 2.1), so the ball caps the steps a curvature near 0 would make
 * arbitrarily long, and a direction of negative curvature is followed to the edge instead of dropped. Writes x into
 * `x` (overwritten: the start is 0). Allocates its three work vectors once per call.
 *
 * @example trustRegionCg((p, out) => hvp(p, out), b, x, { radius: 1, maxIter: 5, rtol: 1e-10 })
 */
export function trustRegionCg(matvec: Matvec, b: Float64Array, x: Float64Array, options: TrustRegionCgOptions): TrustRegionCgResult {
  const { radius, maxIter, rtol } = options;
  const ridge = options.ridge ?? 0;
  if (!(radius > 0) || !Number.isFinite(radius)) throw new RangeError(`trustRegionCg: options.radius must be a positive finite number, received ${radius}`);
  const n = b.length;
  if (x.length !== n) throw new RangeError(`trustRegionCg: x has length ${x.length}, expected ${n} (the length of b)`);
  const r = Float64Array.from(b);
  const p = Float64Array.from(b);
  const ap = new Float64Array(n);
  x.fill(0);
  const target = rtol * nrm2(b);
  let rr = dot(r, r);
  if (Number.isNaN(rr)) return { iterations: 0, residualNorm: NaN, reason: 'non-finite' };
  let it = 0;
  let reason: TrustRegionCgResult['reason'] | undefined;
  while (Math.sqrt(rr) > target && it < maxIter) {
    matvec(p, ap);
    if (ridge !== 0) for (let i = 0; i < n; i++) ap[i] += ridge * p[i];
    const pap = dot(p, ap);
    if (Number.isNaN(pap)) {
      reason = 'non-finite';
      break;
    }
    const alpha = rr / pap;
    const leaves = !(pap > 0) || (() => {
      let s = 0;
      for (let i = 0; i < n; i++) s += (x[i] + alpha * p[i]) ** 2;
      return s >= radius * radius;
    })();
    if (leaves) {
      const tau = toBoundary(x, p, radius);
      for (let i = 0; i < n; i++) {
        x[i] += tau * p[i];
        r[i] -= tau * ap[i];
      }
      rr = dot(r, r);
      it++;
      reason = pap > 0 ? 'boundary' : 'indefinite';
      break;
    }
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * ap[i];
    }
    const rrNew = dot(r, r);
    const beta = rrNew / rr;
    rr = rrNew;
    for (let i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
    it++;
    if (Number.isNaN(rr)) {
      reason = 'non-finite';
      break;
    }
  }
  const residualNorm = Math.sqrt(rr);
  reason ??= residualNorm <= target ? 'converged' : 'max-iter';
  return { iterations: it, residualNorm, reason };
}
