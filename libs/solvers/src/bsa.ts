import { BlockSampler } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import { composePart } from './parts/compose-part';
import type { Estimator } from './parts/estimator';
import { powerStep } from './parts/power-step';
import { seriesLinsys } from './parts/series-linsys';
import { sgdEstimator } from './parts/sgd-estimator';
import type { StepRule } from './parts/step-rule';
import { powerDecay } from './power-decay';
import { knownKeys, nonNegativeNumber, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link bsa}, with their defaults (the public benchmark's `solvers/bsa.py`, commit 3ad65dc). */
export interface BsaOptions {
  /** Minibatch size of every oracle. Default 64. */
  readonly batchSize?: number;
  /** β₀ in the inner step β_k = β₀ (k+1)^−c, the same for the T steps of outer step k. Default 0.1 (`step_size`). */
  readonly innerStep?: number;
  /** α₀ in the x step α_k = α₀ (k+1)^−c. Default 0.1 (`step_size / outer_ratio`, outer_ratio 1). */
  readonly outerStep?: number;
  /** c, exponent of both steps. Default 1/2 (the benchmark). */
  readonly stepDecay?: number;
  /** T, SGD steps on z per outer step (warm-started). Default 10 (`n_inner_steps`). */
  readonly innerIters?: number;
  /** η of the Hessian-inverse estimator (needs η ≤ 1/L). Default 0.1 (the benchmark's `step_size`). */
  readonly neumannStep?: number;
  /** N: the product is truncated at p ~ U{0..N−1}. Default 10 (`n_hia_steps`). */
  readonly neumannTerms?: number;
}

const KEYS = ['batchSize', 'innerStep', 'outerStep', 'stepDecay', 'innerIters', 'neumannStep', 'neumannTerms'] as const;

interface InnerState {
  readonly problem: BilevelProblem;
  readonly sampler: BlockSampler;
  readonly g: Float64Array;
  readonly beta: (k: number) => number;
  step: number;
}

/**
 * BSA, the Bilevel Stochastic Approximation method of Ghadimi & Wang ("Approximation methods for bilevel
 * programming", arXiv:1802.02246, 2018, Algorithm 2). Each outer step k (schedule `gauss-seidel`):
 *   1. T SGD steps  z ← z − β_k ∇_z g_B(z, x_k)  from z_k (warm start)                                  (inner part)
 *   2. v = −Nη (I − ηH_{B_p})⋯(I − ηH_{B_1}) ∇_z f_I(z_{k+1}, x_k),  p ~ U{0..N−1}                      (linsys part)
 *   3. x_{k+1} = x_k − α_k (∇_x f_{I'}(z_{k+1}, x_k) + ∇²_xz g_{J}(z_{k+1}, x_k)·v)                       (outer part)
 * Step 2 is the paper's Hessian-inverse estimator: its mean over p and the independent Hessian batches is the
 * truncated series −η Σ_{q<N} (I − ηH)^q ∇_z f, whose bias is at most (1 − ημ)^N ‖v*‖; the inner loop's error
 * shrinks geometrically in T. The paper lets T_k grow with k (O(ε^−2) samples of f and O(ε^−3) of g for an
 * ε-stationary point, nonconvex–strongly-convex); the benchmark fixes T, which this solver follows.
 * Oracle calls per outer step: z: T ∇_z g; v: 1 ∇_z f and p HVPs (p ≤ N − 1); x: 1 ∇_x f, 1 cross product.
 * Defaults: the benchmark's (steps 0.1 (k+1)^−1/2, T = 10, η 0.1, N = 10, batch 64). The benchmark steps x first
 * and then runs the T inner steps at the new x; the order here (inner loop, then x) is the paper's and differs only
 * by where the first step starts.
 *
 * @example run(problem, bsa({ batchSize: 32, innerIters: 20, neumannStep: 0.5, neumannTerms: 20 }), { maxIter: 2000 })
 */
export function bsa(options: BsaOptions = {}): Solver {
  const fn = 'bsa';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const beta0 = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const alpha0 = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const c = nonNegativeNumber(fn, 'stepDecay', options.stepDecay ?? 0.5);
  const T = positiveInteger(fn, 'innerIters', options.innerIters ?? 10);
  const eta = positiveNumber(fn, 'neumannStep', options.neumannStep ?? 0.1);
  const terms = positiveInteger(fn, 'neumannTerms', options.neumannTerms ?? 10);

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    description: { estimator: 'sgd', batchSize, step: { kind: 'power', base: beta0, exponent: c } },
    init: (problem, rng) => ({
      problem,
      sampler: new BlockSampler(problem.nInner, batchSize, rng.split()),
      g: new Float64Array(problem.dimZ),
      beta: powerDecay(beta0, c),
      step: beta0,
    }),
    step(s, { z, x }, k, out) {
      const beta = s.beta(k);
      s.step = beta;
      out.set(z);
      for (let i = 0; i < T; i++) {
        s.problem.innerGradZ(out, x, s.sampler.next().indices, s.g);
        for (let j = 0; j < out.length; j++) out[j] -= beta * s.g[j];
      }
    },
    diagnostics: (s) => ({ step: s.step }),
  };
  const outer = composePart('outer', { estimator: sgdEstimator() as Estimator, step: powerStep(alpha0, c) as StepRule, batchSize });
  return {
    name: fn,
    citation: 'Ghadimi, Wang. Approximation methods for bilevel programming. arXiv:1802.02246, 2018.',
    schedule: 'gauss-seidel',
    inner: inner as StreamPart,
    linsys: seriesLinsys(batchSize, eta, terms, 'hia') as StreamPart,
    outer: outer as StreamPart,
    options: { batchSize, innerStep: beta0, outerStep: alpha0, stepDecay: c, innerIters: T, neumannStep: eta, neumannTerms: terms },
  };
}
