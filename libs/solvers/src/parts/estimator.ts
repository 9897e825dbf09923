import type { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Reads } from '../solver';
import type { Direction } from './direction';

/** What an estimator is built for: the direction it estimates, the problem, its own RNG and the batch size. */
export interface EstimatorContext {
  readonly direction: Direction;
  readonly problem: BilevelProblem;
  readonly rng: Rng;
  readonly batchSize: number;
}

/**
 * A direction estimator (SGD, SAGA, SARAH, STORM…): an explicit init/step pair over its own state (samplers, memories).
 *
 * - `estimate(state, reads, t, out)`: the estimate of the direction at `reads` for step t; draws this step's batches.
 * - `probe(state, point, out)`: what this step's estimate would be at another point with the *same* batches and
 *   control variates, `d + Σ_terms [q_B(point) − q_B(reads)]`. Step rules use it for local curvature (AI-SARAH).
 *   Valid only between an `estimate` and the next one.
 */
export interface Estimator<S = unknown> {
  readonly name: string;
  init(context: EstimatorContext): S;
  estimate(state: S, reads: Reads, t: number, out: Float64Array): void;
  probe(state: S, point: Reads, out: Float64Array): void;
  diagnostics?(state: S): Readonly<Record<string, number>>;
}
