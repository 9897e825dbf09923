import fc from 'fast-check';
import type { QuadraticProblem } from '@bilevel/problems';
import type { ConstantsProblem } from './problem-constants';
import type { SolverFactory } from './solver-property';
import type { SolverPropertiesOptions } from './solver-properties';
import { solverProperties } from './solver-properties';
import { knownKeys, positiveInteger } from './validate-options';

/** Options of {@link checkSolver}, with their defaults: those of {@link solverProperties} plus the fast-check run. */
export interface CheckSolverOptions<P extends ConstantsProblem = QuadraticProblem> extends SolverPropertiesOptions<P> {
  /** Runs per property. Default: {@link DEFAULT_NUM_RUNS} (replay 10, linear 20, running mean 10). */
  readonly numRuns?: number;
  /**
   * Seed of fast-check. Default: none, fast-check draws one and prints it with any counterexample (replay with
   * `{ seed, path }`). Fix it for a deterministic CI run.
   */
  readonly seed?: number;
  /**
   * Further fast-check parameters (e.g. `{ verbose: 2 }`, `{ endOnFailure: true }`); numRuns and seed above win.
   * Default `{ includeErrorInReport: true }`, so the report says why the property failed.
   */
  readonly parameters?: fc.Parameters<[unknown, number]>;
}

/**
 * Property-tests a solver with the project's own properties in one call: {@link replaysFromSeed} always, and
 * {@link linearConvergence} (convergence `linear`, the default) or {@link runningMeanDecreases} (`running-mean`),
 * each with `fc.assert` on generated quadratic bilevel problems ({@link quadraticProblemArb}), or on a family of your
 * own: any problems with their constants ({@link ProblemWithConstants}), given as `replay.problems` and
 * `linear.problems` (the safe step rules read the constants, so they work on such families too). Resolves when all
 * hold; rejects with an Error naming the property, whose cause is fast-check's report (counterexample, seed, path).
 *
 * `solverFactory(problem)` builds the solver for one generated problem; start from the project's safe step rules
 * {@link safeSabaOptions} / {@link safeSobaOptions}, which read the problem's constants.
 *
 * @example
 * // my-saba.spec.ts: a SABA variant with half the outer step must still converge linearly and replay
 * import { test } from 'node:test';
 * import { saba } from '@bilevel/solvers';
 * import { checkSolver, safeSabaOptions } from '@bilevel/verify';
 *
 * test('SABA with γ = ρ/2 keeps the project properties', () =>
 *   checkSolver(
 *     (problem) => {
 *       const steps = safeSabaOptions(problem);
 *       return saba({ ...steps, outerStep: steps.outerStep / 2 });
 *     },
 *     { convergence: 'linear', seed: 42 },
 *   ));
 */
export async function checkSolver<P extends ConstantsProblem = QuadraticProblem>(solverFactory: SolverFactory<P>, options: CheckSolverOptions<P> = {}): Promise<void> {
  const fn = 'checkSolver';
  const { numRuns, seed, parameters, ...propertyOptions } = options;
  knownKeys(fn, options, ['convergence', 'replay', 'linear', 'runningMean', 'numRuns', 'seed', 'parameters']);
  if (numRuns !== undefined) positiveInteger(fn, 'numRuns', numRuns);
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new RangeError(`${fn}: seed must be a safe integer, received ${seed}`);
  for (const { name, property, numRuns: defaultRuns } of solverProperties(solverFactory, propertyOptions)) {
    try {
      const params = { includeErrorInReport: true, ...(parameters ?? {}), numRuns: numRuns ?? defaultRuns, ...(seed !== undefined ? { seed } : {}) };
      await fc.assert(property, params as fc.Parameters<unknown>);
    } catch (err) {
      throw new Error(`${fn}: property ${name} failed\n${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}
