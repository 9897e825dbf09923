import type { Solver, StreamPart } from '../solver';
import { knownKeys, nonNegativeNumber, positiveInteger, positiveNumber } from '../validate-options';
import { composePart } from './compose-part';
import type { Estimator } from './estimator';
import type { InverseEstimator } from './neumann-hypergradient';
import { powerStep } from './power-step';
import { publishedDirectionOuter, recursiveHypergradientLinsys } from './recursive-hypergradient';
import type { StepRule } from './step-rule';
import { stormEstimator } from './storm-estimator';

/** Options of the double-momentum solvers ({@link mrbo}, {@link sustain}), with the public benchmark's defaults. */
export interface DoubleMomentumOptions {
  /** Minibatch size of every oracle. Default 64. */
  readonly batchSize?: number;
  /** β₀ in the z step β_t = β₀ (t+1)^−c. Default 0.1 (`step_size`). */
  readonly innerStep?: number;
  /** α₀ in the x step α_t = α₀ (t+1)^−c. Default 0.1 (`step_size / outer_ratio`, outer_ratio 1). */
  readonly outerStep?: number;
  /** c, exponent of both steps. Default 1/3 (the papers' η_k ∝ k^−1/3). */
  readonly stepDecay?: number;
  /** η of the Hessian-inverse series (needs η ≤ 1/L). Default 0.1 (the benchmark's `step_size`). */
  readonly neumannStep?: number;
  /** N, Hessian batches per estimate. Default 10 (`n_shia_steps`, `n_hia_steps`). */
  readonly neumannTerms?: number;
  /** a in the momentum weight a_t = a (t+1)^−e of both recursions, in (0, 1]. Default 0.5 (`eta`). */
  readonly momentum?: number;
  /** e. Default 2/3 (the papers' momentum ∝ η_k²). */
  readonly momentumDecay?: number;
}

const KEYS = ['batchSize', 'innerStep', 'outerStep', 'stepDecay', 'neumannStep', 'neumannTerms', 'momentum', 'momentumDecay'] as const;

/** The schedule of the double-momentum solvers: z and v at (z_t, x_t), then x reads the v step's direction. */
export const DOUBLE_MOMENTUM_SCHEDULE = 'multi-rate:1';

/**
 * The double-momentum bilevel method shared by MRBO (Yang, Ji, Liang, NeurIPS 2021) and SUSTAIN (Khanduri et al.,
 * NeurIPS 2021), which differ only in the Hessian-inverse estimator (`neumann` or `hia`). At each step t, from
 * (z_t, x_t):
 *   inner:  d^z_t = STORM[∇_z g](z_t, x_t) with weight a_t,   z_{t+1} = z_t − β_t d^z_t
 *   linsys: v_{t+1} = v̂(z_t, x_t; S_t);  d^x_t = ĝ(z_t, x_t; S_t) + (1 − a_t)(d^x_{t−1} − ĝ(z_{t−1}, x_{t−1}; S_t))
 *   outer:  x_{t+1} = x_t − α_t d^x_t
 * with ĝ = ∇_x f + ∇²_xz g·v̂ the series hypergradient on the draws S_t ({@link recursiveHypergradientLinsys}).
 * Schedule `multi-rate:1`: z and v read (z_t, x_t), x reads the direction the v step published, so z and x move
 * simultaneously from the same point, as in both papers.
 */
export function doubleMomentum(fn: string, citation: string, estimator: InverseEstimator, options: DoubleMomentumOptions): Solver {
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const beta0 = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const alpha0 = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const c = nonNegativeNumber(fn, 'stepDecay', options.stepDecay ?? 1 / 3);
  const eta = positiveNumber(fn, 'neumannStep', options.neumannStep ?? 0.1);
  const terms = positiveInteger(fn, 'neumannTerms', options.neumannTerms ?? 10);
  const momentum = positiveNumber(fn, 'momentum', options.momentum ?? 0.5);
  if (momentum > 1) throw new RangeError(`${fn}: momentum must be in (0, 1], received ${momentum}`);
  const momentumDecay = nonNegativeNumber(fn, 'momentumDecay', options.momentumDecay ?? 2 / 3);

  const inner = composePart('inner', { estimator: stormEstimator({ momentum, momentumDecay }) as Estimator, step: powerStep(beta0, c) as StepRule, batchSize });
  const linsys = recursiveHypergradientLinsys({ batchSize, eta, terms, estimator, recursion: { kind: 'storm', momentum, momentumDecay } });
  const outer = publishedDirectionOuter(fn, DOUBLE_MOMENTUM_SCHEDULE, powerStep(alpha0, c) as StepRule, { estimator: 'storm', batchSize, from: 'v' });
  return {
    name: fn,
    citation,
    schedule: DOUBLE_MOMENTUM_SCHEDULE,
    fixedSchedule: true,
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: { batchSize, innerStep: beta0, outerStep: alpha0, stepDecay: c, neumannStep: eta, neumannTerms: terms, momentum, momentumDecay },
  };
}
