import { BlockSampler } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import { requireOracles } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import { powerDecay } from './power-decay';
import { knownKeys, nonNegativeNumber, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link f2sa}, with their defaults (the public benchmark's `solvers/f2sa.py`, commit 3ad65dc). */
export interface F2saOptions {
  /** Minibatch size of every oracle. Default 64. */
  readonly batchSize?: number;
  /** γ₀, step of the lower-level iterate y (and default α₀ of the penalty iterate). Default 0.01. */
  readonly innerStep?: number;
  /** ξ₀, step of x. Default 0.01 (the benchmark's step_size / outer_ratio with outer_ratio = 1). */
  readonly outerStep?: number;
  /** α₀, step of the penalty iterate. Default: innerStep. */
  readonly penaltyStep?: number;
  /** Exponent of γ_k = γ₀ (k+1)^−c. Default 4/7. */
  readonly innerDecay?: number;
  /** Exponent of α_k = α₀ (k+1)^−a / (1 + s λ_k). Default 5/7. */
  readonly penaltyDecay?: number;
  /** Exponent of ξ_k = ξ₀ (k+1)^−b. Default 4/7. */
  readonly outerDecay?: number;
  /** s in α_k = α₀ (k+1)^−a / (1 + s λ_k): with s = L_G / L_F and α₀ = 1/L_F, α_k = 1/(L_F + λ_k L_G). Default 0 (the benchmark). */
  readonly penaltyStepScale?: number;
  /** λ₀. Default 1. */
  readonly lambda0?: number;
  /** δ₀ in the increments λ_{k+1} = λ_k + δ₀ (k+1)^−e (0 keeps λ fixed). Default 0.1. */
  readonly lambdaStep?: number;
  /**
   * e. Default 6/7, so λ grows like k^{1/7} (the paper's λ_k = γ_k/α_k rate). The public benchmark uses 1/7 (λ ∝ k^{6/7}),
   * which outruns the shrinking steps and diverges on the contract quadratic (test/src/solvers/inexact/f2sa.slow.ts).
   */
  readonly lambdaDecay?: number;
  /** T, steps of y and of the penalty iterate per outer step. Default 10. */
  readonly innerSteps?: number;
}

const KEYS = [
  'batchSize',
  'innerStep',
  'outerStep',
  'penaltyStep',
  'innerDecay',
  'penaltyDecay',
  'outerDecay',
  'penaltyStepScale',
  'lambda0',
  'lambdaStep',
  'lambdaDecay',
  'innerSteps',
] as const;

/** Published by the outer stream with x: the penalty weight for the next round. */
interface F2saControl {
  readonly lambda: number;
}

interface InnerState {
  readonly problem: BilevelProblem;
  readonly sampler: BlockSampler;
  readonly g: Float64Array;
  readonly gamma: (k: number) => number;
  step: number;
}

interface LinsysState {
  readonly problem: BilevelProblem;
  readonly innerSampler: BlockSampler;
  readonly outerSampler: BlockSampler;
  readonly gg: Float64Array;
  readonly gf: Float64Array;
  readonly alpha: (k: number) => number;
  step: number;
  lambda: number;
}

interface OuterState {
  readonly problem: BilevelProblem;
  readonly innerSampler: BlockSampler;
  readonly outerSampler: BlockSampler;
  readonly fx: Float64Array;
  readonly gv: Float64Array;
  readonly gy: Float64Array;
  readonly xi: (k: number) => number;
  readonly dLambda: (k: number) => number;
  step: number;
  lambda: number;
}

/**
 * F2SA, the Fully First-order Stochastic Approximation method (Kwon, Kwon, Wright, Nowak, "A fully first-order
 * method for stochastic bilevel optimization", ICML 2023): no Hessian-vector or cross product at all. It keeps
 * y ≈ argmin_y G(y, x) and a penalty iterate v ≈ argmin_v F(v, x) + λ G(v, x), and since
 * ∇_x [min_v (F + λG)(v, x) − λ min_y G(y, x)] → ∇h(x) with a bias O(1/λ), it steps x along
 *   p = ∇_x f_B(v, x) + λ_k [∇_x g_B'(v, x) − ∇_x g_B''(y, x)]
 * while λ grows. Step k (gauss-seidel: y and v both read x_k, x reads the new y and v):
 *   inner (y, in the z slot):  T times  y ← y − γ_k ∇_z g_B(y, x)
 *   linsys (v, penalty iterate): T times  v ← v − α_k (∇_z f_B(v, x) + λ_k ∇_z g_B(v, x))
 *   outer:  x ← x − ξ_k p,  then λ_{k+1} = λ_k + δ₀ (k+1)^−e (published with x; the linsys stream reads it)
 * with γ_k = γ₀(k+1)^−c, α_k = α₀(k+1)^−a/(1 + sλ_k), ξ_k = ξ₀(k+1)^−b and fresh minibatches for every
 * oracle call. Defaults are the public benchmark's (c = 4/7, a = 5/7, b = 4/7) except e = 6/7 (λ grows like k^{1/7}, not k^{6/7});
 * keep α_k λ_k ≲ 1/L_G (s > 0 does it with decreasing λ-scaled steps, as the paper's λ_k = γ_k/α_k coupling).
 * Needs the optional oracle ∇_x g (innerGradX).
 *
 * Diagnostics: (inner) step γ_k; (linsys) step α_k, lambda (the λ_k it used); (outer) step ξ_k, lambda (λ_{k+1}, for the next step).
 *
 * @example runLoop(problem, f2sa({ batchSize: 32, innerStep: 0.05, outerStep: 0.05 }), { maxIter: 5000 })
 */
export function f2sa(options: F2saOptions = {}): Solver {
  const fn = 'f2sa';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const gamma0 = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.01);
  const xi0 = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.01);
  const alpha0 = positiveNumber(fn, 'penaltyStep', options.penaltyStep ?? gamma0);
  const c = nonNegativeNumber(fn, 'innerDecay', options.innerDecay ?? 4 / 7);
  const a = nonNegativeNumber(fn, 'penaltyDecay', options.penaltyDecay ?? 5 / 7);
  const b = nonNegativeNumber(fn, 'outerDecay', options.outerDecay ?? 4 / 7);
  const scale = nonNegativeNumber(fn, 'penaltyStepScale', options.penaltyStepScale ?? 0);
  const lambda0 = positiveNumber(fn, 'lambda0', options.lambda0 ?? 1);
  const dLambda0 = nonNegativeNumber(fn, 'lambdaStep', options.lambdaStep ?? 0.1);
  const e = nonNegativeNumber(fn, 'lambdaDecay', options.lambdaDecay ?? 6 / 7);
  const T = positiveInteger(fn, 'innerSteps', options.innerSteps ?? 10);

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    init: (problem, rng) => ({
      problem,
      sampler: new BlockSampler(problem.nInner, batchSize, rng.split()),
      g: new Float64Array(problem.dimZ),
      gamma: powerDecay(gamma0, c),
      step: gamma0,
    }),
    step(s, { z, x }, t, out) {
      const { problem, g } = s;
      const gamma = s.gamma(t);
      s.step = gamma;
      out.set(z);
      for (let m = 0; m < T; m++) {
        problem.innerGradZ(out, x, s.sampler.next().indices, g);
        for (let k = 0; k < out.length; k++) out[k] -= gamma * g[k];
      }
    },
    diagnostics: (s) => ({ step: s.step }),
  };

  const linsys: StreamPart<LinsysState> = {
    stream: 'linsys',
    init: (problem, rng) => ({
      problem,
      innerSampler: new BlockSampler(problem.nInner, batchSize, rng.split()),
      outerSampler: new BlockSampler(problem.nOuter, batchSize, rng.split()),
      gg: new Float64Array(problem.dimZ),
      gf: new Float64Array(problem.dimZ),
      alpha: powerDecay(alpha0, a),
      step: alpha0,
      lambda: lambda0,
    }),
    step(s, reads, t, out) {
      const { problem, gg, gf } = s;
      const { v, x } = reads;
      const lambda = (reads.aux?.x as F2saControl | undefined)?.lambda ?? lambda0;
      const alpha = s.alpha(t) / (1 + scale * lambda);
      s.lambda = lambda;
      s.step = alpha;
      out.set(v);
      for (let m = 0; m < T; m++) {
        problem.innerGradZ(out, x, s.innerSampler.next().indices, gg);
        problem.outerGradZ(out, x, s.outerSampler.next().indices, gf);
        for (let k = 0; k < out.length; k++) out[k] -= alpha * (gf[k] + lambda * gg[k]);
      }
    },
    diagnostics: (s) => ({ step: s.step, lambda: s.lambda }),
  };

  const outer: StreamPart<OuterState> = {
    stream: 'outer',
    init(problem, rng) {
      requireOracles(problem, ['innerGradX'], fn);
      return {
        problem,
        innerSampler: new BlockSampler(problem.nInner, batchSize, rng.split()),
        outerSampler: new BlockSampler(problem.nOuter, batchSize, rng.split()),
        fx: new Float64Array(problem.dimX),
        gv: new Float64Array(problem.dimX),
        gy: new Float64Array(problem.dimX),
        xi: powerDecay(xi0, b),
        dLambda: dLambda0 === 0 ? () => 0 : powerDecay(dLambda0, e),
        step: xi0,
        lambda: lambda0,
      };
    },
    step(s, { z: y, v, x }, t, out) {
      const { problem, fx, gv, gy } = s;
      const gradX = problem.innerGradX as NonNullable<BilevelProblem['innerGradX']>;
      problem.outerGradX(v, x, s.outerSampler.next().indices, fx);
      gradX.call(problem, v, x, s.innerSampler.next().indices, gv);
      gradX.call(problem, y, x, s.innerSampler.next().indices, gy);
      const xi = s.xi(t);
      const lambda = s.lambda;
      s.step = xi;
      for (let k = 0; k < out.length; k++) out[k] = x[k] - xi * (fx[k] + lambda * (gv[k] - gy[k]));
      s.lambda = lambda + s.dLambda(t);
      const next: F2saControl = { lambda: s.lambda };
      return next;
    },
    diagnostics: (s) => ({ step: s.step, lambda: s.lambda }),
  };

  return {
    name: 'f2sa',
    citation: 'Kwon, Kwon, Wright, Nowak. A fully first-order method for stochastic bilevel optimization. ICML 2023.',
    schedule: 'gauss-seidel',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: {
      batchSize,
      innerStep: gamma0,
      outerStep: xi0,
      penaltyStep: alpha0,
      innerDecay: c,
      penaltyDecay: a,
      outerDecay: b,
      penaltyStepScale: scale,
      lambda0,
      lambdaStep: dLambda0,
      lambdaDecay: e,
      innerSteps: T,
    },
  };
}
