import type { Solver } from './solver';
import type { StepRule } from './parts/step-rule';
import { constantStep } from './parts/constant-step';
import { pageEstimator } from './parts/page-estimator';
import { singleLoop } from './parts/single-loop';
import { knownKeys, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link spaba}, with their defaults. */
export interface SpabaOptions {
  /** b, minibatch size of every term. Default 64 (the public benchmark's `batch_size`). */
  readonly batchSize?: number;
  /** ρ, constant step of z. Default 0.1 (the authors' benchmark code, `step_size`). */
  readonly innerStep?: number;
  /** Constant step of v. Default: innerStep (`assis_ratio` 1). */
  readonly linsysStep?: number;
  /** γ, constant step of x. Default 0.1 (`step_size / outer_ratio`, outer_ratio 1). */
  readonly outerStep?: number;
  /**
   * p, probability of a full-batch refresh per step. Default: PAGE's finite-sum choice p = b/(b + N) per stream, N the
   * largest sample count of the stream's terms (the public benchmark's port uses a fixed 0.1).
   */
  readonly probability?: number;
  /**
   * r: after each step, v is clipped to [−r, r] coordinate-wise (the benchmark port's `jnp.clip(v, −1, 1)`; the
   * paper keeps v bounded by a projection). Default Infinity: no clipping, as SRBA in this project.
   */
  readonly linsysRadius?: number;
}

const KEYS = ['batchSize', 'innerStep', 'linsysStep', 'outerStep', 'probability', 'linsysRadius'] as const;

/** A constant step followed by a coordinate-wise clip to [−r, r]: w ← clip(w − α d, −r, r). */
function clippedStep(alpha: number, radius: number): StepRule<{ alpha: number }> {
  const base = constantStep(alpha);
  return {
    name: 'constant-clipped',
    stepSize: { kind: 'other', rule: `constant ${alpha}, clipped to ±${radius}` },
    init: base.init,
    apply(s, context, out) {
      base.apply(s, context, out);
      for (let k = 0; k < out.length; k++) out[k] = Math.min(radius, Math.max(-radius, out[k]));
    },
    diagnostics: () => ({ step: alpha, radius }),
  };
}

/**
 * SPABA, the Single-loop Probabilistic stochastic bilevel Algorithm (Chu, Xu, Yao, Zhang, "SPABA: A Single-Loop and
 * Probabilistic Stochastic Bilevel Algorithm Achieving Optimal Sample Complexity", ICML 2024): the single-loop
 * directions of SOBA/SABA, each estimated by PAGE ({@link pageEstimator}), with constant steps:
 *   with probability p (and at t = 0):  D = the full-batch direction at (z_t, v_t, x_t)
 *   otherwise:                          D ← D + o(z_t, v_t, x_t; B) − o(z_{t−1}, v_{t−1}, x_{t−1}; B)
 *   z ← z − ρ D_z,   v ← v − ρ_v D_v,   x ← x − γ D_x
 * The paper proves O(√n·ε⁻¹) samples in the finite-sum case and O(ε^{−3/2}) in expectation, matching the lower bounds
 * of single-level PAGE (no gap between bilevel and single-level optimization for this estimator). Unlike SRBA's
 * periodic refresh, the refresh time is random, which is what the analysis needs. Each stream has its own coin and
 * batches (the paper draws them jointly); schedule `jacobi`.
 * Defaults: step 0.1 and batch 64 from the authors' benchmark code (SUSTech-Optimization/SPABA, solvers/SPABA.py,
 * whose jitted coin is drawn once, so it does not implement the random refresh); p = b/(b + N) from PAGE's theory.
 *
 * @example run(problem, spaba({ batchSize: 32, innerStep: 0.1, outerStep: 0.1 }), { maxIter: 20_000 })
 */
export function spaba(options: SpabaOptions = {}): Solver {
  const fn = 'spaba';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const rho = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const rhoV = positiveNumber(fn, 'linsysStep', options.linsysStep ?? rho);
  const gamma = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const p = options.probability;
  if (p !== undefined && !(typeof p === 'number' && p > 0 && p <= 1)) throw new RangeError(`${fn}: probability must be in (0, 1], received ${String(p)}`);
  const radius = options.linsysRadius ?? Infinity;
  if (!(radius > 0)) throw new RangeError(`${fn}: linsysRadius must be > 0 (Infinity: no clipping), received ${String(radius)}`);
  const estimator = () => pageEstimator(p === undefined ? {} : { probability: p });
  const solver = singleLoop({
    name: 'spaba',
    citation: 'Chu, Xu, Yao, Zhang. SPABA: A Single-Loop and Probabilistic Stochastic Bilevel Algorithm Achieving Optimal Sample Complexity. ICML 2024.',
    inner: { estimator: estimator(), step: constantStep(rho), batchSize },
    linsys: { estimator: estimator(), step: radius === Infinity ? constantStep(rhoV) : clippedStep(rhoV, radius), batchSize },
    outer: { estimator: estimator(), step: constantStep(gamma), batchSize },
  });
  return {
    ...solver,
    options: { batchSize, innerStep: rho, linsysStep: rhoV, outerStep: gamma, probability: p ?? 'b/(b+N)', linsysRadius: radius === Infinity ? 'none' : radius },
  };
}
