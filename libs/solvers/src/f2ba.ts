import type { BilevelProblem } from '@bilevel/problems';
import { requireOracles } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import { knownKeys, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link f2ba}, with their defaults. */
export interface F2baOptions {
  /** Accepted for a common interface (grids pass it to every solver); F2BA uses full batches. */
  readonly batchSize?: number;
  /** α, step of the lower-level iterate y (the paper's 1/ℓ). Default 0.1. */
  readonly innerStep?: number;
  /** τ, step of the penalty iterate u. Default α/λ (the paper's τ = 1/(2λℓ), two time scales, up to the factor 2). */
  readonly penaltyStep?: number;
  /** η, step of x (the paper's order 1/(ℓκ³), independent of λ). Default 0.1. */
  readonly outerStep?: number;
  /** λ, the fixed penalty weight (the paper's λ ≍ ℓκ²/ε: bias O(1/λ)). Default 100. */
  readonly lambda?: number;
  /** K, warm-started steps of y and of u per outer step (the paper's O(κ log(1/ε))). Default 10. */
  readonly innerSteps?: number;
}

const KEYS = ['batchSize', 'innerStep', 'penaltyStep', 'outerStep', 'lambda', 'innerSteps'] as const;

interface InnerState {
  readonly problem: BilevelProblem;
  readonly g: Float64Array;
}
interface LinsysState {
  readonly problem: BilevelProblem;
  readonly gg: Float64Array;
  readonly gf: Float64Array;
}
interface OuterState {
  readonly problem: BilevelProblem;
  readonly fx: Float64Array;
  readonly gu: Float64Array;
  readonly gy: Float64Array;
  penaltyGapNorm: number;
}

/**
 * F²BA, the Fully First-order Bilevel Approximation (Chen, Ma, Zhang, "Near-Optimal Nonconvex-Strongly-Convex Bilevel
 * Optimization with Fully First-Order Oracles", arXiv 2306.14853, 2023; JMLR 2025). The penalty hyper-objective
 *   L_λ(x) = min_u [F(u, x) + λ G(u, x)] − λ min_y G(y, x),   ∇L_λ(x) = ∇_x F(u*, x) + λ [∇_x G(u*, x) − ∇_x G(y*, x)]
 * is within O(1/λ) of h and its gradient is Lipschitz with a constant that does not grow with λ; so, unlike F2SA
 * (ICML 2023), λ is fixed at O(1/ε) and the outer step stays constant. Step t (full batches; gauss-seidel):
 *   inner (y, in the z slot):     K times  y ← y − α ∇_z G(y, x_t)                       (warm-started)
 *   linsys (u, in the v slot):    K times  u ← u − τ (∇_z F(u, x_t) + λ ∇_z G(u, x_t))    (warm-started)
 *   outer:                        x ← x − η (∇_x F(u, x) + λ [∇_x G(u, x) − ∇_x G(y, x)])
 * with the two time scales τ = α/λ. Only gradients (no Hessian-vector or cross product): Õ(ε⁻²) first-order calls to an
 * ε-stationary point, the rate of the second-order methods and better than F2SA's Õ(ε⁻³) in the deterministic case
 * (the paper's stochastic variant is F2SA with this analysis). Defaults are ours (the paper states orders only): α = η =
 * 0.1, λ = 100, K = 10. Needs ∇_x g (innerGradX). Diagnostics (outer): penaltyGapNorm = ‖∇_x G(u) − ∇_x G(y)‖.
 *
 * @example runLoop(problem, f2ba({ lambda: 1000, innerSteps: 20 }), { maxIter: 2000 })
 */
export function f2ba(options: F2baOptions = {}): Solver {
  const fn = 'f2ba';
  knownKeys(fn, options, KEYS);
  if (options.batchSize !== undefined) positiveInteger(fn, 'batchSize', options.batchSize);
  const alpha = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const lambda = positiveNumber(fn, 'lambda', options.lambda ?? 100);
  const tau = positiveNumber(fn, 'penaltyStep', options.penaltyStep ?? alpha / lambda);
  const eta = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const K = positiveInteger(fn, 'innerSteps', options.innerSteps ?? 10);

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    description: { estimator: 'full-batch', step: { kind: 'other', rule: `${K} gradient steps of ${alpha}` } },
    init: (problem) => ({ problem, g: new Float64Array(problem.dimZ) }),
    step(s, { z, x }, _t, out) {
      const { problem, g } = s;
      out.set(z);
      for (let m = 0; m < K; m++) {
        problem.innerGradZ(out, x, problem.fullInner, g);
        for (let k = 0; k < out.length; k++) out[k] -= alpha * g[k];
      }
    },
  };

  const linsys: StreamPart<LinsysState> = {
    stream: 'linsys',
    description: { estimator: 'full-batch', step: { kind: 'other', rule: `${K} gradient steps of ${tau} on F + ${lambda}·G` } },
    init: (problem) => ({ problem, gg: new Float64Array(problem.dimZ), gf: new Float64Array(problem.dimZ) }),
    step(s, { v: u, x }, _t, out) {
      const { problem, gg, gf } = s;
      out.set(u);
      for (let m = 0; m < K; m++) {
        problem.innerGradZ(out, x, problem.fullInner, gg);
        problem.outerGradZ(out, x, problem.fullOuter, gf);
        for (let k = 0; k < out.length; k++) out[k] -= tau * (gf[k] + lambda * gg[k]);
      }
    },
  };

  const outer: StreamPart<OuterState> = {
    stream: 'outer',
    description: { estimator: 'full-batch', step: { kind: 'constant', value: eta } },
    init(problem) {
      requireOracles(problem, ['innerGradX'], fn);
      return { problem, fx: new Float64Array(problem.dimX), gu: new Float64Array(problem.dimX), gy: new Float64Array(problem.dimX), penaltyGapNorm: 0 };
    },
    step(s, { z: y, v: u, x }, _t, out) {
      const { problem, fx, gu, gy } = s;
      const gradX = problem.innerGradX as NonNullable<BilevelProblem['innerGradX']>;
      problem.outerGradX(u, x, problem.fullOuter, fx);
      gradX.call(problem, u, x, problem.fullInner, gu);
      gradX.call(problem, y, x, problem.fullInner, gy);
      let sq = 0;
      for (let k = 0; k < out.length; k++) {
        const gap = gu[k] - gy[k];
        sq += gap * gap;
        out[k] = x[k] - eta * (fx[k] + lambda * gap);
      }
      s.penaltyGapNorm = Math.sqrt(sq);
    },
    diagnostics: (s) => ({ penaltyGapNorm: s.penaltyGapNorm }),
  };

  return {
    name: 'f2ba',
    citation: 'Chen, Ma, Zhang. Near-Optimal Nonconvex-Strongly-Convex Bilevel Optimization with Fully First-Order Oracles. arXiv 2306.14853, 2023 (JMLR 2025).',
    schedule: 'gauss-seidel',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: { batchSize: 'full', innerStep: alpha, penaltyStep: tau, outerStep: eta, lambda, innerSteps: K },
  };
}
