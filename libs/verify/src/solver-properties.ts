import type { LinearConvergenceOptions } from './linear-convergence';
import { linearConvergence } from './linear-convergence';
import type { ReplayOptions } from './replays-from-seed';
import { replaysFromSeed } from './replays-from-seed';
import type { RunningMeanOptions } from './running-mean-decreases';
import { runningMeanDecreases } from './running-mean-decreases';
import type { QuadraticProblem } from '@bilevel/problems';
import type { ConstantsProblem } from './problem-constants';
import type { GeneratedProblem, SolverFactory, SolverProperty } from './solver-property';
import { knownKeys } from './validate-options';

/** Which convergence guarantee a solver claims. */
export type ConvergenceKind = 'linear' | 'running-mean' | 'none';

/**
 * Options of {@link solverProperties}, with their defaults. P is the problems' type: QuadraticProblem by default; for
 * a family of your own, give its arbitrary as `replay.problems` and `linear.problems` (or `runningMean.problems`).
 */
export interface SolverPropertiesOptions<P extends ConstantsProblem = QuadraticProblem> {
  /**
   * `linear`: constant steps with variance reduction (SABA-like), checked by {@link linearConvergence};
   * `running-mean`: decreasing steps (SOBA-like), checked by {@link runningMeanDecreases}; `none`: replay only.
   * Default `linear`.
   */
  readonly convergence?: ConvergenceKind;
  /** Options of {@link replaysFromSeed}. */
  readonly replay?: ReplayOptions<P>;
  /** Options of {@link linearConvergence} (with convergence `linear`). */
  readonly linear?: LinearConvergenceOptions<P>;
  /** Options of {@link runningMeanDecreases} (with convergence `running-mean`). */
  readonly runningMean?: RunningMeanOptions<P>;
}

/** The names of the solver properties. */
export type SolverPropertyName = 'replaysFromSeed' | 'linearConvergence' | 'runningMeanDecreases';

/** A property with its name and the numRuns the project uses for it by default. */
export interface NamedSolverProperty<P extends ConstantsProblem = QuadraticProblem> {
  readonly name: SolverPropertyName;
  readonly property: SolverProperty<GeneratedProblem<P>>;
  readonly numRuns: number;
}

/**
 * Default numRuns per property. Measured on the default family (2-core machine): a run of `linearConvergence` takes
 * ~50 ms (it stops at the target), of `runningMeanDecreases` ~90 ms (3200 steps, ∇h at each), of `replaysFromSeed`
 * ~20 ms (4 runs of 40 steps), so `checkSolver` with the defaults takes 1–2 s.
 */
export const DEFAULT_NUM_RUNS: Readonly<Record<SolverPropertyName, number>> = {
  replaysFromSeed: 10,
  linearConvergence: 20,
  runningMeanDecreases: 10,
};

const CONVERGENCE: readonly ConvergenceKind[] = ['linear', 'running-mean', 'none'];

/**
 * The properties that apply to a solver, for your own `fc.assert` / `fc.check` calls: always
 * {@link replaysFromSeed}, plus {@link linearConvergence} or {@link runningMeanDecreases} by `convergence`.
 *
 * @example
 * for (const { name, property, numRuns } of solverProperties((p) => saba(safeSabaOptions(p)))) {
 *   test(name, () => fc.assert(property, { seed: 42, numRuns }));
 * }
 */
export function solverProperties<P extends ConstantsProblem = QuadraticProblem>(
  solverFactory: SolverFactory<P>,
  options: SolverPropertiesOptions<P> = {},
): readonly NamedSolverProperty<P>[] {
  const fn = 'solverProperties';
  knownKeys(fn, options, ['convergence', 'replay', 'linear', 'runningMean']);
  const convergence = options.convergence ?? 'linear';
  if (!CONVERGENCE.includes(convergence)) {
    throw new RangeError(`${fn}: convergence must be one of ${CONVERGENCE.join(', ')}, received ${String(convergence)}`);
  }
  if (typeof solverFactory !== 'function') throw new RangeError(`${fn}: solverFactory must be a function (problem) => Solver, received ${typeof solverFactory}`);
  const out: NamedSolverProperty<P>[] = [
    { name: 'replaysFromSeed', property: replaysFromSeed(solverFactory, options.replay), numRuns: DEFAULT_NUM_RUNS.replaysFromSeed },
  ];
  if (convergence === 'linear') {
    out.push({ name: 'linearConvergence', property: linearConvergence(solverFactory, options.linear), numRuns: DEFAULT_NUM_RUNS.linearConvergence });
  }
  if (convergence === 'running-mean') {
    out.push({ name: 'runningMeanDecreases', property: runningMeanDecreases(solverFactory, options.runningMean), numRuns: DEFAULT_NUM_RUNS.runningMeanDecreases });
  }
  return out;
}
