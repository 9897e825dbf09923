import type { BilevelProblem } from '@bilevel/problems';
import type { Solver } from '@bilevel/solvers';
import type { RunOptions } from '../run';
import type { MonitorContext } from './monitor';

/**
 * The {@link MonitorContext} of `run(problem, solver, options)`: maxIter and sampleEvery with the defaults `run`
 * applies (1000, and max(1, ⌊maxIter / 100⌋)).
 *
 * @example withMonitors(run(p, s, o), monitorContext(p, s, o), DEFAULT_MONITORS)
 */
export function monitorContext(problem: BilevelProblem, solver: Solver, options: RunOptions = {}): MonitorContext {
  const maxIter = options.maxIter ?? 1000;
  const sampleEvery = options.sampleEvery ?? Math.max(1, Math.floor(maxIter / 100));
  return { problem, solver, maxIter, sampleEvery };
}
