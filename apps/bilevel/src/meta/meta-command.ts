import { join } from 'node:path';
import { Subject } from 'rxjs';
import type { Subscription } from 'rxjs';
import { defaultOutDir, InputError, prepareOutDir, checkWritableDir } from '@bilevel/problems';
import { createMetaSolver, META_SOLVERS, metaTest, resolveAdapt, totalCalls } from '@bilevel/solvers';
import type { MetaTestResult } from '@bilevel/solvers';
import type { Finding, Monitor, Snapshot } from '@bilevel/streams';
import { DivergenceError, findingLogLevel, findingsSummary, formatFindings, MonitorViolationError, monitorContext, parseSchedule, run, withMonitors } from '@bilevel/streams';
import { monitorsByName } from '@bilevel/verify';
import { createProgress, formatSummaryTable, metricPlotSvg, readTrace, svgToPng, TraceWriter, writeFileAtomic, WriteError } from '@bilevel/telemetry';
import { EXIT } from '../exit-codes';
import { resumeTrace, runCheckpoints, writeFailureMessage } from '../run-files';
import type { RunCheckpointHooks } from '../run-files';
import type { MetaConfig } from './meta-setup';
import { buildMetaSetup, metaDefaults } from './meta-setup';
import { writeMetaParams } from './meta-params-file';
import type { Logger } from '@bilevel/telemetry';
import type { RunState } from '@bilevel/streams';

/** File names of a meta-learning run folder (beside run-config.json, checkpoint.bin and trace.jsonl). */
export const META_FILES = { params: 'meta-params.json', plot: 'meta-test' } as const;

/** MAML's published one-step meta-test MSE on 10-shot sinusoid regression (see the README's Meta-learning section). */
export const MAML_SINUSOID_10SHOT_MSE = 0.77;

/** The monitors a meta-learning run accepts (the others call full-batch oracles or the exact hypergradient of one z). */
const META_MONITORS = ['budget'];

/** Options of `bilevel run` that other problems read and a meta-learning run would ignore: given, they are bad input. */
const NOT_META: readonly (readonly [string, string])[] = [
  ['train', '--train'],
  ['val', '--val'],
  ['test', '--test'],
  ['heldOut', '--held-out'],
  ['reg', '--reg'],
  ['trainSize', '--train-size'],
  ['valSize', '--val-size'],
  ['corruption', '--corruption'],
  ['ridge', '--ridge'],
  ['regularizer', '--regularizer'],
  ['noise', '--noise'],
  ['patchSize', '--patch-size'],
  ['batch', '--batch (use --meta-batch)'],
  ['x0', '--x0 (θ starts at the model\'s seeded initialisation)'],
];

/** Everything `bilevel run --problem fewshot|sinusoid` needs, after parsing. */
export interface MetaRunConfig extends MetaConfig {
  readonly solver?: string;
  readonly innerStep?: number;
  readonly outerStep?: number;
  readonly schedule?: string;
  readonly maxIter?: number;
  readonly maxSeconds?: number;
  readonly evalEvery?: number;
  readonly out?: string;
  readonly json: boolean;
  readonly progress: boolean;
  readonly checkpointEvery?: number;
  readonly monitors?: string;
  readonly strict?: boolean;
}

/** What the meta command needs from `bilevel run`'s plumbing. */
export interface MetaRunIo {
  readonly stdout: NodeJS.WritableStream;
  readonly log: Logger;
  readonly interrupted?: Promise<string>;
  readonly resume?: { readonly dir: string; readonly state: RunState; readonly trace: { readonly bytes: number; readonly lines: number }; readonly file: string; readonly fromPrevious: boolean };
  readonly checkpoints?: RunCheckpointHooks;
  /** File names and checkpoint kind shared with `bilevel run`. */
  readonly files: { readonly config: string; readonly checkpoint: string; readonly trace: string; readonly kind: string };
  /** The configuration as saved for --resume. */
  readonly persist: (config: MetaRunConfig) => Record<string, unknown>;
  readonly defaultCheckpointSeconds: number;
}

/** One line of a meta-learning run's trace.jsonl: a meta-test at an outer iteration. */
export interface MetaTraceRow {
  iter: number;
  solverSeconds: number;
  /** Meta-test accuracy after adaptation in % (classification), its 95% interval half-width, and before adaptation. */
  accuracy?: number;
  accuracyCi95?: number;
  accuracyBefore?: number;
  /** Meta-test query loss after adaptation (cross-entropy, or MSE for regression), its 95% half-width, and before. */
  loss: number;
  lossCi95: number;
  lossBefore: number;
  episodes: number;
  /** Seconds the meta-test took (not solver time). */
  evalSeconds: number;
  /**
   * CPU seconds of this process so far outside the meta-tests (user + system; the solver's work, the load of other
   * programs on the machine excluded, unlike `solverSeconds`; a resumed run goes on from its last trace row's count),
   * and in this meta-test.
   */
  cpuSeconds: number;
  evalCpuSeconds: number;
  thetaNorm: number;
  oracleCalls: number;
  calls: Record<string, number>;
  diagnostics: Record<string, Record<string, number>>;
}

function norm(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s);
}

/**
 * `bilevel run --problem fewshot|sinusoid --solver imaml|fomaml|reptile|esj-s`: meta-trains θ through `run()` (the three
 * streams: per-task adaptation, the per-task linear systems, Adam on θ; checkpoints and --resume as other problems),
 * meta-tests every --eval-every outer steps on held-out tasks (mean and 95% interval over --test-episodes episodes,
 * after adaptation with the same inner procedure; one trace line each; evaluation time is not solver time), and
 * writes summary.json, meta-test.svg/png (accuracy or MSE against solver time) and meta-params.json (the trained
 * θ with its model spec, for `bilevel score`).
 */
export async function runMetaCommand(config: MetaRunConfig, io: MetaRunIo): Promise<number> {
  const { log } = io;
  const wallStart = performance.now();
  // 1. everything that can fail on bad input, before any file is written
  const given = config as unknown as Record<string, unknown>;
  for (const [key, flag] of NOT_META) if (given[key] !== undefined) throw new InputError(`does not apply to meta-learning problems (--problem ${config.problem})`, flag);
  const parts = given.parts as Record<string, unknown> | undefined;
  if (parts && Object.values(parts).some((v) => v !== undefined)) throw new InputError('part options (--estimator, --step-rule, …) build single-loop solvers; the meta-solvers have their own parts', '--estimator');
  const d = metaDefaults(config.problem);
  const solverName = config.solver ?? 'imaml';
  if (!META_SOLVERS[solverName]) {
    throw new InputError(`"${solverName}" does not solve meta-learning problems; expected one of ${Object.keys(META_SOLVERS).join(', ')}`, '--solver');
  }
  const maxIter = config.maxIter ?? d.maxIter;
  const evalEvery = config.evalEvery ?? d.evalEvery;
  const setup = buildMetaSetup(config);
  const { train, test } = setup;
  const options: Record<string, unknown> = {
    metaBatch: config.metaBatch ?? d.metaBatch,
    innerSteps: config.innerSteps ?? d.innerSteps,
    innerStep: config.innerStep ?? d.innerStep,
    outerStep: config.outerStep ?? d.outerStep,
    ...(config.innerMethod !== undefined ? { innerMethod: config.innerMethod } : {}),
    ...(config.innerTol !== undefined ? { innerTol: config.innerTol } : {}),
    ...(solverName === 'imaml' ? { cgSteps: config.cgSteps ?? d.cgSteps } : {}),
  };
  if (config.cgSteps !== undefined && solverName !== 'imaml') throw new InputError(`sets iMAML's conjugate-gradient steps; ${solverName} solves no linear system`, '--cg-steps');
  let solver;
  try {
    solver = createMetaSolver(solverName, options);
  } catch (err) {
    throw new InputError((err as Error).message.replace(/^[\w-]+: /, ''), '--solver');
  }
  const adapt = resolveAdapt('meta-test', { ...setup.testAdapt, innerTol: config.innerTol ?? 0, innerMethod: config.innerMethod ?? 'gd' });
  const schedule = config.schedule ?? solver.schedule;
  if (parseSchedule(schedule).name !== 'gauss-seidel') throw new InputError(`the meta-solvers read the tasks the inner stream adapted in the same outer step: only gauss-seidel applies, received ${schedule}`, '--schedule');
  let monitors: Monitor[] = [];
  if (config.monitors !== undefined) {
    const names = config.monitors.split(',').map((s) => s.trim()).filter(Boolean);
    const other = names.filter((n) => !META_MONITORS.includes(n));
    if (other.length) {
      throw new InputError(`${other.join(', ')} ${other.length > 1 ? 'do' : 'does'} not apply to meta-learning problems (they call full-batch oracles or the exact hypergradient of one z); available: ${META_MONITORS.join(', ')}`, '--monitor');
    }
    monitors = monitorsByName(names.join(','));
  }
  if (config.strict && monitors.length === 0) throw new InputError('--strict ends the run at the first monitor violation; name the monitors with --monitor budget', '--strict');
  const resume = io.resume;
  if (resume) checkWritableDir(resume.dir, '--resume');
  const outDir = resume ? resume.dir : prepareOutDir(config.out ?? defaultOutDir(config.problem, solver.name));
  if (!resume) {
    try {
      writeFileAtomic(join(outDir, io.files.config), JSON.stringify(io.persist(config), null, 2) + '\n');
    } catch (err) {
      throw new InputError(`cannot write to the output folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); free space or choose another --out`, outDir);
    }
  }
  const runLog = log.child({ run: `${train.name}/${solver.name}/seed${config.seed}` });
  runLog.info({ problem: train.name, ...train.info, testTasks: test.tasks.name, testEpisodes: test.tasks.count }, 'meta-learning problem');
  runLog.info({ solver: solver.name, schedule, ...solver.options, maxIter, evalEvery, seed: config.seed, testAdapt: `${adapt.innerSteps} × ${adapt.innerStep}` }, 'solver');
  const classification = train.tasks.kind === 'classification';

  // 2. the run
  const tracePath = join(outDir, io.files.trace);
  const trace = resume ? resumeTrace(tracePath, resume.trace, runLog) : TraceWriter.open(tracePath);
  const rows: MetaTraceRow[] = resume ? readTrace<MetaTraceRow & Record<string, unknown>>(tracePath).filter((r) => !('finding' in r)) : [];
  const findings: Finding[] = [];
  const checkpointPath = join(outDir, io.files.checkpoint);
  const hooks = io.checkpoints ?? {};
  const checkpoint = runCheckpoints({
    path: checkpointPath,
    kind: io.files.kind,
    every: config.checkpointEvery ?? io.defaultCheckpointSeconds,
    start: hooks.everyIterations !== undefined ? (resume?.state.versions.x.k ?? 0) : (resume?.state.solverSeconds ?? 0),
    trace,
    log: runLog,
    ...hooks,
  });
  const stop = new Subject<void>();
  const progress = createProgress({ total: Math.max(1, maxIter), enabled: config.progress, label: solver.name });
  const cpu0 = process.cpuUsage();
  let evalCpu = 0;
  const cpuBase = resume ? (rows.at(-1)?.cpuSeconds ?? 0) : 0;
  const cpuNow = () => {
    const c = process.cpuUsage(cpu0);
    return (c.user + c.system) / 1e6;
  };
  const evaluate = (s: Snapshot): MetaTraceRow => {
    const t0 = performance.now();
    const c0 = cpuNow();
    const r: MetaTestResult = metaTest(test, s.x, { episodes: test.tasks.count, ...adapt });
    const c1 = cpuNow();
    evalCpu += c1 - c0;
    const row: MetaTraceRow = {
      iter: s.iteration,
      solverSeconds: s.solverSeconds,
      ...(r.accuracy ? { accuracy: 100 * r.accuracy.mean, accuracyCi95: 100 * r.accuracy.ci95, accuracyBefore: 100 * (r.accuracyBefore?.mean ?? NaN) } : {}),
      loss: r.loss.mean,
      lossCi95: r.loss.ci95,
      lossBefore: r.lossBefore.mean,
      episodes: r.episodes,
      evalSeconds: (performance.now() - t0) / 1000,
      cpuSeconds: cpuBase + c0 - (evalCpu - (c1 - c0)),
      evalCpuSeconds: c1 - c0,
      thetaNorm: norm(s.x),
      oracleCalls: totalCalls(s.counts.total),
      calls: { ...s.counts.total },
      diagnostics: s.diagnostics as Record<string, Record<string, number>>,
    };
    rows.push(row);
    trace.write(row as unknown as Record<string, unknown>);
    return row;
  };
  const shown = (row: MetaTraceRow | undefined): Record<string, string> =>
    row === undefined ? {} : classification ? { acc: `${row.accuracy?.toFixed(2)}%`, '±': (row.accuracyCi95 ?? NaN).toFixed(2) } : { mse: row.loss.toPrecision(4), '±': row.lossCi95.toPrecision(2) };

  let status = 'finished' as 'finished' | 'diverged' | 'interrupted' | 'violation' | 'write-failed';
  let writeFailure: WriteError | undefined;
  let divergence: DivergenceError | undefined;
  let violation: MonitorViolationError | undefined;
  let lastSnapshot: Snapshot | undefined;
  const x0 = train.initialParams(config.seed);
  await new Promise<void>((resolveRun, rejectRun) => {
    // a snapshot every outer step (for the progress bar); the meta-test every evalEvery steps and at the end
    const runOptions = { seed: config.seed, maxIter, ...(config.maxSeconds !== undefined ? { maxSeconds: config.maxSeconds } : {}), sampleEvery: 1, schedule, x0, checkpoint, stop, ...(resume ? { resume: resume.state } : {}) };
    const runs$ = run(train, solver, runOptions);
    const monitored = monitors.length ? withMonitors(runs$, monitorContext(train, solver, runOptions), monitors, { strict: config.strict }) : undefined;
    const handle: { sub?: Subscription } = {};
    const stopOnWriteFailure = (err: WriteError) => {
      writeFailure ??= err;
      status = 'write-failed';
      handle.sub?.unsubscribe();
      resolveRun();
    };
    monitored?.findings$.subscribe((f) => {
      findings.push(f);
      if (writeFailure) return;
      try {
        trace.write({ finding: { ...f } });
      } catch (err) {
        if (!(err instanceof WriteError)) throw err;
        stopOnWriteFailure(err);
      }
      runLog[findingLogLevel(f)]({ monitor: f.monitor, iteration: f.iteration, value: f.value, bound: f.bound }, `${f.monitor}: ${f.message}`);
    });
    handle.sub = (monitored?.snapshots$ ?? runs$).subscribe({
      next: (s) => {
        if (writeFailure) return;
        lastSnapshot = s;
        const due = s.final || s.iteration % evalEvery === 0;
        // a resumed run's first snapshot repeats a point the trace may already hold
        if (!due || rows.at(-1)?.iter === s.iteration) {
          progress.update(s.iteration, shown(rows.at(-1)));
          return;
        }
        try {
          const row = evaluate(s);
          runLog.info({ iter: row.iter, solverSeconds: +row.solverSeconds.toFixed(2), ...(classification ? { accuracy: row.accuracy, ci95: row.accuracyCi95 } : { mse: row.loss, ci95: row.lossCi95 }), evalSeconds: +row.evalSeconds.toFixed(1) }, 'meta-test');
        } catch (err) {
          if (err instanceof WriteError) return stopOnWriteFailure(err);
          throw err;
        }
        progress.update(s.iteration, shown(rows.at(-1)));
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
    io.interrupted?.then((signal) => {
      if (!handle.sub || handle.sub.closed) return;
      status = 'interrupted';
      runLog.warn({ signal }, 'interrupted: finishing the current step, then writing a checkpoint, the trace, the parameters and the summary');
      stop.next();
    });
  });
  progress.stop();
  try {
    trace.close();
  } catch (err) {
    if (!(err instanceof WriteError)) throw err;
    writeFailure ??= err;
  }

  // 3. the parameters, the summary, the plot
  const theta = divergence ? divergence.lastFinite.x : lastSnapshot?.x;
  const iterations = divergence ? divergence.lastFinite.iteration : (lastSnapshot?.iteration ?? 0);
  const paramsPath = join(outDir, META_FILES.params);
  let paramsWritten = false;
  if (theta && !writeFailure) {
    try {
      writeMetaParams(paramsPath, { model: train.model, theta, lambda: train.lambda, adapt, source: setup.source, solver: solver.name, iterations });
      paramsWritten = true;
    } catch (err) {
      if (!(err instanceof WriteError)) throw err;
      writeFailure ??= err;
    }
  }
  const last = rows.at(-1);
  const metaTestSummary = last
    ? {
        iteration: last.iter,
        episodes: last.episodes,
        ...(last.accuracy !== undefined ? { accuracy: last.accuracy, accuracyCi95: last.accuracyCi95, accuracyBefore: last.accuracyBefore } : {}),
        loss: last.loss,
        lossCi95: last.lossCi95,
        lossBefore: last.lossBefore,
        adaptation: `${adapt.innerSteps} × ${adapt.innerMethod === 'gd' ? `gradient step ${adapt.innerStep}` : 'Newton–CG'}, λ = ${train.lambda}`,
      }
    : null;
  const summary = {
    problem: train.name,
    solver: solver.name,
    status,
    ...(lastSnapshot?.reason && status === 'finished' ? { stopReason: lastSnapshot.reason } : {}),
    iterations,
    solverSeconds: lastSnapshot?.solverSeconds ?? 0,
    solverCpuSeconds: cpuBase + cpuNow() - evalCpu,
    metaTest: metaTestSummary,
    ...(config.problem === 'sinusoid' ? { published: { mamlOneStepMse10Shot: MAML_SINUSOID_10SHOT_MSE, source: 'Li et al. 2017 (Meta-SGD), Table 1: MAML, 10-shot, one step' } } : {}),
    model: train.model.spec,
    weights: train.dimX,
    seed: config.seed,
    schedule,
    solverOptions: solver.options,
    problemInfo: train.info,
    testTasks: test.tasks.info,
    oracleCalls: lastSnapshot?.counts.total ?? null,
    evaluations: rows.length,
    wallSeconds: (performance.now() - wallStart) / 1000,
    outDir,
    ...(paramsWritten ? { params: paramsPath } : {}),
    ...(monitors.length ? { monitors: findingsSummary(monitors.map((m) => m.name), Boolean(config.strict), findings) } : {}),
    ...(violation ? { violation: violation.message } : {}),
    ...(checkpoint.lastIteration !== undefined ? { checkpoint: { file: checkpointPath, iteration: checkpoint.lastIteration, written: checkpoint.written } } : {}),
    ...(resume ? { resumedFrom: { iteration: resume.state.versions.x.k, file: resume.file, fromPrevious: resume.fromPrevious } } : {}),
    ...(divergence ? { divergence: { stream: divergence.stream, variable: divergence.variable, version: divergence.version, message: divergence.message } } : {}),
    ...(writeFailure ? { writeFailure: { file: writeFailure.path, code: writeFailure.code, message: writeFailure.message } } : {}),
  };
  try {
    writeFileAtomic(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  } catch (err) {
    if (!(err instanceof WriteError)) throw err;
    writeFailure ??= err;
  }
  if (rows.length > 0 && !writeFailure) {
    try {
      const points = rows.map((r) => (classification ? { x: r.solverSeconds, mean: r.accuracy ?? NaN, halfWidth: r.accuracyCi95 } : { x: r.solverSeconds, mean: r.loss, halfWidth: r.lossCi95 }));
      const svg = await metricPlotSvg([{ label: solver.name, points }], {
        title: `${train.name} · ${solver.name} (seed ${config.seed})`,
        xTitle: 'solver time (s)',
        yTitle: classification ? `meta-test accuracy (%), ${test.tasks.count} episodes, 95% band` : `meta-test MSE after ${adapt.innerSteps} step(s), 95% band`,
        logY: !classification,
        ...(config.problem === 'sinusoid' && (config.shots ?? d.shots) === 10 ? { reference: { y: MAML_SINUSOID_10SHOT_MSE, label: `MAML, 1 step: ${MAML_SINUSOID_10SHOT_MSE}` } } : {}),
      });
      writeFileAtomic(join(outDir, `${META_FILES.plot}.svg`), svg);
      writeFileAtomic(join(outDir, `${META_FILES.plot}.png`), svgToPng(svg));
    } catch (err) {
      runLog.warn({ err: (err as Error).message }, 'could not draw the meta-test plot');
    }
  }
  runLog[status === 'finished' ? 'info' : 'warn']({ status, iterations, solverSeconds: summary.solverSeconds, ...metaTestSummary, outDir }, 'run ended');
  if (divergence) runLog.error({ stream: divergence.stream, version: divergence.version }, divergence.message);
  if (config.json) io.stdout.write(JSON.stringify(summary) + '\n');
  else {
    const { monitors: monitorSummary, ...printed } = summary as typeof summary & { monitors?: { names: string[]; counts: unknown } };
    io.stdout.write(formatSummaryTable(monitorSummary ? { ...printed, monitors: { names: monitorSummary.names, counts: monitorSummary.counts } } : printed) + '\n');
    const result = !last
      ? 'no meta-test'
      : classification
        ? `meta-test accuracy ${last.accuracy?.toFixed(2)}% ± ${last.accuracyCi95?.toFixed(2)} (95%, ${last.episodes} episodes; ${last.accuracyBefore?.toFixed(1)}% before adaptation)`
        : `meta-test MSE ${last.loss.toPrecision(4)} ± ${last.lossCi95.toPrecision(2)} (95%, ${last.episodes} tasks, after ${adapt.innerSteps} step(s); ${last.lossBefore.toPrecision(4)} before adaptation)`;
    io.stdout.write(`\n${result} after ${iterations} iterations in ${summary.solverSeconds.toFixed(1)} s of solver time.\n` + (writeFailure ? '' : `Wrote ${outDir}/{trace.jsonl,summary.json,${META_FILES.params},${META_FILES.plot}.svg,${META_FILES.plot}.png}\n`));
    if (monitors.length) io.stdout.write(`\n${formatFindings(findings)}\n`);
  }
  if (writeFailure) {
    const kept = checkpoint.lastIteration ?? resume?.state.versions.x.k;
    throw new WriteError(writeFailure.path, writeFailureMessage(writeFailure, { status, iteration: iterations, outDir, ...(kept !== undefined ? { checkpoint: { file: checkpointPath, iteration: kept } } : {}) }), { cause: writeFailure });
  }
  if (status === 'interrupted' && checkpoint.lastIteration !== undefined) {
    process.stderr.write(`interrupted at iteration ${checkpoint.lastIteration}: checkpoint ${checkpointPath}; continue with: bilevel run --resume ${outDir}\n`);
  }
  return status === 'diverged' ? EXIT.diverged : status === 'interrupted' ? EXIT.interrupted : status === 'violation' ? EXIT.monitorViolation : EXIT.ok;
}
