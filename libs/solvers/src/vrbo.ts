import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import { composePart } from './parts/compose-part';
import { constantStep } from './parts/constant-step';
import type { Estimator, EstimatorContext } from './parts/estimator';
import { publishedDirectionOuter, recursiveHypergradientLinsys } from './parts/recursive-hypergradient';
import { sarahEstimator } from './parts/sarah-estimator';
import type { StepRule } from './parts/step-rule';
import { knownKeys, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link vrbo}, with their defaults (the public benchmark's `solvers/vrbo.py`, commit 3ad65dc). */
export interface VrboOptions {
  /** Minibatch size of every recursive step. Default 64. */
  readonly batchSize?: number;
  /** β, constant step of z. Default 0.1 (`step_size`). */
  readonly innerStep?: number;
  /** α, constant step of x. Default 0.1 (`step_size / outer_ratio`, outer_ratio 1). */
  readonly outerStep?: number;
  /** η of the Neumann series (needs η ≤ 1/L). Default 0.1 (`step_size`). */
  readonly neumannStep?: number;
  /** N, Hessian batches per series. Default 10 (`n_shia_steps`). */
  readonly neumannTerms?: number;
  /** m, z steps per x step. Default 10 (`n_inner_steps`). */
  readonly innerIters?: number;
  /**
   * q = max(1, ⌊periodFrac·(n + m)/batchSize⌋) outer steps between full-batch refreshes (n inner, m outer samples).
   * Default 128 (`period_frac`: one refresh per 128 passes' worth of minibatches). Ignored when `period` is given.
   */
  readonly periodFrac?: number;
  /** Outer steps between full-batch refreshes, overriding `periodFrac`. */
  readonly period?: number;
}

const KEYS = ['batchSize', 'innerStep', 'outerStep', 'neumannStep', 'neumannTerms', 'innerIters', 'periodFrac', 'period'] as const;

interface PeriodicSarahState {
  readonly estimator: Estimator;
  readonly state: unknown;
}

/** {@link sarahEstimator} whose period (in steps of its stream) is known once the problem is. */
function periodicSarah(period: (problem: BilevelProblem) => number): Estimator<PeriodicSarahState> {
  return {
    name: 'sarah',
    init(context: EstimatorContext) {
      const estimator = sarahEstimator({ period: period(context.problem) }) as Estimator;
      return { estimator, state: estimator.init(context) };
    },
    estimate: (s, reads, t, out) => s.estimator.estimate(s.state, reads, t, out),
    probe: (s, point, out) => s.estimator.probe(s.state, point, out),
    diagnostics: (s) => s.estimator.diagnostics?.(s.state) ?? {},
  };
}

/**
 * VRBO, the Variance Reduction Bilevel Optimizer (Yang, Ji, Liang, "Provably faster algorithms for bilevel
 * optimization", NeurIPS 2021, Algorithm 2): SARAH/SPIDER recursions on both directions along the points
 * P_j = (z_j, x_{⌊j/m⌋}) the inner loop visits, refreshed with full batches every q outer steps:
 *   j mod qm = 0:  d^z_j = ∇_z G(P_j),  d^x_j = ĝ_full(P_j)                                      (full batches)
 *   otherwise:     d^z_j = d^z_{j−1} + ∇_z g_B(P_j) − ∇_z g_B(P_{j−1})
 *                  d^x_j = d^x_{j−1} + ĝ(P_j; S) − ĝ(P_{j−1}; S)                                  (same draws at both points)
 *   z_{j+1} = z_j − β d^z_j;   after the m steps at x_s:  x_{s+1} = x_s − α d^x_{(s+1)m−1}
 * with ĝ = ∇_x f + ∇²_xz g·v̂ and v̂ stocBiO's series −η Σ_{q=0..N} (I − ηH_{B_q})⋯(I − ηH_{B_1}) ∇_z f. The
 * difference that follows an x step is taken between (z_j, x_{s+1}) and (z_{j−1}, x_s), as in the paper (the
 * public benchmark evaluates both at x_{s+1}, which drops the change of x from the recursion). Õ(ε^−1.5) samples
 * (nonconvex–strongly-convex), the paper's Theorem 2.
 *
 * Streams (schedule `multi-rate:m`): inner = SARAH + constant step on D_z ({@link sarahEstimator}, period qm);
 * linsys = the series at P_j and P_{j−1} and the SARAH recursion of d^x, v_{j+1} = v̂(P_j)
 * ({@link recursiveHypergradientLinsys}); outer = x ← x − α d^x. Oracle calls per inner step: z: 2 ∇_z g; linsys:
 * 2 ∇_z f, 2 ∇_x f, 2 cross products, 2N HVPs; a refresh is one full pass of ∇_z g, ∇_z f, ∇_x f, the cross product
 * and N full-batch HVPs (counted in `fullPasses`); outer: none.
 * Defaults: the benchmark's (steps 0.1, η 0.1, N = 10, m = 10, period_frac 128, batch 64).
 *
 * @example run(problem, vrbo({ batchSize: 32, period: 5, neumannStep: 0.5, neumannTerms: 20 }), { maxIter: 500 })
 */
export function vrbo(options: VrboOptions = {}): Solver {
  const fn = 'vrbo';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const beta = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const alpha = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const eta = positiveNumber(fn, 'neumannStep', options.neumannStep ?? 0.1);
  const terms = positiveInteger(fn, 'neumannTerms', options.neumannTerms ?? 10);
  const m = positiveInteger(fn, 'innerIters', options.innerIters ?? 10);
  const periodFrac = positiveNumber(fn, 'periodFrac', options.periodFrac ?? 128);
  const fixed = options.period === undefined ? undefined : positiveInteger(fn, 'period', options.period);
  /** Outer steps between refreshes. */
  const outerPeriod = (p: BilevelProblem) => fixed ?? Math.max(1, Math.floor((periodFrac * (p.nInner + p.nOuter)) / batchSize));
  const schedule = `multi-rate:${m}`;

  const inner = composePart('inner', { estimator: periodicSarah((p) => outerPeriod(p) * m) as Estimator, step: constantStep(beta) as StepRule, batchSize });
  const linsys = recursiveHypergradientLinsys({ batchSize, eta, terms, estimator: 'neumann', recursion: { kind: 'sarah', period: (p) => outerPeriod(p) * m } });
  const outer = publishedDirectionOuter(fn, schedule, constantStep(alpha) as StepRule, { estimator: 'sarah', batchSize, from: 'v' });
  return {
    name: fn,
    citation: 'Yang, Ji, Liang. Provably faster algorithms for bilevel optimization. NeurIPS 2021.',
    schedule,
    fixedSchedule: true,
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: { batchSize, innerStep: beta, outerStep: alpha, neumannStep: eta, neumannTerms: terms, innerIters: m, periodFrac, period: fixed ?? 'auto' },
  };
}
