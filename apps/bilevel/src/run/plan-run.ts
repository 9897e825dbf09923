import type { BilevelProblem } from '@bilevel/problems';
import { InputError } from '@bilevel/io';
import { ImagingProblem } from '@bilevel/problems';
import type { Solver } from '@bilevel/solvers';
import type { Monitor, ThreadSource } from '@bilevel/streams';
import { forwardSolveMonitor, parseSchedule } from '@bilevel/streams';
import type { ProblemConfig } from '../build-problem';
import { buildProblem, startingX } from '../build-problem';
import { deqSolver, deqStartingPoint } from '../deq-setup';
import type { ProblemDefaults } from '../problem-defaults';
import { problemDefaults } from '../problem-defaults';
import { runMonitors } from '../run-monitors';
import { threadsSource } from '../thread-source';
import { chooseSolver, hasPartOptions, solverOptionsOf } from './choose-solver';
import type { ProblemBuilder, RunConfig } from './run-config';

/** A run's configuration with the problem's defaults filled in. */
export type PlannedConfig = RunConfig & { readonly problem: ProblemConfig['problem']; readonly solver: string; readonly batch: number; readonly maxIter: number; readonly evalEvery: number };

/** A run, validated and built: nothing written yet. */
export interface RunPlan {
  readonly config: PlannedConfig;
  readonly defaults: ProblemDefaults;
  readonly problem: BilevelProblem;
  /** --x0, else the problem's own starting point, else undefined (the solver's default). */
  readonly x0: Float64Array | undefined;
  readonly solver: Solver;
  readonly schedule: string;
  /** --threads on a jacobi run: the threads and how each rebuilds the problem. */
  readonly threaded: { readonly threads: number | undefined; readonly rebuild: ThreadSource } | undefined;
  readonly monitors: Monitor[];
  /** The default monitors, whose findings go to the debug log and the summary only. */
  readonly quietMonitors: ReadonlySet<string>;
  /** How the trace evaluates h (see ProblemDefaults.evaluation), and whether h* is wanted. */
  readonly evaluation: 'exact' | 'iterate';
  readonly withReference: boolean;
}

/**
 * Step 1 of `bilevel run`: everything that can fail on bad input, before any file is written. Fills the problem's
 * defaults in, builds the problem (reading its data) and the solver, and checks the starting point, the schedule,
 * `--threads` and the monitors; each defect is an InputError naming its option.
 */
export function planRun(given: RunConfig & { readonly problem: ProblemConfig['problem'] }, io: { readonly resume?: unknown; readonly dashboard?: unknown; readonly buildProblem?: ProblemBuilder }): RunPlan {
  const defaults = problemDefaults(given.problem, given.regularizer);
  const solverName = given.solver ?? defaults.solver;
  const config: PlannedConfig = {
    ...given,
    solver: solverName,
    batch: given.batch ?? defaults.batch,
    maxIter: given.maxIter ?? defaults.maxIter,
    evalEvery: given.evalEvery ?? defaults.evalEvery,
  };
  const evaluation = config.evaluate === undefined || config.evaluate === 'auto' ? defaults.evaluation : config.evaluate;
  const withReference = config.reference === 'on' || ((config.reference ?? 'auto') === 'auto' && defaults.reference);
  const problem = (io.buildProblem ?? buildProblem)(config);
  // --x0, else the problem's own starting point (imaging: θ = (−5, −5)), else the solver's default
  const x0 = startingX(config.x0, problem.dimX) ?? (problem instanceof ImagingProblem ? problem.startingPoint() : undefined) ?? deqStartingPoint(problem);
  if (config.x0 !== undefined && x0) checkStartingPoint(problem, x0);
  const tuned = solverName === defaults.solver ? defaults.solverOptions : {};
  let solver;
  try {
    // a DEQ trains with its own parts (forward solver, backward pass, Adam), timed per stream
    solver = config.problem === 'deq' ? deqSolver(config) : chooseSolver(config, tuned);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError((err as Error).message, '--solver');
  }
  const schedule = config.schedule ?? solver.schedule;
  // --threads: the worker threads' rebuild source (refused where threads cannot rebuild or carry the run)
  const threadSource = threadsSource({
    threads: config.threads ?? 1,
    config,
    solver: solverName,
    solverOptions: solverOptionsOf(config, tuned),
    customParts: hasPartOptions(config),
    resume: io.resume !== undefined,
    dashboard: io.dashboard !== undefined,
  });
  const threaded = threadSource && schedule === 'jacobi' ? { threads: config.threads, rebuild: threadSource } : undefined;
  try {
    parseSchedule(schedule);
  } catch (err) {
    throw new InputError((err as Error).message, '--schedule');
  }
  if (solver.fixedSchedule && parseSchedule(schedule).name !== parseSchedule(solver.schedule).name) {
    throw new InputError(`${solver.name} runs under its own schedule ${solver.schedule} only (a part reads what another computed at the same point); received ${schedule}`, '--schedule');
  }
  // the cheap monitors watch every run unless --no-monitor (see run-monitors.ts)
  const { monitors: named, quiet: quietMonitors } = runMonitors(config.monitors, config.problem);
  if (config.strict && (config.monitors === undefined || named.length === 0)) throw new InputError('--strict ends the run at the first monitor violation; name the monitors with --monitor (e.g. --monitor default)', '--strict');
  // a DEQ's forward solves that miss their budget are always reported (their steps are skipped)
  const monitors = config.problem === 'deq' ? [...named, forwardSolveMonitor()] : named;
  return { config, defaults, problem, x0, solver, schedule, threaded, monitors, quietMonitors, evaluation, withReference };
}

/**
 * `--x0` must lie where the problem is defined: its inner gradient at z = 0 and its outer value there are computed
 * once (one full pass) and must be finite, else an InputError before anything is written (e.g. a log-regularization
 * of 1e308 overflows e^x).
 */
function checkStartingPoint(problem: BilevelProblem, x0: Float64Array): void {
  const z = new Float64Array(problem.dimZ);
  const g = new Float64Array(problem.dimZ);
  let reason: string | undefined;
  try {
    problem.innerGradZ(z, x0, problem.fullInner, g);
    const v = problem.outerValue(z, x0, problem.fullOuter);
    if (!g.every(Number.isFinite)) reason = 'the inner gradient is not finite there';
    else if (!Number.isFinite(v)) reason = 'the outer value is not finite there';
  } catch (err) {
    reason = (err as Error).message;
  }
  if (reason) throw new InputError(`the problem is not defined at x0 = [${Array.from(x0, (v) => v.toPrecision(4)).join(', ')}] (${reason}); expected a starting point in its domain`, '--x0');
}
