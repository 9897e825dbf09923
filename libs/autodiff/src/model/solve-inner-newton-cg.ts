import { conjugateGradient, dot, nrm2 } from '@bilevel/linalg';
import { INNER_TOL } from '@bilevel/problems';
import type { BilevelProblem, InnerSolution, InnerSolveOptions } from '@bilevel/problems';

type Oracles = Pick<BilevelProblem, 'dimZ' | 'fullInner' | 'innerValue' | 'innerGradZ' | 'innerHvp'>;

/** Armijo's sufficient-decrease constant. */
const ARMIJO = 1e-4;
/** Step halvings per Newton step at most. */
const MAX_HALVINGS = 50;
/** CG steps per Newton step at most (and 10·dimZ): a truncated solve still gives a descent direction. */
const CG_MAX_ITER = 500;
/** A change of G within this many ulps of |G| is rounding: the step is then judged by ‖∇_z G‖ instead. */
const ROUNDING_ULPS = 100;

/**
 * Evaluation-time inner solve by line-search Newton–CG (truncated Newton; Nocedal & Wright, "Numerical
 * Optimization", 2nd ed. 2006, Algorithm 7.1) on full-batch HVPs, to ‖∇_z G‖ ≤ tol (default 1e-10), at most
 * `maxIter` Newton steps (default 200), from `z0` (default zeros):
 *
 *   p ≈ −[∇²_zz G]⁻¹ ∇_z G   by CG to relative residual η = min(½, √‖∇_z G‖) (superlinear), stopped at the first
 *                            direction of non-positive curvature (then the CG iterate so far, or −∇_z G at the first
 *                            CG step: a non-convex G, e.g. a neural network away from a minimum, stays a descent);
 *   z ← z + t·p              t ∈ {1, ½, ¼, …} the first with G(z + tp) ≤ G(z) + 10⁻⁴·t·∇Gᵀp, or, once the change of G
 *                            is within rounding of |G|, the first that lowers ‖∇_z G‖ (so the solve reaches
 *                            tolerances below the rounding of G).
 *
 * On a non-convex G it finds a local minimizer (a point with ∇_z G = 0 reached by descent), the one its start leads
 * to. Stops short only at the step cap or when no step is accepted, and says so (`converged: false`).
 */
export function solveInnerNewtonCg(problem: Oracles, x: Float64Array, options: InnerSolveOptions = {}): InnerSolution {
  const d = problem.dimZ;
  const full = problem.fullInner;
  const tol = options.tol ?? INNER_TOL;
  const maxIter = options.maxIter ?? 200;
  const z = options.z0 ? Float64Array.from(options.z0) : new Float64Array(d);
  const g = new Float64Array(d);
  const gTry = new Float64Array(d);
  const zTry = new Float64Array(d);
  const p = new Float64Array(d);
  const rhs = new Float64Array(d);
  const hvp = (q: Float64Array, out: Float64Array) => problem.innerHvp(z, x, q, full, out);
  problem.innerGradZ(z, x, full, g);
  let f = problem.innerValue(z, x, full);
  let gradNorm = nrm2(g);
  let steps = 0;
  while (steps < maxIter && gradNorm > tol && Number.isFinite(gradNorm)) {
    p.fill(0);
    for (let i = 0; i < d; i++) rhs[i] = -g[i];
    conjugateGradient(hvp, rhs, p, { rtol: Math.min(0.5, Math.sqrt(gradNorm)), maxIter: Math.min(10 * d, CG_MAX_ITER) });
    let slope = dot(g, p);
    if (!(slope < 0)) {
      p.set(rhs);
      slope = -gradNorm * gradNorm;
    }
    let accepted = false;
    for (let h = 0, t = 1; h <= MAX_HALVINGS && !accepted; h++, t /= 2) {
      for (let i = 0; i < d; i++) zTry[i] = z[i] + t * p[i];
      const fTry = problem.innerValue(zTry, x, full);
      if (!Number.isFinite(fTry)) continue;
      const armijo = fTry <= f + ARMIJO * t * slope;
      const rounding = Math.abs(fTry - f) <= ROUNDING_ULPS * Number.EPSILON * Math.max(1, Math.abs(f));
      if (!armijo && !rounding) continue;
      problem.innerGradZ(zTry, x, full, gTry);
      const normTry = nrm2(gTry);
      if (armijo || normTry < gradNorm) {
        z.set(zTry);
        g.set(gTry);
        f = fTry;
        gradNorm = normTry;
        accepted = true;
      }
    }
    if (!accepted) break;
    steps++;
  }
  return { z, gradNorm, iterations: steps, converged: gradNorm <= tol, tol };
}
