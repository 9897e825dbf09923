import type { Solver, StreamPart } from './solver';
import { composePart } from './parts/compose-part';
import type { Estimator } from './parts/estimator';
import { powerStep } from './parts/power-step';
import { seriesLinsys } from './parts/series-linsys';
import { sgdEstimator } from './parts/sgd-estimator';
import type { StepRule } from './parts/step-rule';
import { knownKeys, nonNegativeNumber, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link ttsa}, with their defaults (the public benchmark's `solvers/ttsa.py`, commit 3ad65dc). */
export interface TtsaOptions {
  /** Minibatch size of every oracle. Default 64. */
  readonly batchSize?: number;
  /** β₀ in the z step β_t = β₀ (t+1)^−b. Default 0.1 (`step_size`). */
  readonly innerStep?: number;
  /** b, the fast time scale. Default 2/5 (the paper's nonconvex case; the benchmark's 0.4). */
  readonly innerDecay?: number;
  /** α₀ in the x step α_t = α₀ (t+1)^−a. Default 0.1 (`step_size / outer_ratio`, outer_ratio 1). */
  readonly outerStep?: number;
  /** a, the slow time scale (a > b). Default 3/5 (the paper's nonconvex case; the benchmark's 0.6). */
  readonly outerDecay?: number;
  /** η of the Hessian-inverse estimator (needs η ≤ 1/L). Default 0.1 (the benchmark's `step_size`). */
  readonly neumannStep?: number;
  /** N: the product is truncated at p ~ U{0..N−1}. Default 10 (`n_hia_steps`). */
  readonly neumannTerms?: number;
}

const KEYS = ['batchSize', 'innerStep', 'innerDecay', 'outerStep', 'outerDecay', 'neumannStep', 'neumannTerms'] as const;

/**
 * TTSA, Two-Timescale Stochastic Approximation (Hong, Wai, Wang, Yang, "A two-timescale stochastic algorithm
 * framework for bilevel optimization: complexity analysis and application to actor-critic", SIAM J. Optim. 2023; the
 * public benchmark's docstring leaves out Z. Wang). One SGD step on z on the fast time scale, then one step on x on the
 * slow one, at the new z (schedule `gauss-seidel`):
 *   z_{t+1} = z_t − β_t ∇_z g_J(z_t, x_t)
 *   v_{t+1} = −Nη (I − ηH_{B_p})⋯(I − ηH_{B_1}) ∇_z f_I(z_{t+1}, x_t),   p ~ U{0..N−1}    (Ghadimi & Wang's estimator)
 *   x_{t+1} = x_t − α_t (∇_x f_{I'}(z_{t+1}, x_t) + ∇²_xz g_{J'}(z_{t+1}, x_t)·v_{t+1})
 * with β_t = β₀(t+1)^−2/5 and α_t = α₀(t+1)^−3/5: α_t/β_t → 0, so z tracks z*(x_t) while x moves. The paper's
 * result: an O(K^−2/5)-stationary point after K iterations for a weakly convex h (O(K^−2/3)-optimal when strongly
 * convex, with other exponents).
 * Streams: SGD + power step on z; {@link seriesLinsys} (`hia`) on v, rebuilt at every step; SGD + power step on the
 * outer direction D_x. Oracle calls per step: z: 1 ∇_z g; v: 1 ∇_z f and p HVPs (p ≤ N − 1); x: 1 ∇_x f, 1 cross.
 * Defaults: the benchmark's (steps 0.1, exponents 0.4 and 0.6, η 0.1, N = 10, batch 64). The benchmark reuses the
 * z step's batch for the cross product; here each stream draws its own.
 *
 * @example run(problem, ttsa({ batchSize: 32, neumannStep: 0.5, neumannTerms: 20 }), { maxIter: 20_000 })
 */
export function ttsa(options: TtsaOptions = {}): Solver {
  const fn = 'ttsa';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const beta0 = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const b = nonNegativeNumber(fn, 'innerDecay', options.innerDecay ?? 0.4);
  const alpha0 = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const a = nonNegativeNumber(fn, 'outerDecay', options.outerDecay ?? 0.6);
  const eta = positiveNumber(fn, 'neumannStep', options.neumannStep ?? 0.1);
  const terms = positiveInteger(fn, 'neumannTerms', options.neumannTerms ?? 10);
  const inner = composePart('inner', { estimator: sgdEstimator() as Estimator, step: powerStep(beta0, b) as StepRule, batchSize });
  const outer = composePart('outer', { estimator: sgdEstimator() as Estimator, step: powerStep(alpha0, a) as StepRule, batchSize });
  return {
    name: fn,
    citation: 'Hong, Wai, Wang, Yang. A two-timescale stochastic algorithm framework for bilevel optimization: complexity analysis and application to actor-critic. SIAM J. Optim. 2023.',
    schedule: 'gauss-seidel',
    inner: inner as StreamPart,
    linsys: seriesLinsys(batchSize, eta, terms, 'hia') as StreamPart,
    outer: outer as StreamPart,
    options: { batchSize, innerStep: beta0, innerDecay: b, outerStep: alpha0, outerDecay: a, neumannStep: eta, neumannTerms: terms },
  };
}
