import type { Estimator, EstimatorContext } from './parts/estimator';
import type { Solver } from './solver';
import { constantStep } from './parts/constant-step';
import { sarahEstimator } from './parts/sarah-estimator';
import { singleLoop } from './parts/single-loop';
import { knownKeys, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link srba}, with their defaults (those of the public benchmark's `solvers/srba.py`). */
export interface SrbaOptions {
  /** Minibatch size of every term. Default 64. */
  readonly batchSize?: number;
  /** ρ, constant step of z and v. Default 0.1 (`step_size`). */
  readonly innerStep?: number;
  /** γ, constant step of x. Default 0.1 (`step_size / outer_ratio` with `outer_ratio` 1). */
  readonly outerStep?: number;
  /**
   * q = max(1, ⌊periodFrac · (n + m) / batchSize⌋) steps between full-batch refreshes, from the problem's sizes
   * (n inner, m outer samples). Default 0.5 (`period_frac`). Ignored when `period` is given.
   */
  readonly periodFrac?: number;
  /** Steps between full-batch refreshes, overriding `periodFrac`. Default: derived from `periodFrac`. */
  readonly period?: number;
}

const KEYS = ['batchSize', 'innerStep', 'outerStep', 'periodFrac', 'period'] as const;

interface PeriodicSarahState {
  readonly estimator: Estimator;
  readonly state: unknown;
}

/**
 * A SARAH estimator whose refresh period is known only once the problem is: `period(context)` is evaluated in
 * `init` and handed to {@link sarahEstimator}, which then does all the work.
 */
function periodicSarah(period: (context: EstimatorContext) => number): Estimator<PeriodicSarahState> {
  return {
    name: 'sarah',
    init(context) {
      const estimator = sarahEstimator({ period: period(context) }) as Estimator;
      return { estimator, state: estimator.init(context) };
    },
    estimate: (s, reads, t, out) => s.estimator.estimate(s.state, reads, t, out),
    probe: (s, point, out) => s.estimator.probe(s.state, point, out),
    diagnostics: (s) => s.estimator.diagnostics?.(s.state) ?? {},
  };
}

/**
 * SRBA, the Stochastic Recursive Bilevel Algorithm (Dagréou, Moreau, Vaiter, Ablin, "A lower bound and a
 * near-optimal algorithm for bilevel empirical risk minimization", AISTATS 2024).
 *
 * SOBA's three directions, each a SARAH recursive estimate reset with a full batch every q steps (t = 0 included):
 *   t mod q = 0:  D_z = ∇_z G,  D_v = ∇²_zz G·v + ∇_z F,  D_x = ∇²_xz G·v + ∇_x F             (full batch)
 *   otherwise:    D ← D + o(z, v, x; J, I) − o(z°, v°, x°; J, I)    (same batches J, I at both points)
 *   z ← z − ρ D_z,   v ← v − ρ D_v,   x ← x − γ D_x
 * where o is the direction's sample-wise terms and (z°, v°, x°) the previous iterate. With n inner and m outer
 * samples and batch b, q = ⌊periodFrac·(n+m)/b⌋ as in the public benchmark. O((n+m)^½ ε⁻¹) oracle calls.
 * Built from parts: {@link sarahEstimator} + {@link constantStep} on every stream, `jacobi` schedule. Each stream
 * draws its own batches (the benchmark shares J and I between the three directions). The paper's projection of v
 * onto a ball is omitted, as in the benchmark.
 *
 * @example run(problem, srba({ batchSize: 32, innerStep: 0.1, outerStep: 0.1 }), { maxIter: 50_000 })
 */
export function srba(options: SrbaOptions = {}): Solver {
  const fn = 'srba';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const rho = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const gamma = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const periodFrac = positiveNumber(fn, 'periodFrac', options.periodFrac ?? 0.5);
  const fixed = options.period === undefined ? undefined : positiveInteger(fn, 'period', options.period);
  const period = ({ problem }: EstimatorContext) =>
    fixed ?? Math.max(1, Math.floor((periodFrac * (problem.nInner + problem.nOuter)) / batchSize));
  const part = (step: number) => ({ estimator: periodicSarah(period), step: constantStep(step), batchSize });
  const solver = singleLoop({
    name: 'srba',
    citation: 'Dagréou, Moreau, Vaiter, Ablin. A lower bound and a near-optimal algorithm for bilevel empirical risk minimization. AISTATS 2024.',
    inner: part(rho),
    linsys: part(rho),
    outer: part(gamma),
  });
  return { ...solver, options: { batchSize, innerStep: rho, outerStep: gamma, periodFrac, period: fixed ?? 'auto' } };
}
