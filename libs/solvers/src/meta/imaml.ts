import type { MetaLearningProblem } from '@bilevel/autodiff';
import type { Solver, StreamPart } from '../solver';
import { enumOption, knownKeys, positiveInteger, positiveNumber } from '../validate-options';
import { implicitMetaGradient } from './implicit-meta-gradient';
import type { AdaptOptions, MetaOuterOptions } from './meta-options';
import { ADAPT_KEYS, OUTER_KEYS, resolveAdapt, resolveOuter } from './meta-options';
import { adamOuterPart, hypergradientDirection, metaBatchOf, metaInnerPart, metaProblem } from './meta-parts';

/** Options of {@link imaml}, with their defaults. */
export interface ImamlOptions extends AdaptOptions, MetaOuterOptions {
  /** CG steps per task. Default 5 (paper §4 and `--cg_steps 5`). */
  readonly cgSteps?: number;
  /** CG stops once its residual is ≤ cgTol·‖∇L_j‖. Default 1e-10 (`cgSteps` decides). */
  readonly cgTol?: number;
  /**
   * `paper` (default): CG on (I + ∇²L̂/λ)g = ∇L_query; `damped`: the authors' code, CG on (2I + ∇²L̂/(λ + 10))g =
   * ∇L_query, positive definite on a non-convex loss where λ alone is not ({@link implicitMetaGradient}).
   */
  readonly cgSystem?: 'paper' | 'damped';
  /**
   * Caps each task's meta-gradient at ‖g_b‖ ≤ cgRadius·‖∇L_b‖: CG in that ball (Steihaug's truncated CG,
   * {@link implicitMetaGradient}). Default Infinity (none: CG stops at the first direction of negative curvature).
   */
  readonly cgRadius?: number;
}

const KEYS = [...ADAPT_KEYS, ...OUTER_KEYS, 'cgSteps', 'cgTol', 'cgSystem', 'cgRadius'];

interface LinsysState {
  readonly problem: MetaLearningProblem;
  readonly v: Float64Array;
  readonly b: Float64Array;
  iterations: number;
  relativeResidual: number;
  indefinite: number;
  boundary: number;
}

/**
 * Implicit MAML (Rajeswaran, Finn, Kakade, Levine, "Meta-Learning with Implicit Gradients", NeurIPS 2019,
 * Algorithm 1 with the CG meta-gradient of Algorithm 2) on a {@link MetaLearningProblem}, as three streams:
 *   inner:  draw B tasks; φ_b ≈ argmin L̂_b(φ) + (λ/2)‖φ − θ‖² from φ = θ (`innerSteps` gradient steps of size
 *           `innerStep`, or Newton–CG, to `innerTol`); z = mean φ_b, published with the task ids and every φ_b;
 *   linsys: per task, `cgSteps` CG steps with HVPs on (∇²L̂_b(φ_b) + λI)v_b = −∇L_b(φ_b), i.e. the paper's
 *           (I + ∇²L̂_b/λ)g_b = ∇L_b with g_b = −λv_b, stopped at the first direction of non-positive curvature
 *           (truncated CG: ∇²L̂_b + λI is indefinite on a non-convex loss; counted as `cgIndefinite`), or the
 *           authors' damped system with `cgSystem: 'damped'`; v = mean v_b;
 *   outer:  d = ∇_θF + ∇²_θφG·v = mean g_b; θ ← Adam(θ, d).
 * Memory independent of the inner path (no unrolling). Defaults: the authors' Omniglot command (aravindr93/imaml_dev,
 * examples/README.md): 16 inner steps of 0.1, 5 CG steps, 32 tasks, Adam lr 1e-3 with ϵ = 1e-3; λ is the problem's
 * (`--lam 2.0`). The authors' code departs from the paper twice (plain GD then one pull-back step inside, CG on
 * 2I + H/(λ+10)); this follows the paper unless `cgSystem: 'damped'`. Schedule: gauss-seidel.
 *
 * @example run(metaLearningProblem({ model, tasks, lambda: 2 }), imaml({ metaBatch: 16 }), { maxIter: 1000 })
 */
export function imaml(options: ImamlOptions = {}): Solver {
  const fn = 'imaml';
  knownKeys(fn, options, KEYS);
  const adapt = resolveAdapt(fn, options);
  const outerOpts = resolveOuter(fn, options);
  const cgSteps = positiveInteger(fn, 'cgSteps', options.cgSteps ?? 5);
  const cgTol = positiveNumber(fn, 'cgTol', options.cgTol ?? 1e-10);
  const cgSystem = enumOption(fn, 'cgSystem', options.cgSystem ?? 'paper', ['paper', 'damped'] as const);
  const cgRadius = options.cgRadius === undefined || options.cgRadius === Infinity ? Infinity : positiveNumber(fn, 'cgRadius', options.cgRadius);

  const linsys: StreamPart<LinsysState> = {
    stream: 'linsys',
    description: { estimator: 'meta-batch', batchSize: outerOpts.metaBatch, linearSolver: { kind: 'krylov', method: 'cg' } },
    init(problem) {
      const p = metaProblem(fn, problem);
      return { problem: p, v: new Float64Array(p.dimZ), b: new Float64Array(p.dimZ), iterations: 0, relativeResidual: 0, indefinite: 0, boundary: 0 };
    },
    step(s, reads, _t, out) {
      const { tasks, phis } = metaBatchOf(fn, reads);
      const { problem, v, b } = s;
      const P = problem.dimZ;
      const B = tasks.length;
      out.fill(0);
      let iterations = 0;
      let residual = 0;
      let indefinite = 0;
      let boundary = 0;
      for (let k = 0; k < B; k++) {
        const r = implicitMetaGradient(problem, tasks[k], reads.x, phis.subarray(k * P, (k + 1) * P), { cgSteps, cgTol, cgSystem, cgRadius }, v, b);
        iterations += r.iterations / B;
        residual += r.relativeResidual / B;
        if (r.reason === 'indefinite') indefinite++;
        if (r.reason === 'boundary') boundary++;
        for (let i = 0; i < P; i++) out[i] += v[i] / B;
      }
      s.iterations = iterations;
      s.relativeResidual = residual;
      s.indefinite = indefinite;
      s.boundary = boundary;
    },
    diagnostics: (s) => ({ cgIterations: s.iterations, cgRelativeResidual: s.relativeResidual, cgIndefinite: s.indefinite, cgBoundary: s.boundary }),
  };

  return {
    name: fn,
    citation: 'Rajeswaran, Finn, Kakade, Levine. Meta-Learning with Implicit Gradients. NeurIPS 2019.',
    schedule: 'gauss-seidel',
    inner: metaInnerPart(fn, adapt, outerOpts.metaBatch) as StreamPart,
    linsys: linsys as StreamPart,
    outer: adamOuterPart(fn, outerOpts.outerStep, outerOpts.adamEps, hypergradientDirection(fn)) as StreamPart,
    options: { ...adapt, ...outerOpts, cgSteps, cgTol, cgSystem, ...(Number.isFinite(cgRadius) ? { cgRadius } : {}) },
  };
}
