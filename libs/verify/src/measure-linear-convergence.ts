import { lastValueFrom, map, takeWhile, toArray } from 'rxjs';
import { nrm2 } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver } from '@bilevel/solvers';
import { run } from '@bilevel/streams';
import { LINEAR_REDUCTION } from './linear-budget';
import { knownKeys, nonNegativeInteger, numberBetween, positiveInteger } from './validate-options';

/** Options of {@link measureLinearConvergence}, with their defaults. */
export interface MeasureLinearOptions {
  /** T, the iteration budget (required). */
  readonly budget: number;
  /** Seed of the run. Default 0. */
  readonly seed?: number;
  /** ε: stop when ‖∇h(x_t)‖ ≤ ε·‖∇h(x₀)‖. Default 1e-6. */
  readonly reduction?: number;
  /** Checkpoints over the budget at which ∇h is evaluated (resolution of `iterations`). Default {@link LINEAR_CHECKPOINTS}. */
  readonly checkpoints?: number;
  /** Starting point x₀. Default zeros (as `run`). */
  readonly x0?: Float64Array;
}

/** Default number of checkpoints over the budget: `iterations` is known to within 0.5% of the budget. */
export const LINEAR_CHECKPOINTS = 200;

/** What {@link measureLinearConvergence} found. */
export interface LinearConvergenceMeasurement {
  readonly budget: number;
  /** The first checkpoint t ≤ budget with ‖∇h(x_t)‖ ≤ ε·‖∇h(x₀)‖, or null if none. */
  readonly iterations: number | null;
  /** ‖∇h(x₀)‖. */
  readonly initialNorm: number;
  /** ‖∇h‖ at the last checkpoint evaluated. */
  readonly finalNorm: number;
}

/**
 * Runs `solver` on `problem` through the RxJS streams ({@link run}) for at most `budget` outer steps and evaluates
 * the exact hypergradient `problem.hypergradient(x_t)` every ⌈budget / checkpoints⌉ steps; stops (unsubscribes) at
 * the first checkpoint where ‖∇h(x_t)‖ ≤ ε·‖∇h(x₀)‖. Rejects with the run's error (e.g. a DivergenceError).
 *
 * @example await measureLinearConvergence(problem, saba(safeSabaOptions(problem)), { budget: 5000, seed: 1 })
 */
export async function measureLinearConvergence(problem: BilevelProblem, solver: Solver, options: MeasureLinearOptions): Promise<LinearConvergenceMeasurement> {
  const fn = 'measureLinearConvergence';
  knownKeys(fn, options, ['budget', 'seed', 'reduction', 'checkpoints', 'x0']);
  const budget = nonNegativeInteger(fn, 'budget', options.budget);
  const reduction = numberBetween(fn, 'reduction', options.reduction ?? LINEAR_REDUCTION, 0, 1);
  const checkpoints = positiveInteger(fn, 'checkpoints', options.checkpoints ?? LINEAR_CHECKPOINTS);
  const sampleEvery = Math.max(1, Math.ceil(budget / checkpoints));
  const x0 = options.x0 ?? new Float64Array(problem.dimX);
  const initialNorm = nrm2(problem.hypergradient(x0).grad);
  const target = reduction * initialNorm;
  const norms = await lastValueFrom(
    run(problem, solver, { seed: options.seed ?? 0, maxIter: budget, sampleEvery, x0 }).pipe(
      map((s) => ({ iteration: s.iteration, norm: nrm2(problem.hypergradient(s.x).grad) })),
      takeWhile((p) => p.norm > target, true),
      toArray(),
    ),
  );
  const last = norms[norms.length - 1];
  return { budget, iterations: last.norm <= target ? last.iteration : null, initialNorm, finalNorm: last.norm };
}
