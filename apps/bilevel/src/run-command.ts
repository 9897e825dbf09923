import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Subject } from 'rxjs';
import type { Subscription } from 'rxjs';
import { nrm2 } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import { DataCleaning, defaultOutDir, ImagingProblem, InputError, MAX_OPTIONS_FILE_BYTES, prepareOutDir, readJsonFile, reconstructionGrid } from '@bilevel/problems';
import { auditOracles, expectedCost, formatAudit, logregTape } from '@bilevel/autodiff';
import { LogregHpo } from '@bilevel/problems';
import { checkWritableDir } from '@bilevel/problems';
import { createSolver, customSolver, totalCalls } from '@bilevel/solvers';
import type { Finding, Monitor, RunState, Snapshot } from '@bilevel/streams';
import { DivergenceError, findingLogLevel, findingsSummary, formatFindings, MonitorViolationError, monitorContext, parseSchedule, run, withMonitors } from '@bilevel/streams';
import type { Logger } from '@bilevel/telemetry';
import { convergencePlotSvg, createProgress, formatSummaryTable, readCheckpoint, readTrace, svgToPng, TraceWriter, writeFileAtomic, WriteError } from '@bilevel/telemetry';
import { resumeTrace, runCheckpoints, writeFailureMessage } from './run-files';
import type { RunCheckpointHooks } from './run-files';
import type { ProblemConfig } from './build-problem';
import { buildProblem, startingX } from './build-problem';
import { EXIT } from './exit-codes';
import { DEFAULT_MAX_ITER, problemDefaults } from './problem-defaults';
import { fractionalTask, runFractional } from './fractional-command';
import { deqMetricsFor, deqSolver, deqStartingPoint } from './deq-setup';
import { forwardSolveMonitor } from '@bilevel/streams';
import type { MetaCliOptions, MetaProblemName } from './meta/meta-setup';
import { isMetaProblem, rejectMetaOptions } from './meta/meta-setup';
import { runMetaCommand } from './meta/meta-command';
import { endOfRunWarning, NO_MONITORS, runMonitors } from './run-monitors';
import { computeReference, REFERENCE_PROGRESS_EVERY, referenceByDefault } from './reference';
import { reconstructionsFigureSvg } from './reconstructions-figure';
import { threadsSource } from './thread-source';
import type { RunDashboardRequest } from './dashboard/run-dashboard';
import { constantSteps } from './dashboard/run-dashboard';

/**
 * Relative precision of an evaluated h(x): the inner solve stops at ‖∇_z G‖ ≤ 1e-10 (Newton usually lands far
 * below), so |h − F(z*)| ≤ ‖∇_z F‖·1e-10/μ; on the default task that is ~1e-9 relative at worst.
 */
const PRECISION_OF_H = 1e-9;

/** Largest x written whole into each trace line (data cleaning's 20,000 weights go to the summary only). */
const TRACE_X_MAX = 1000;

/** Everything `bilevel run` needs, after parsing. */
export interface RunConfig extends Omit<ProblemConfig, 'problem'>, MetaCliOptions {
  readonly problem: ProblemConfig['problem'] | 'fractional' | MetaProblemName;
  /** The solver; default: the problem's ({@link problemDefaults}). */
  readonly solver?: string;
  /** Minibatch size; default: the problem's. */
  readonly batch?: number;
  readonly innerStep?: number;
  readonly outerStep?: number;
  readonly schedule?: string;
  /** Threads of a jacobi run (see thread-source.ts); default 1. */
  readonly threads?: number;
  /** Parts chosen per stream by name; any of them turns the run into a single-loop solver built from parts. */
  readonly parts?: PartOptions;
  /** Outer iterations and evaluation period; default: the problem's. */
  readonly maxIter?: number;
  readonly maxSeconds?: number;
  readonly evalEvery?: number;
  /** Evaluate h exactly (`exact`), at the solver's own z (`iterate`), or as the problem's default (`auto`). */
  readonly evaluate?: 'auto' | 'exact' | 'iterate';
  /** Compute h* (`on`), not (`off`), or as the problem's default (`auto`). */
  readonly reference?: 'auto' | 'on' | 'off';
  readonly x0?: readonly number[];
  readonly out?: string;
  readonly json: boolean;
  readonly progress: boolean;
  /** Seconds of solver time between checkpoints (0: none). Default {@link DEFAULT_CHECKPOINT_SECONDS}. */
  readonly checkpointEvery?: number;
  /** Runtime monitors to attach, comma-separated names (`default`, `finiteness`, `theorem`, `accuracy`, `progress`, `budget`). */
  readonly monitors?: string;
  /** End the run at the first monitor violation. */
  readonly strict?: boolean;
}

/** Default `--checkpoint-every`: a run shorter than this never writes one, a longer one loses at most this much. */
export const DEFAULT_CHECKPOINT_SECONDS = 60;

/** A run to continue: its folder, and what its checkpoint holds (see {@link readResume}). */
export interface ResumeInfo {
  readonly dir: string;
  readonly state: RunState;
  readonly trace: { readonly bytes: number; readonly lines: number };
  /** The checkpoint file loaded (the `.prev` one when the latest was unusable). */
  readonly file: string;
  readonly fromPrevious: boolean;
}

/** File names inside a run folder. */
export const RUN_FILES = { config: 'run-config.json', checkpoint: 'checkpoint.bin', trace: 'trace.jsonl' } as const;
const CHECKPOINT_KIND = 'bilevel-run';

/** The CLI's part options. */
export interface PartOptions {
  readonly estimator?: string;
  readonly innerEstimator?: string;
  readonly linsysEstimator?: string;
  readonly outerEstimator?: string;
  readonly stepRule?: string;
  readonly innerStepRule?: string;
  readonly linsysStepRule?: string;
  readonly outerStepRule?: string;
}

/** The parts of the single-loop solvers, the base that part options override. */
const SINGLE_LOOP_PARTS: Record<string, { estimator: string; stepRule: string }> = {
  soba: { estimator: 'sgd', stepRule: 'power' },
  saba: { estimator: 'saga', stepRule: 'constant' },
  srba: { estimator: 'sarah', stepRule: 'constant' },
};

/** The options of a registered solver from the command line (the problem's tuned ones, then the flags). */
function solverOptionsOf(config: RunConfig & { batch: number }, tuned: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return {
    ...tuned,
    batchSize: config.batch,
    ...(config.innerStep !== undefined ? { innerStep: config.innerStep } : {}),
    ...(config.outerStep !== undefined ? { outerStep: config.outerStep } : {}),
  };
}

/** The solver of the command line: a registered one, or one assembled from parts when part options are given. */
function chooseSolver(config: RunConfig & { solver: string; batch: number }, tuned: Readonly<Record<string, unknown>>) {
  const common = solverOptionsOf(config, tuned);
  const p = config.parts ?? {};
  if (!Object.values(p).some((v) => v !== undefined)) return createSolver(config.solver, common);
  const base = SINGLE_LOOP_PARTS[config.solver];
  if (!base) {
    throw new InputError(
      `part options (--estimator, --step-rule, …) apply to the single-loop solvers ${Object.keys(SINGLE_LOOP_PARTS).join(', ')}; "${config.solver}" has its own parts`,
      '--solver',
    );
  }
  const pick = (stream: 'inner' | 'linsys' | 'outer') => ({
    estimator: p[`${stream}Estimator`] ?? p.estimator ?? base.estimator,
    stepRule: p[`${stream}StepRule`] ?? p.stepRule ?? base.stepRule,
  });
  return customSolver({ ...common, inner: pick('inner'), linsys: pick('linsys'), outer: pick('outer') });
}

/** Where the program writes. */
export interface RunIo {
  readonly stdout: NodeJS.WritableStream;
  readonly log: Logger;
  /** Resolves when the user interrupts (SIGINT/SIGTERM); the run then stops and saves what it has. */
  readonly interrupted?: Promise<string>;
  /** Continue this run instead of starting one (`--resume`). */
  readonly resume?: ResumeInfo;
  /** Checkpoints counted in iterations, and a callback after each (tests, embedders); not saved with the run. */
  readonly checkpoints?: RunCheckpointHooks;
  /** `--dashboard`: a live page of the run, opened once its input is validated (see dashboard/run-dashboard.ts). */
  readonly dashboard?: RunDashboardRequest;
}

/** The configuration as saved in the run folder (no terminal-dependent fields). */
function persistableConfig(config: RunConfig): Record<string, unknown> {
  const { json: _json, progress: _progress, ...rest } = config;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

/**
 * Reads what `--resume DIR` needs: the saved configuration and the latest usable checkpoint (the previous one
 * when the latest is corrupt or truncated, said in `fromPrevious`). Every defect is an InputError naming the file.
 */
export function readResume(dir: string): { config: Omit<RunConfig, 'json' | 'progress'>; resume: ResumeInfo } {
  const abs = resolve(dir);
  const configPath = join(abs, RUN_FILES.config);
  if (!existsSync(configPath)) throw new InputError('no run-config.json: not a folder written by `bilevel run`', configPath);
  // the shared reader of user JSON files: a regular file, size-capped, and no "__proto__" key (the keys are copied onto
  // the options)
  const config = readJsonFile(configPath, { what: 'run configuration', maxBytes: MAX_OPTIONS_FILE_BYTES }) as Omit<RunConfig, 'json' | 'progress'>;
  if (config === null || typeof config !== 'object' || typeof config.problem !== 'string') throw new InputError('not a run configuration written by `bilevel run`', configPath);
  const checkpointPath = join(abs, RUN_FILES.checkpoint);
  if (!existsSync(checkpointPath) && !existsSync(`${checkpointPath}.prev`)) {
    throw new InputError('no checkpoint to resume from: the run wrote none (one is written every --checkpoint-every seconds of solver time, and when it is interrupted)', checkpointPath);
  }
  let loaded;
  try {
    loaded = readCheckpoint(checkpointPath, { kind: CHECKPOINT_KIND, fallbackToPrevious: true });
  } catch (err) {
    throw new InputError(`no usable checkpoint: ${(err as Error).message.replace(/^readCheckpoint: /, '')}`, checkpointPath);
  }
  const st = loaded.state as { run?: RunState; trace?: { bytes: number; lines: number } };
  if (!st || typeof st !== 'object' || !st.run || !st.trace || typeof st.trace.bytes !== 'number' || typeof st.trace.lines !== 'number') {
    throw new InputError('the checkpoint does not hold a run state and a trace position', loaded.path);
  }
  return { config, resume: { dir: abs, state: st.run, trace: st.trace, file: loaded.path, fromPrevious: loaded.fromPrevious } };
}

/** One line of trace.jsonl: an exact evaluation at a sampled iterate. */
interface TraceRow {
  iter: number;
  solverSeconds: number;
  value: number;
  /** ‖∇h(x)‖, when evaluated exactly. */
  hypergradNorm?: number;
  /** (h − h*)/|h*|, when h* was computed. */
  relativeSuboptimality?: number;
  /** x itself when dimX ≤ {@link TRACE_X_MAX}, else its norm only (the summary holds the final x). */
  x?: number[];
  xNorm?: number;
  innerGradNorm: number;
  /** Total oracle calls so far, and per oracle (all streams). */
  oracleCalls: number;
  calls?: Record<string, number>;
  /** The problem's own metrics (held-out error, PSNR…), when it has any. */
  metrics?: Readonly<Record<string, number>>;
}

/** Builds everything and validates it before anything is written; then runs, evaluates, writes, reports. */
export async function runCommand(config: RunConfig, io: RunIo): Promise<number> {
  const { log } = io;
  const wallStart = performance.now();
  // 0. the meta-learning problems (their own command: per-task inner problems, meta-test evaluation), and the
  // standalone fractional task
  if (isMetaProblem(config.problem)) {
    const problem = config.problem;
    return runMetaCommand(
      { ...config, problem },
      { ...io, files: { ...RUN_FILES, kind: CHECKPOINT_KIND }, persist: (c) => persistableConfig(c as unknown as RunConfig), defaultCheckpointSeconds: DEFAULT_CHECKPOINT_SECONDS },
    );
  }
  rejectMetaOptions(config, config.problem);
  if (config.problem === 'fractional' && config.solver === undefined) config = { ...config, solver: 'fractional-cd' };
  if (config.problem === 'fractional' || config.solver === 'fractional-cd') {
    if (config.problem !== 'fractional') {
      throw new InputError('fractional-cd solves fractional programs (f + ρ‖z‖₁)/g, not bilevel problems: use --problem fractional', '--solver fractional-cd');
    }
    if (config.solver !== 'fractional-cd') throw new InputError('the fractional task is solved by --solver fractional-cd', '--problem fractional');
    if (config.val) throw new InputError('--val does not apply to the fractional task', '--val');
    fractionalTask(config.train, config.seed); // validates the data before anything is written
    const dir = prepareOutDir(config.out ?? defaultOutDir('fractional', 'fractional-cd'));
    return runFractional({ ...config, maxIter: config.maxIter ?? DEFAULT_MAX_ITER }, dir, io);
  }
  // 1. everything that can fail on bad input, before any file is written
  const defaults = problemDefaults(config.problem as ProblemConfig['problem'], config.regularizer);
  const solverName = config.solver ?? defaults.solver;
  config = {
    ...config,
    solver: solverName,
    batch: config.batch ?? defaults.batch,
    maxIter: config.maxIter ?? defaults.maxIter,
    evalEvery: config.evalEvery ?? defaults.evalEvery,
  };
  const maxIter = config.maxIter as number;
  const evalEvery = config.evalEvery as number;
  const evaluation = config.evaluate === undefined || config.evaluate === 'auto' ? defaults.evaluation : config.evaluate;
  const withReference = config.reference === 'on' || ((config.reference ?? 'auto') === 'auto' && defaults.reference);
  const problem = buildProblem(config as RunConfig & { problem: ProblemConfig['problem'] });
  // --x0, else the problem's own starting point (imaging: θ = (−5, −5)), else the solver's default
  const x0 = startingX(config.x0, problem.dimX) ?? (problem instanceof ImagingProblem ? problem.startingPoint() : undefined) ?? deqStartingPoint(problem);
  if (config.x0 !== undefined && x0) checkStartingPoint(problem, x0);
  // the problem the solver sees: the analytic one, or the same problem differentiated by tfjs
  let solverProblem = problem;
  let backend = 'float64 (analytic Float64Array kernels)';
  let disposeAutodiff = () => undefined as void;
  let solver;
  try {
    // a DEQ trains with its own parts (forward solver, backward pass, Adam), timed per stream
    solver = config.problem === 'deq' ? deqSolver(config) : chooseSolver(config as RunConfig & { solver: string; batch: number }, solverName === defaults.solver ? defaults.solverOptions : {});
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError((err as Error).message, '--solver');
  }
  const schedule = config.schedule ?? solver.schedule;
  // --threads: the worker threads' rebuild source (refused where threads cannot rebuild or carry the run)
  const threadSource = threadsSource({
    threads: config.threads ?? 1,
    config: config as RunConfig & { problem: ProblemConfig['problem'] },
    solver: solverName,
    solverOptions: solverOptionsOf(config as RunConfig & { batch: number }, solverName === defaults.solver ? defaults.solverOptions : {}),
    customParts: Object.values(config.parts ?? {}).some((v) => v !== undefined),
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
  let monitors: Monitor[] = named;
  if (config.strict && (config.monitors === undefined || monitors.length === 0)) throw new InputError('--strict ends the run at the first monitor violation; name the monitors with --monitor (e.g. --monitor default)', '--strict');
  // a DEQ's forward solves that miss their budget are always reported (their steps are skipped)
  if (config.problem === 'deq') monitors = [...monitors, forwardSolveMonitor()];
  const resume = io.resume;
  if (resume) checkWritableDir(resume.dir, '--resume');
  const outDir = resume ? resume.dir : prepareOutDir(config.out ?? defaultOutDir(problem.name, solver.name));
  if (!resume) {
    // the run's configuration, for --resume; also the proof that the folder takes writes before any work starts
    try {
      writeFileAtomic(join(outDir, RUN_FILES.config), JSON.stringify(persistableConfig(config), null, 2) + '\n');
    } catch (err) {
      throw new InputError(`cannot write to the output folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); free space or choose another --out`, outDir);
    }
  }
  const runLog = log.child({ run: `${problem.name}/${solver.name}/seed${config.seed}` });
  if (config.oracles === 'autodiff' && problem instanceof LogregHpo) {
    // tfjs is loaded here only, for --oracles autodiff: importing it costs every other command about 0.5 s of CPU at startup
    const { initEngine, logregAutodiff } = await import('@bilevel/autodiff/tfjs');
    const engine = await initEngine();
    backend = `tfjs-${engine.backend} (float32 autodiff)`;
    runLog.info({ backend: engine.backend, tried: engine.tried.map((t) => `${t.name}:${t.ok ? 'ok' : 'unavailable'}`).join(' ') }, 'tfjs engine');
    const ad = logregAutodiff(problem, 'softplus');
    solverProblem = ad.problem;
    disposeAutodiff = ad.dispose;
    auditAndCost(ad.problem, problem, config.seed, runLog);
  }
  if (config.oracles === 'tape' && problem instanceof LogregHpo) {
    backend = 'float64 tape autodiff';
    const tp = logregTape(problem);
    solverProblem = tp;
    auditAndCost(tp, problem, config.seed, runLog);
  }
  runLog.info({ problem: problem.name, dimZ: problem.dimZ, dimX: problem.dimX, nInner: problem.nInner, nOuter: problem.nOuter, ...problem.info }, 'problem');
  runLog.info({ solver: solver.name, schedule, ...solver.options, maxIter, evalEvery, seed: config.seed }, 'solver');

  // 2. the reference minimum h*, from a full-batch solve
  let ref: ReturnType<typeof computeReference> | undefined;
  const auto = config.reference === 'on' ? { on: true } : referenceByDefault(problem);
  if (withReference && auto.on) {
    const refStart = performance.now();
    runLog.info('computing h* (full-batch L-BFGS on exact hypergradients; --reference off skips it)');
    const r = computeReference(problem, (p) => {
      if (p.done % REFERENCE_PROGRESS_EVERY === 0 || p.done === p.of) runLog.info({ ...p, seconds: (performance.now() - refStart) / 1000 }, `computing h*: ${p.phase}, ${p.done}${p.of ? `/${p.of}` : ''} evaluations`);
    });
    ref = r;
    runLog.info({ hStar: r.value, method: r.method, xStarNorm: nrm2(r.x), gradNorm: r.gradNorm, seconds: (performance.now() - refStart) / 1000 }, 'reference solution h*');
    if (!r.converged || !r.innerConverged) {
      const msg = `the reference h* is inexact: ${!r.converged ? `‖∇h‖ = ${r.gradNorm.toExponential(2)} > ${r.gtol}` : `its inner solve stopped at ‖∇_z G‖ = ${r.innerGradNorm.toExponential(2)} > ${r.innerTol}`}`;
      runLog.warn({ gradNorm: r.gradNorm, gtol: r.gtol, innerGradNorm: r.innerGradNorm, innerTol: r.innerTol }, msg);
      process.stderr.write(`warning: ${msg}\n`);
    }
  } else if (withReference) runLog.warn(`no reference h*: ${auto.why}; --reference on computes it`);
  else runLog.info('no reference h* (off by default for this problem; --reference on computes it)');
  const relSubopt = (value: number) => (ref ? (value - ref.value) / Math.abs(ref.value) : undefined);
  const metricsOf = (problem as BilevelProblem).metrics?.bind(problem);
  /** DEQ: seconds per step of each stream, forward iterations, the cosine to the exact backward direction. */
  const deqMetrics = deqMetricsFor(problem, config);
  const xForTrace = (x: Float64Array) => (x.length <= TRACE_X_MAX ? { x: Array.from(x) } : { xNorm: nrm2(x) });

  const dash = await io.dashboard?.start({
    problem: problem.name,
    solver: solver.name,
    seed: config.seed,
    schedule,
    maxIter,
    evalEvery,
    evaluation,
    ...(ref ? { hStar: ref.value } : {}),
    outDir,
    ...(resume ? { resumedFrom: resume.state.versions.x.k } : {}),
    constantSteps: constantSteps(solver),
  });

  // 3. the run
  const tracePath = join(outDir, RUN_FILES.trace);
  const trace = resume ? resumeTrace(tracePath, resume.trace, runLog) : TraceWriter.open(tracePath);
  const rows: TraceRow[] = resume ? readTrace<TraceRow & Record<string, unknown>>(tracePath).filter((r) => !('finding' in r)) : [];
  const findings: Finding[] = [];
  const checkpointPath = join(outDir, RUN_FILES.checkpoint);
  const every = config.checkpointEvery ?? DEFAULT_CHECKPOINT_SECONDS;
  const hooks = io.checkpoints ?? {};
  const checkpoint = runCheckpoints({
    path: checkpointPath,
    kind: CHECKPOINT_KIND,
    every,
    start: hooks.everyIterations !== undefined ? (resume?.state.versions.x.k ?? 0) : (resume?.state.solverSeconds ?? 0),
    trace,
    log: runLog,
    ...hooks,
  });
  const stop = new Subject<void>();
  const progress = createProgress({ total: Math.max(1, maxIter), enabled: config.progress, label: `${solver.name}` });
  let lastSnapshot: Snapshot | undefined;
  let warmZ: Float64Array | undefined;
  const gradZ = new Float64Array(problem.dimZ);
  /** Exact evaluations whose inner solve stopped short of its target: warned about at the first, counted in the summary. */
  let inexact: { count: number; firstIteration: number; worstInnerGradNorm: number; innerTol: number } | undefined;
  const noteInexact = (iteration: number, e: { innerConverged?: boolean; innerGradNorm: number; innerTol?: number }) => {
    if (e.innerConverged !== false) return;
    if (inexact) {
      inexact.count++;
      inexact.worstInnerGradNorm = Math.max(inexact.worstInnerGradNorm, e.innerGradNorm);
      return;
    }
    inexact = { count: 1, firstIteration: iteration, worstInnerGradNorm: e.innerGradNorm, innerTol: e.innerTol ?? NaN };
    const msg = `the exact evaluation at iteration ${iteration} did not converge: ‖∇_z G‖ = ${e.innerGradNorm.toExponential(2)} > ${e.innerTol}, so h and ∇h there are inexact (the summary counts such evaluations)`;
    runLog.warn({ iteration, innerGradNorm: e.innerGradNorm, innerTol: e.innerTol }, msg);
    process.stderr.write(`warning: ${msg}\n`);
  };
  /** h at x: exact (inner solve, hypergradient) or at the solver's own z (F(z, x), ‖∇_z G(z, x)‖: one full pass). */
  const evaluatePoint = (x: Float64Array, z: Float64Array) => {
    if (evaluation === 'iterate') {
      problem.innerGradZ(z, x, problem.fullInner, gradZ);
      return { value: problem.outerValue(z, x, problem.fullOuter), innerGradNorm: nrm2(gradZ), z };
    }
    const hg = problem.hypergradient(x, { ...(warmZ ? { z0: warmZ } : {}), ...(defaults.evalTol ? { tol: defaults.evalTol } : {}) });
    warmZ = hg.z;
    return { value: hg.value, hypergradNorm: nrm2(hg.grad), innerGradNorm: hg.innerGradNorm, innerConverged: hg.innerConverged, innerTol: hg.innerTol, z: hg.z };
  };
  /** Seconds the last evaluation took: the interruption message says how long the final one should take. */
  let lastEvaluationSeconds = 0;
  const evaluate = (s: Snapshot): TraceRow => {
    const evalStart = performance.now();
    const e = evaluatePoint(s.x, s.z);
    lastEvaluationSeconds = (performance.now() - evalStart) / 1000;
    noteInexact(s.iteration, e);
    const c = s.counts.total;
    const row: TraceRow = {
      iter: s.iteration,
      solverSeconds: s.solverSeconds,
      value: e.value,
      ...(e.hypergradNorm !== undefined ? { hypergradNorm: e.hypergradNorm } : {}),
      relativeSuboptimality: relSubopt(e.value),
      ...xForTrace(s.x),
      innerGradNorm: e.innerGradNorm,
      oracleCalls: totalCalls(c),
      calls: { ...c },
      ...(metricsOf ? { metrics: { ...metricsOf(s.x, e.z), ...deqMetrics?.(s) } } : {}),
    };
    rows.push(row);
    trace.write(row as unknown as Record<string, unknown>);
    dash?.evaluated(s, row, e.z);
    return row;
  };

  let status = 'finished' as 'finished' | 'diverged' | 'interrupted' | 'violation' | 'write-failed';
  /** The first output file that could not be written (full disk, read-only folder): the run stops there. */
  let writeFailure: WriteError | undefined;
  let divergence: DivergenceError | undefined;
  let violation: MonitorViolationError | undefined;
  /** An evaluation that threw at a finite iterate (e.g. an inner problem no longer positive definite). */
  let evaluationFailure: { iteration: number; message: string } | undefined;
  await new Promise<void>((resolveRun, rejectRun) => {
    const runOptions = {
      seed: config.seed,
      maxIter,
      ...(config.maxSeconds !== undefined ? { maxSeconds: config.maxSeconds } : {}),
      sampleEvery: evalEvery,
      schedule,
      ...(x0 ? { x0 } : {}),
      ...(threaded ?? { checkpoint }),
      stop,
      ...(resume ? { resume: resume.state } : {}),
      ...(dash ? { onYield: dash.onYield } : {}),
    };
    const runs$ = run(solverProblem, solver, runOptions);
    const monitored = monitors.length ? withMonitors(runs$, monitorContext(solverProblem, solver, runOptions), monitors, { strict: config.strict }) : undefined;
    // `next` may run before subscribe returns: it reaches the subscription through this holder
    const handle: { sub?: Subscription } = {};
    /** A trace line that could not be written: the run stops there (not a divergence), the checkpoint is kept. */
    const stopOnWriteFailure = (err: WriteError) => {
      writeFailure ??= err;
      status = 'write-failed';
      handle.sub?.unsubscribe();
      resolveRun();
    };
    monitored?.findings$.subscribe((f) => {
      findings.push(f);
      dash?.finding(f);
      if (writeFailure) return;
      if (quietMonitors.has(f.monitor)) return void runLog.debug({ monitor: f.monitor, iteration: f.iteration }, `${f.monitor}: ${f.message}`);
      try {
        trace.write({ finding: { ...f } });
      } catch (err) {
        if (!(err instanceof WriteError)) throw err;
        stopOnWriteFailure(err);
      }
      runLog[findingLogLevel(f)]({ monitor: f.monitor, iteration: f.iteration, value: f.value, bound: f.bound, stream: f.stream, oracle: f.oracle }, `${f.monitor}: ${f.message}`);
    });
    handle.sub = (monitored?.snapshots$ ?? runs$).subscribe({
      next: (s) => {
        if (evaluationFailure || writeFailure) return;
        const previous = lastSnapshot;
        lastSnapshot = s;
        // a resumed run starts where its checkpoint was taken: off the evaluation grid, that point has no row
        // (and a point the trace already holds, when the checkpoint was taken just after that evaluation, or when
        // it was taken at the last iteration, whose final snapshot follows the first one)
        if (resume && s.iteration === resume.state.versions.x.k && (rows.at(-1)?.iter === s.iteration || (!s.final && s.iteration % evalEvery !== 0))) return;
        let row: TraceRow;
        try {
          row = evaluate(s);
        } catch (err) {
          if (err instanceof WriteError) {
            stopOnWriteFailure(err);
            return;
          }
          // the iterate is finite but the problem cannot be evaluated there: the run ends as diverged, with the
          // last evaluated state reported (an error thrown here would escape RxJS asynchronously)
          evaluationFailure = { iteration: s.iteration, message: (err as Error).message };
          lastSnapshot = previous;
          status = 'diverged';
          handle.sub?.unsubscribe();
          resolveRun();
          return;
        }
        progress.update(s.iteration, { h: row.value.toPrecision(6), '‖∇h‖': row.hypergradNorm?.toExponential(2) ?? '—' });
        runLog.debug({ iter: row.iter, h: row.value, ...row.metrics, relSubopt: row.relativeSuboptimality, gradNorm: row.hypergradNorm }, 'evaluation');
      },
      error: (err: unknown) => {
        if (err instanceof DivergenceError) {
          status = 'diverged';
          divergence = err;
          resolveRun();
        } else if (err instanceof MonitorViolationError) {
          status = 'violation';
          violation = err;
          resolveRun();
        } else rejectRun(err);
      },
      complete: () => resolveRun(),
    });
    if (evaluationFailure || writeFailure) handle.sub.unsubscribe();
    io.interrupted?.then((signal) => {
      if (!handle.sub || handle.sub.closed) return;
      status = 'interrupted';
      const msg = `interrupted: finishing the current step and writing a checkpoint, then evaluating h at the last iterate (the last evaluation took ${lastEvaluationSeconds.toFixed(1)} s) and writing the trace and the summary; press Ctrl-C again to exit without them (the checkpoint is kept; an evaluation in progress ends first)`;
      runLog.warn({ signal }, msg);
      // the run completes the current period, saves a checkpoint and ends with a final snapshot ('stopped')
      stop.next();
    });
  });
  progress.stop();
  dash?.ended(status, checkpoint.lastIteration);
  try {
    trace.close();
  } catch (err) {
    if (!(err instanceof WriteError)) throw err;
    writeFailure ??= err;
  }
  disposeAutodiff();

  // 4. the summary, the plot
  let finalRow: TraceRow | undefined = rows.at(-1);
  let x = lastSnapshot?.x;
  if (divergence) {
    x = divergence.lastFinite.x;
    const last = divergence.lastFinite;
    const e = evaluatePoint(last.x, last.z);
    noteInexact(last.iteration, e);
    finalRow = {
      iter: last.iteration,
      solverSeconds: lastSnapshot?.solverSeconds ?? 0,
      value: e.value,
      ...(e.hypergradNorm !== undefined ? { hypergradNorm: e.hypergradNorm } : {}),
      relativeSuboptimality: relSubopt(e.value),
      ...xForTrace(last.x),
      innerGradNorm: e.innerGradNorm,
      oracleCalls: NaN,
      ...(metricsOf ? { metrics: metricsOf(last.x, e.z) } : {}),
    };
  }
  // data cleaning: the two reference trainings of the same model and C, to read the learned weights against
  let baselines: Record<string, number> | undefined;
  if (problem instanceof DataCleaning && status !== 'interrupted') {
    const t0 = performance.now();
    const corrupted = problem.errors(problem.solveWeighted(problem.baselineWeights('corrupted'), { tol: 1e-6 }).z);
    const clean = problem.errors(problem.solveWeighted(problem.baselineWeights('clean'), { tol: 1e-6 }).z);
    baselines = { corruptedLabelsTestError: corrupted.testError, cleanLabelsOnlyTestError: clean.testError };
    runLog.info({ ...baselines, seconds: (performance.now() - t0) / 1000 }, 'baselines: training on the corrupted labels, and on the right labels only');
  }
  const warning = endOfRunWarning({ monitored: config.monitors !== NO_MONITORS, status, relativeSuboptimality: finalRow?.relativeSuboptimality, firstValue: rows[0]?.value, lastValue: finalRow?.value, findings });
  const summary = {
    problem: problem.name,
    solver: solver.name,
    status,
    ...(lastSnapshot?.reason && status === 'finished' ? { stopReason: lastSnapshot.reason } : {}),
    iterations: finalRow?.iter ?? 0,
    solverSeconds: lastSnapshot?.solverSeconds ?? 0,
    x: x ? Array.from(x) : [],
    value: finalRow?.value ?? NaN,
    ...(finalRow?.hypergradNorm !== undefined ? { hypergradNorm: finalRow.hypergradNorm } : {}),
    evaluation,
    ...(ref ? { hStar: ref.value, relativeSuboptimality: finalRow?.relativeSuboptimality ?? NaN } : {}),
    ...(finalRow?.metrics ? { metrics: finalRow.metrics } : {}),
    ...(baselines ? { baselines } : {}),
    backend,
    seed: config.seed,
    schedule,
    solverOptions: solver.options,
    problemInfo: problem.info ?? {},
    oracleCalls: lastSnapshot?.counts.total ?? null,
    evaluations: rows.length,
    wallSeconds: (performance.now() - wallStart) / 1000,
    outDir,
    ...(monitors.length ? { monitors: findingsSummary(monitors.map((m) => m.name), Boolean(config.strict), findings) } : {}),
    ...(violation ? { violation: violation.message } : {}),
    ...(warning ? { warning } : {}),
    ...(checkpoint.lastIteration !== undefined ? { checkpoint: { file: checkpointPath, iteration: checkpoint.lastIteration, written: checkpoint.written } } : {}),
    ...(checkpoint.failures ? { checkpointFailures: checkpoint.failures } : {}),
    ...(resume ? { resumedFrom: { iteration: resume.state.versions.x.k, file: resume.file, fromPrevious: resume.fromPrevious } } : {}),
    ...(divergence ? { divergence: { stream: divergence.stream, variable: divergence.variable, version: divergence.version, message: divergence.message } } : {}),
    ...(evaluationFailure ? { evaluationFailure } : {}),
    ...(writeFailure ? { writeFailure: { file: writeFailure.path, code: writeFailure.code, message: writeFailure.message } } : {}),
    ...(inexact ? { inexactEvaluations: inexact } : {}),
    ...(ref && (!ref.converged || !ref.innerConverged) ? { hStarInexact: { gradNorm: ref.gradNorm, gtol: ref.gtol, innerGradNorm: ref.innerGradNorm, innerTol: ref.innerTol } } : {}),
  };
  let images: string | undefined;
  if (problem instanceof ImagingProblem && x && !writeFailure) {
    // clean | measured | reconstructed, for a person to look at (held-out images when there are some)
    images = join(outDir, 'reconstructions.png');
    try {
      const grid = reconstructionGrid(problem, x);
      // column headers and each tile's PSNR drawn over the grid (the plots' fonts)
      writeFileAtomic(images, svgToPng(reconstructionsFigureSvg(grid), { width: grid.width * 2 }));
      runLog.info({ file: images, psnr: grid.rows.map((r) => `${r.label}: ${r.psnrObserved.toFixed(2)} → ${r.psnrReconstructed.toFixed(2)} dB`).join(', ') }, 'reconstructions');
    } catch (err) {
      images = undefined;
      runLog.warn({ err: (err as Error).message }, 'could not draw the reconstructions');
    }
  }
  try {
    writeFileAtomic(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  } catch (err) {
    if (!(err instanceof WriteError)) throw err;
    writeFailure ??= err;
  }
  if (rows.length > 0 && !writeFailure) {
    try {
      const svg = await convergencePlotSvg(rows.map((r) => ({ ...r, hypergradNorm: r.hypergradNorm ?? NaN })), { title: `${problem.name} · ${solver.name} (seed ${config.seed})`, ...(ref ? { hStar: ref.value } : {}) });
      writeFileAtomic(join(outDir, 'convergence.svg'), svg);
      writeFileAtomic(join(outDir, 'convergence.png'), svgToPng(svg));
    } catch (err) {
      runLog.warn({ err: (err as Error).message }, 'could not draw the convergence plot');
    }
  }
  const level = status === 'finished' ? 'info' : 'warn';
  runLog[level]({ status, iterations: summary.iterations, solverSeconds: summary.solverSeconds, h: summary.value, hStar: ref?.value, relSubopt: finalRow?.relativeSuboptimality, gradNorm: summary.hypergradNorm, outDir }, 'run ended');
  if (divergence) runLog.error({ stream: divergence.stream, version: divergence.version }, divergence.message);
  if (evaluationFailure) runLog.error(evaluationFailure, `the evaluation at iteration ${evaluationFailure.iteration} failed: ${evaluationFailure.message}`);

  if (config.json) io.stdout.write(JSON.stringify(summary) + '\n');
  else {
    const { monitors: monitorSummary, warning: _warning, ...printed } = summary as typeof summary & { monitors?: { names: string[]; counts: unknown }; warning?: string };
    io.stdout.write(formatSummaryTable(monitorSummary ? { ...printed, monitors: { names: monitorSummary.names, counts: monitorSummary.counts } } : printed) + '\n');
    const rel = finalRow?.relativeSuboptimality ?? NaN;
    const versus = ref
      ? `, h* = ${ref.value.toPrecision(10)} (${ref.method}): relative suboptimality ${rel.toExponential(2)}` +
        (Math.abs(rel) < PRECISION_OF_H ? ` (at the precision of the evaluation, |·| < ${PRECISION_OF_H})` : '')
      : '';
    const metrics = finalRow?.metrics ? `; ${Object.entries(finalRow.metrics).map(([k, v]) => `${k} ${+v.toPrecision(6)}`).join(', ')}` : '';
    io.stdout.write(
      `\nh(x) = ${summary.value.toPrecision(10)}${versus} after ${summary.iterations} iterations ` +
        `in ${summary.solverSeconds.toFixed(2)} s of solver time${metrics}.\n` +
        (writeFailure ? '' : `Wrote ${outDir}/{trace.jsonl,summary.json,convergence.svg,convergence.png${images ? ',reconstructions.png' : ''}}\n`),
    );
  }
  if (monitors.length && !config.json && (config.monitors !== undefined || config.problem === 'deq')) io.stdout.write(`\n${formatFindings(findings)}\n`);
  if (warning) {
    runLog.warn({ relSubopt: finalRow?.relativeSuboptimality }, warning.replace(/^warning: /, ''));
    if (!config.json) io.stdout.write(`${warning}\n`);
  }
  if (writeFailure) {
    const kept = checkpoint.lastIteration ?? resume?.state.versions.x.k;
    const at = { status, iteration: summary.iterations, outDir, ...(kept !== undefined ? { checkpoint: { file: checkpointPath, iteration: kept } } : {}) };
    throw new WriteError(writeFailure.path, writeFailureMessage(writeFailure, at), { cause: writeFailure });
  }
  if (status === 'interrupted' && checkpoint.lastIteration !== undefined) {
    process.stderr.write(`interrupted at iteration ${checkpoint.lastIteration}: checkpoint ${checkpointPath}; continue with: bilevel run --resume ${outDir}\n`);
  }
  return status === 'diverged' ? EXIT.diverged : status === 'interrupted' ? EXIT.interrupted : status === 'violation' ? EXIT.monitorViolation : EXIT.ok;
}

/** Logs the finite-difference audit of automatically differentiated oracles and their cost against the analytic ones. */
function auditAndCost(oracles: BilevelProblem, analytic: BilevelProblem, seed: number, runLog: Logger): void {
  const audit = auditOracles(oracles, { seed });
  runLog[audit.ok ? 'info' : 'warn']({ ok: audit.ok, worst: Math.max(...audit.oracles.map((o) => o.maxRelError)) }, audit.ok ? formatAudit(audit).split('\n')[0] : formatAudit(audit));
  runLog.info(expectedCost(oracles, { analytic, seed }).text);
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
