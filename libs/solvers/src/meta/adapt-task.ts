import { nrm2 } from '@bilevel/linalg';
import type { MetaLearningProblem } from '@bilevel/autodiff';
import type { ResolvedAdapt } from './meta-options';

/** What one adaptation reached. */
export interface AdaptResult {
  /** Gradient or Newton steps taken. */
  readonly steps: number;
  /** ‖∇_φ g_j‖ at the last gradient evaluated (before the last step for `gd` without a tolerance). */
  readonly gradNorm: number;
}

/**
 * Adapts θ to task j, the inner problem of iMAML: out ← φ ≈ argmin_φ g_j(φ, θ) = L̂_j(φ) + (λ/2)‖φ − θ‖², started at
 * φ = θ, by `innerSteps` gradient steps φ ← φ − α∇_φ g_j(φ, θ) (stopping early once ‖∇_φ g_j‖ ≤ innerTol) or by
 * line-search Newton–CG on HVPs to innerTol (at most innerSteps Newton steps; `task(j).solveInner`). The gradient
 * steps call the problem's oracles on the batch [j], so a counting wrapper counts them; the Newton–CG solve runs
 * on the task's own problem and is not counted (its steps are returned). `g` is scratch of length dim θ.
 */
export function adaptTask(problem: MetaLearningProblem, j: number, theta: Float64Array, o: ResolvedAdapt, out: Float64Array, g: Float64Array): AdaptResult {
  if (o.innerMethod === 'newton-cg') {
    const res = problem.task(j).solveInner(theta, { z0: theta, tol: o.innerTol, maxIter: o.innerSteps });
    out.set(res.z);
    return { steps: res.iterations, gradNorm: res.gradNorm };
  }
  const batch = Int32Array.of(j);
  out.set(theta);
  let gradNorm = NaN;
  let steps = 0;
  while (steps < o.innerSteps) {
    problem.innerGradZ(out, theta, batch, g);
    gradNorm = nrm2(g);
    if (gradNorm <= o.innerTol) break;
    for (let i = 0; i < out.length; i++) out[i] -= o.innerStep * g[i];
    steps++;
  }
  return { steps, gradNorm };
}
