import { nrm2, Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';

/**
 * A starting point far from the minimizer, at a prescribed hypergradient norm: x₀ = x* + t·u with u standard normal
 * drawn from `Rng.fromSeed(seed)` and t = G / ‖∇h(x* + u)‖, so that ‖∇h(x₀)‖ = G exactly when h is quadratic
 * (∇h(x* + t·u) = t·∇²h·u). Normalizing by the gradient rather than the distance makes the initial gap the same size
 * on every problem, whatever its outer curvature μ_h. u uses the generator's own draws; a run with the same seed uses
 * only jumped-ahead splits of it, so u is independent of the run's samplers. Needs the closed-form `solution()`.
 *
 * @example run(problem, solver, { seed, x0: farStart(problem, seed, 100) })
 */
export function farStart(problem: BilevelProblem, seed: number, gradientNorm: number): Float64Array {
  if (!problem.solution) throw new RangeError(`farStart: problem "${problem.name}" has no closed-form solution()`);
  if (!(gradientNorm >= 0) || !Number.isFinite(gradientNorm)) {
    throw new RangeError(`farStart: gradientNorm must be a finite number ≥ 0, received ${gradientNorm}`);
  }
  const u = Rng.fromSeed(seed).normals(new Float64Array(problem.dimX));
  const xs = problem.solution().x;
  const g = nrm2(problem.hypergradient(Float64Array.from(xs, (v, i) => v + u[i])).grad);
  const t = g > 0 ? gradientNorm / g : 0;
  return Float64Array.from(xs, (v, i) => v + t * u[i]);
}
