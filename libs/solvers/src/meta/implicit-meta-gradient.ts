import { conjugateGradient } from '@bilevel/linalg';
import type { SolveReason } from '@bilevel/linalg';
import type { MetaLearningProblem } from '@bilevel/autodiff';
import { trustRegionCg } from './trust-region-cg';

/** Options of {@link implicitMetaGradient}. */
export interface ImplicitMetaGradientOptions {
  /** CG steps at most. Default 5 (the iMAML paper and the authors' `--cg_steps 5`). */
  readonly cgSteps?: number;
  /** CG stops once ‖r‖ ≤ cgTol·‖∇L_j(φ)‖. Default 1e-10 (so `cgSteps` decides). */
  readonly cgTol?: number;
  /**
   * The system CG solves. `paper` (default): (I + ∇²L̂_j/λ)·g = ∇L_j, Algorithm 2. `damped`: the authors' code
   * (aravindr93/imaml_dev, learner_model.py `matrix_evaluator`, `regu_coef = 1`, `lam_damping = 10`):
   * (2I + ∇²L̂_j/(λ + 10))·g = ∇L_j, positive definite wherever ∇²L̂_j ≻ −2(λ + 10)I, so CG meets no negative
   * curvature on a non-convex loss where λ alone leaves ∇²L̂_j + λI indefinite; g is then about half the paper's.
   */
  readonly cgSystem?: 'paper' | 'damped';
  /**
   * Caps the meta-gradient at ‖g‖ ≤ cgRadius·‖∇L_j‖ by truncated CG in that ball (Steihaug 1983): a curvature of
   * ∇²L̂_j + λI near 0 then no longer makes one task's g thousands of times its query gradient, and a direction of
   * negative curvature is followed to the ball's edge. Default Infinity: CG stops at negative curvature instead.
   */
  readonly cgRadius?: number;
}

/** The authors' damping of the CG system: `lam_damping` added to λ, and `regu_coef` (1) added to the identity. */
export const IMAML_AUTHORS_DAMPING = 10;

/** What the CG solve of one task reached. */
export interface ImplicitMetaGradientResult {
  readonly iterations: number;
  /** ‖r‖/‖b‖ at the end. */
  readonly relativeResidual: number;
  /**
   * Why CG stopped: converged, max-iter, indefinite (a direction of non-positive curvature: v is the iterate before
   * it, or at the first step the first direction b scaled as if ∇²L̂_j were 0), non-finite.
   */
  readonly reason: SolveReason | 'boundary';
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
 *
 * On a non-convex L̂_j (a relu convnet) ∇²L̂_j + λI can be indefinite. CG then stops at the first direction p of
 * non-positive curvature pᵀ(∇²g)p ≤ 0 and keeps the iterate before it (truncated CG, Steihaug 1983; Nocedal &
 * Wright, Algorithm 7.1), reported as `indefinite`. If that is the first direction (b itself), the iterate before it
 * is 0 and the task would add nothing: v is then b/λ instead, the solution with ∇²L̂_j dropped, i.e. g = ∇L_j, the
 * first-order MAML meta-gradient. With `cgSystem: 'damped'`, CG runs on ∇²g + (2μ − λ)I (μ = λ + 10: the same
 * operator as the authors' 2I + ∇²L̂_j/μ, times μ) and v is rescaled by μ/λ so that g = −λv is the authors' g.
 * Truncation alone does not bound g: a curvature pᵀ(∇²g)p > 0 near 0 before any negative one makes a CG step
 * arbitrarily long (on the Omniglot convnet at λ = 2, ‖g‖ reached 18,000·‖∇L_j‖ on one task, which then outweighed
 * the rest of its meta-batch). With `cgRadius` R, CG runs in the ball ‖g‖ ≤ R‖∇L_j‖ instead (Steihaug's truncated CG, trust-region-cg.ts):
 * a step that would leave it, or a direction of negative curvature, ends on its edge (`reason: 'boundary'` or
 * `'indefinite'`).
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
  const lambda = problem.lambda;
  const mu = lambda + IMAML_AUTHORS_DAMPING;
  const ridge = options.cgSystem === 'damped' ? 2 * mu - lambda : 0;
  const norm = Math.sqrt(bb);
  const matvec = (p: Float64Array, out: Float64Array) => problem.innerHvp(phi, theta, p, batch, out);
  const rtol = options.cgTol ?? 1e-10;
  const maxIter = options.cgSteps ?? 5;
  // g = −s·v with s = λ (paper) or μ (damped, before the rescaling below): ‖g‖ ≤ R‖∇L_j‖ ⇔ ‖v‖ ≤ R‖b‖/s
  const radius = options.cgRadius ?? Infinity;
  const res = Number.isFinite(radius)
    ? trustRegionCg(matvec, b, v, { radius: norm > 0 ? (radius * norm) / (ridge > 0 ? mu : lambda) : 1, maxIter, rtol, ridge })
    : conjugateGradient(matvec, b, v, { rtol, maxIter, ridge });
  if (res.reason === 'indefinite' && res.iterations === 0) for (let i = 0; i < v.length; i++) v[i] = b[i] / (lambda + ridge);
  if (ridge > 0) for (let i = 0; i < v.length; i++) v[i] *= mu / lambda;
  return {
    iterations: res.iterations,
    relativeResidual: norm > 0 ? res.residualNorm / norm : 0,
    reason: res.reason,
    queryGradNorm: norm,
  };
}
