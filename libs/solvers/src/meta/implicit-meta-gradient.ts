import { conjugateGradient } from '@bilevel/linalg';
import type { SolveReason } from '@bilevel/linalg';
import type { MetaLearningProblem } from '@bilevel/autodiff';

/** Options of {@link implicitMetaGradient}. */
export interface ImplicitMetaGradientOptions {
  /** CG steps at most. Default 5 (the iMAML paper and the authors' `--cg_steps 5`). */
  readonly cgSteps?: number;
  /** CG stops once ‖r‖ ≤ cgTol·‖∇L_j(φ)‖. Default 1e-10 (so `cgSteps` decides). */
  readonly cgTol?: number;
}

/** What the CG solve of one task reached. */
export interface ImplicitMetaGradientResult {
  readonly iterations: number;
  /** ‖r‖/‖b‖ at the end. */
  readonly relativeResidual: number;
  /** Why CG stopped: converged, max-iter, indefinite (a direction of non-positive curvature), non-finite. */
  readonly reason: SolveReason;
  /** ‖∇L_j(φ)‖, the query gradient. */
  readonly queryGradNorm: number;
}

/**
 * iMAML's implicit meta-gradient of task j at the adapted weights φ (Rajeswaran et al., NeurIPS 2019, Algorithm 2):
 * the solution of (I + ∇²L̂_j(φ)/λ)·g = ∇L_j(φ) by conjugate gradient with Hessian-vector products, computed in
 * the contract's form: v ← the CG solution of ∇²_φφ g_j(φ, θ)·v = −∇_φ f_j(φ) (∇²g_j = ∇²L̂_j + λI, so g = −λv, the
 * cross term ∇²_θφ g_j·v). CG is invariant to scaling the system, so its iterates are those of the paper's system.
 * Writes v into `v` (warm start: zeros) and returns what CG reached; `b` is scratch of length dim θ. Oracle calls
 * on the batch [j]: one ∇f_j, and one HVP per CG step (plus one for the initial residual).
 */
export function implicitMetaGradient(problem: MetaLearningProblem, j: number, theta: Float64Array, phi: Float64Array, options: ImplicitMetaGradientOptions, v: Float64Array, b: Float64Array): ImplicitMetaGradientResult {
  const batch = Int32Array.of(j);
  problem.outerGradZ(phi, theta, batch, b);
  let bb = 0;
  for (let i = 0; i < b.length; i++) {
    b[i] = -b[i];
    bb += b[i] * b[i];
  }
  v.fill(0);
  const res = conjugateGradient((p, out) => problem.innerHvp(phi, theta, p, batch, out), b, v, { rtol: options.cgTol ?? 1e-10, maxIter: options.cgSteps ?? 5 });
  const norm = Math.sqrt(bb);
  return {
    iterations: res.iterations,
    relativeResidual: norm > 0 ? res.residualNorm / norm : 0,
    reason: res.reason,
    queryGradNorm: norm,
  };
}
