import type { BilevelProblem } from '@bilevel/problems';
import type { Solver } from '@bilevel/solvers';
import type { Snapshot } from '../snapshot';
import type { Finding } from './finding';

/** What a monitor knows about the run it watches. */
export interface MonitorContext {
  /** The problem as given to the run (not the oracle counter the solver sees: a monitor's calls are not counted). */
  readonly problem: BilevelProblem;
  readonly solver: Solver;
  /** Outer steps of the run and the sampling period of its snapshots (defaults resolved as `run` does). */
  readonly maxIter: number;
  readonly sampleEvery: number;
}

/** One run's checker, with the state it keeps between snapshots. */
export interface MonitorSession {
  /** Called with every snapshot (the first at iteration 0, one every `sampleEvery` outer steps, the final one). */
  onSnapshot(snapshot: Snapshot): readonly Finding[] | void;
  /** Called when the run ends with an error ({@link DivergenceError}, an oracle that threw), before it propagates. */
  onError?(err: unknown): readonly Finding[] | void;
}

/**
 * A runtime check attached to a run: `start` is called once per run (each subscription of a cold run is a new
 * run) and returns the session that sees its snapshots, so one Monitor value can watch many runs at once.
 * Monitors run between solver stretches: their time is not counted as solver time.
 *
 * @example
 * const boundedX: Monitor = {
 *   name: 'bounded-x',
 *   description: 'every |x_i| ≤ 10',
 *   start: () => ({
 *     onSnapshot: (s) => (s.x.some((xi) => Math.abs(xi) > 10)
 *       ? [{ level: 'warning', monitor: 'bounded-x', iteration: s.iteration, message: 'some |x_i| > 10' }] : []),
 *   }),
 * };
 */
export interface Monitor {
  readonly name: string;
  /** One line: what the monitor checks and what it guarantees. */
  readonly description: string;
  start(ctx: MonitorContext): MonitorSession;
}
