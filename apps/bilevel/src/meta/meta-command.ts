import { join } from 'node:path';
import { InputError } from '@bilevel/io';
import { createMetaSolver, META_SOLVERS, metaTest, resolveAdapt, totalCalls } from '@bilevel/solvers';
import type { MetaTestResult, ResolvedAdapt, Solver } from '@bilevel/solvers';
import type { Monitor, Snapshot } from '@bilevel/streams';
import { formatFindings, parseSchedule } from '@bilevel/streams';
import { monitorsByName } from '@bilevel/verify';
import type { Logger } from '@bilevel/telemetry';
import { metricPlotSvg } from '@bilevel/telemetry';
import type { RunConfig, RunIo } from '../run/run-config';
import { persistableConfig, prepareRunFolder } from '../run/run-folder';
import type { RunSession } from '../run/run-session';
import { openRunSession } from '../run/run-session';
import type { RunOutcome } from '../run/drive-run';
import type { RunSnapshots } from '../run/drive-run';
import { driveRun, keepWriteFailure } from '../run/drive-run';
import { printSummary, summaryHead, summaryTail, writePlot, writeSummary, wroteLine } from '../run/run-summary';
import { closeTrace, finishRun, logRunEnded } from '../run/finish-run';
import type { MetaConfig, MetaSetup } from './meta-setup';
import { buildMetaSetup, metaDefaults } from './meta-setup';
import { writeMetaParams } from './meta-params-file';

/** File names of a meta-learning run folder (beside run-config.json, checkpoint.bin and trace.jsonl). */
export const META_FILES = { params: 'meta-params.json', plot: 'meta-test' } as const;

/** MAML's published one-step meta-test MSE on 10-shot sinusoid regression (see docs/meta-learning.md). */
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

/** Everything `bilevel run --problem fewshot|sinusoid` needs, after parsing: the meta-learning options and the run's. */
export interface MetaRunConfig
  extends MetaConfig,
    Pick<RunConfig, 'solver' | 'innerStep' | 'outerStep' | 'schedule' | 'maxIter' | 'maxSeconds' | 'evalEvery' | 'out' | 'json' | 'progress' | 'checkpointEvery' | 'monitors' | 'strict'> {}

/** What the meta command needs from `bilevel run`'s plumbing: all but the dashboard (refused for these problems). */
export type MetaRunIo = Omit<RunIo, 'dashboard'>;

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
   * programs on the machine excluded, unlike `solverSeconds`; a resumed run goes on from its checkpoint's count),
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

/** A meta-learning run, validated and built: nothing written yet. */
interface MetaRunPlan {
  readonly setup: MetaSetup;
  readonly solver: Solver;
  /** The adaptation of the meta-tests. */
  readonly adapt: ResolvedAdapt;
  readonly schedule: string;
  readonly monitors: Monitor[];
  readonly maxIter: number;
  readonly evalEvery: number;
}

/** Everything that can fail on bad input, before any file is written: the options, the data, the solver, the monitors. */
function planMetaRun(config: MetaRunConfig): MetaRunPlan {
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
  const options: Record<string, unknown> = {
    metaBatch: config.metaBatch ?? d.metaBatch,
    innerSteps: config.innerSteps ?? d.innerSteps,
    innerStep: config.innerStep ?? d.innerStep,
    outerStep: config.outerStep ?? d.outerStep,
    ...(config.innerMethod !== undefined ? { innerMethod: config.innerMethod } : {}),
    ...(config.innerTol !== undefined ? { innerTol: config.innerTol } : {}),
    ...(solverName === 'imaml' ? { cgSteps: config.cgSteps ?? d.cgSteps } : {}),
    ...(solverName === 'imaml' && (config.cgRadius ?? d.cgRadius) !== undefined ? { cgRadius: config.cgRadius ?? d.cgRadius } : {}),
  };
  if (config.cgSteps !== undefined && solverName !== 'imaml') throw new InputError(`sets iMAML's conjugate-gradient steps; ${solverName} solves no linear system`, '--cg-steps');
  if (config.cgRadius !== undefined && solverName !== 'imaml') throw new InputError(`caps iMAML's conjugate-gradient solution; ${solverName} solves no linear system`, '--cg-radius');
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
  return { setup, solver, adapt, schedule, monitors, maxIter, evalEvery };
}

/**
 * The meta-test of a snapshot on held-out tasks (not solver time), as a trace row written and kept in the session;
 * the CPU seconds of the meta-tests are kept apart from the solver's (`solverCpuSeconds`).
 */
function metaTester(plan: MetaRunPlan, session: RunSession<MetaTraceRow>) {
  const { test } = plan.setup;
  const cpu0 = process.cpuUsage();
  let evalCpu = 0;
  // a resumed run goes on from its checkpoint's solver CPU (older checkpoints: from the last trace row's, which
  // misses the CPU between that evaluation and the checkpoint)
  const cpuBase = session.resume ? (session.resume.extra.solverCpuSeconds ?? session.rows.at(-1)?.cpuSeconds ?? 0) : 0;
  const cpuNow = () => {
    const c = process.cpuUsage(cpu0);
    return (c.user + c.system) / 1e6;
  };
  const evaluate = (s: Snapshot): MetaTraceRow => {
    const t0 = performance.now();
    const c0 = cpuNow();
    const r: MetaTestResult = metaTest(test, s.x, { episodes: test.tasks.count, ...plan.adapt });
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
    session.rows.push(row);
    session.trace.write(row as unknown as Record<string, unknown>);
    return row;
  };
  return { evaluate, solverCpuSeconds: () => cpuBase + cpuNow() - evalCpu };
}

/**
 * `bilevel run --problem fewshot|sinusoid --solver imaml|fomaml|reptile|esj-s`: meta-trains θ through `run()` (the three
 * streams: per-task adaptation, the per-task linear systems, Adam on θ; checkpoints and --resume as other problems),
 * meta-tests every --eval-every outer steps on held-out tasks (mean and 95% interval over --test-episodes episodes,
 * after adaptation with the same inner procedure; one trace line each; evaluation time is not solver time), and
 * writes summary.json, meta-test.svg/png (accuracy or MSE against solver time) and meta-params.json (the trained
 * θ with its model spec, for `bilevel score`). The run's lifecycle (folder, trace, checkpoints, monitors, Ctrl-C,
 * summary, exit code) is `bilevel run`'s (src/run/).
 */
export async function runMetaCommand(config: MetaRunConfig, io: MetaRunIo): Promise<number> {
  const wallStart = performance.now();
  // 1. everything that can fail on bad input, before any file is written
  const plan = planMetaRun(config);
  const { setup, solver, adapt, schedule, monitors, maxIter, evalEvery } = plan;
  const { train, test } = setup;
  const { resume } = io;
  // 2. the run folder, with the configuration for --resume
  const outDir = prepareRunFolder({ resume, out: config.out, problem: config.problem, solver: solver.name, config: persistableConfig(config) });
  const runLog = io.log.child({ run: `${train.name}/${solver.name}/seed${config.seed}` });
  runLog.info({ problem: train.name, ...train.info, testTasks: test.tasks.name, testEpisodes: test.tasks.count }, 'meta-learning problem');
  runLog.info({ solver: solver.name, schedule, ...solver.options, maxIter, evalEvery, seed: config.seed, testAdapt: `${adapt.innerSteps} × ${adapt.innerStep}` }, 'solver');
  // 3. the run: a snapshot every outer step (for the progress bar); the meta-test every evalEvery steps and at the end
  // each checkpoint keeps the solver CPU so far, which a resumed run's trace goes on from
  const solverCpu: { read?: () => number } = {};
  const checkpointExtra = (): Record<string, number> => (solverCpu.read ? { solverCpuSeconds: solverCpu.read() } : {});
  const session = openRunSession<MetaTraceRow>({ outDir, resume, checkpointEvery: config.checkpointEvery, checkpoints: io.checkpoints, maxIter, progress: config.progress, label: solver.name, log: runLog, checkpointExtra });
  const tester = metaTester(plan, session);
  solverCpu.read = tester.solverCpuSeconds;
  const outcome = await driveRun(session, {
    problem: train,
    solver,
    runOptions: { seed: config.seed, maxIter, ...(config.maxSeconds !== undefined ? { maxSeconds: config.maxSeconds } : {}), sampleEvery: 1, schedule, x0: train.initialParams(config.seed), checkpoint: session.checkpoint, ...(resume ? { resume: resume.state } : {}) },
    monitors,
    strict: config.strict,
    interrupted: io.interrupted,
    log: runLog,
    ...metaTestSnapshots(plan, session, tester, runLog),
  });
  closeTrace(session, outcome);
  // 4. the parameters, the summary, the plot
  const iterations = outcome.divergence ? outcome.divergence.lastFinite.iteration : (outcome.lastSnapshot?.iteration ?? 0);
  const params = writeParams(plan, outcome, outDir, iterations);
  const summary = metaSummary({ config, plan, session, outcome, iterations, params, solverCpuSeconds: tester.solverCpuSeconds(), wallStart });
  writeSummary(outDir, summary, outcome);
  await writePlot(session, outcome, { file: META_FILES.plot, what: 'meta-test plot', svg: () => metaTestPlotSvg(config, plan, session.rows) }, runLog);
  // 5. the report, the exit code
  logRunEnded(runLog, outcome, { status: outcome.status, iterations, solverSeconds: summary.solverSeconds, ...summary.metaTest, outDir });
  printSummary(io.stdout, summary, config.json);
  if (!config.json) reportMetaTest(plan, session, outcome, summary, io.stdout);
  return finishRun(session, outcome, iterations);
}

/** Whether the meta-tests measure accuracy (classification), else an MSE (regression). */
const isClassification = (plan: MetaRunPlan) => plan.setup.train.tasks.kind === 'classification';

/**
 * What the run does with each snapshot: the meta-test every --eval-every steps and at the end (not twice at a point
 * the trace holds: a resumed run's first snapshot), its log line, and the progress bar with the last result.
 */
function metaTestSnapshots(plan: MetaRunPlan, session: RunSession<MetaTraceRow>, tester: ReturnType<typeof metaTester>, log: Logger): RunSnapshots {
  const { rows, progress } = session;
  const classification = isClassification(plan);
  const shown = (row: MetaTraceRow | undefined): Record<string, string> =>
    row === undefined ? {} : classification ? { acc: `${row.accuracy?.toFixed(2)}%`, '±': (row.accuracyCi95 ?? NaN).toFixed(2) } : { mse: row.loss.toPrecision(4), '±': row.lossCi95.toPrecision(2) };
  return {
    onSnapshot: (s) => {
      // a resumed run's first snapshot repeats a point the trace may already hold
      if ((s.final || s.iteration % plan.evalEvery === 0) && rows.at(-1)?.iter !== s.iteration) {
        const row = tester.evaluate(s);
        log.info({ iter: row.iter, solverSeconds: +row.solverSeconds.toFixed(2), ...(classification ? { accuracy: row.accuracy, ci95: row.accuracyCi95 } : { mse: row.loss, ci95: row.lossCi95 }), evalSeconds: +row.evalSeconds.toFixed(1) }, 'meta-test');
      }
      progress.update(s.iteration, shown(rows.at(-1)));
    },
    interruptMessage: () => 'interrupted: finishing the current step, then writing a checkpoint, the trace, the parameters and the summary',
  };
}

/** What the summary of a meta-learning run is made of. */
interface MetaRunEnd {
  readonly config: MetaRunConfig;
  readonly plan: MetaRunPlan;
  readonly session: RunSession<MetaTraceRow>;
  readonly outcome: RunOutcome;
  readonly iterations: number;
  /** meta-params.json, when written. */
  readonly params: string | undefined;
  readonly solverCpuSeconds: number;
  /** performance.now() when the command started. */
  readonly wallStart: number;
}

/** summary.json of a meta-learning run: the last meta-test, the published reference, the model, the run's end. */
function metaSummary(end: MetaRunEnd) {
  const { config, plan, session, outcome } = end;
  const { solver, schedule, monitors, adapt } = plan;
  const { train, test } = plan.setup;
  const { rows, outDir } = session;
  const { lastSnapshot } = outcome;
  const last = rows.at(-1);
  return {
    ...summaryHead(train.name, solver.name, outcome),
    iterations: end.iterations,
    solverSeconds: lastSnapshot?.solverSeconds ?? 0,
    solverCpuSeconds: end.solverCpuSeconds,
    metaTest: last
      ? {
          iteration: last.iter,
          episodes: last.episodes,
          ...(last.accuracy !== undefined ? { accuracy: last.accuracy, accuracyCi95: last.accuracyCi95, accuracyBefore: last.accuracyBefore } : {}),
          loss: last.loss,
          lossCi95: last.lossCi95,
          lossBefore: last.lossBefore,
          adaptation: `${adapt.innerSteps} × ${adapt.innerMethod === 'gd' ? `gradient step ${adapt.innerStep}` : 'Newton–CG'}, λ = ${train.lambda}`,
        }
      : null,
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
    wallSeconds: (performance.now() - end.wallStart) / 1000,
    outDir,
    ...(end.params ? { params: end.params } : {}),
    ...summaryTail(session, outcome, { monitors, strict: config.strict }),
  };
}

/** The lines after the summary table: the last meta-test against its value before adaptation, the files, the findings. */
function reportMetaTest(plan: MetaRunPlan, session: RunSession<MetaTraceRow>, outcome: RunOutcome, summary: ReturnType<typeof metaSummary>, stdout: NodeJS.WritableStream): void {
  const { adapt, monitors } = plan;
  const last = session.rows.at(-1);
  const result = !last
    ? 'no meta-test'
    : isClassification(plan)
      ? `meta-test accuracy ${last.accuracy?.toFixed(2)}% ± ${last.accuracyCi95?.toFixed(2)} (95%, ${last.episodes} episodes; ${last.accuracyBefore?.toFixed(1)}% before adaptation)`
      : `meta-test MSE ${last.loss.toPrecision(4)} ± ${last.lossCi95.toPrecision(2)} (95%, ${last.episodes} tasks, after ${adapt.innerSteps} step(s); ${last.lossBefore.toPrecision(4)} before adaptation)`;
  const files = ['trace.jsonl', 'summary.json', META_FILES.params, `${META_FILES.plot}.svg`, `${META_FILES.plot}.png`];
  stdout.write(`\n${result} after ${summary.iterations} iterations in ${summary.solverSeconds.toFixed(1)} s of solver time.\n` + wroteLine(session.outDir, files, outcome));
  if (monitors.length) stdout.write(`\n${formatFindings(session.findings)}\n`);
}

/** Writes meta-params.json (θ, its model, the adaptation; for `bilevel score`) unless a write failed; its path when written. */
function writeParams(plan: MetaRunPlan, outcome: RunOutcome, outDir: string, iterations: number): string | undefined {
  const { train, source } = plan.setup;
  const theta = outcome.divergence ? outcome.divergence.lastFinite.x : outcome.lastSnapshot?.x;
  if (!theta || outcome.writeFailure) return undefined;
  const path = join(outDir, META_FILES.params);
  let written = false;
  keepWriteFailure(outcome, () => {
    writeMetaParams(path, { model: train.model, theta, lambda: train.lambda, adapt: plan.adapt, source, solver: plan.solver.name, iterations });
    written = true;
  });
  return written ? path : undefined;
}

/** Meta-test accuracy (or MSE, log scale) against solver time, with the 95% band; MAML's published MSE on sinusoid 10-shot. */
function metaTestPlotSvg(config: MetaRunConfig, plan: MetaRunPlan, rows: readonly MetaTraceRow[]): Promise<string> {
  const { train, test } = plan.setup;
  const classification = isClassification(plan);
  const points = rows.map((r) => (classification ? { x: r.solverSeconds, mean: r.accuracy ?? NaN, halfWidth: r.accuracyCi95 } : { x: r.solverSeconds, mean: r.loss, halfWidth: r.lossCi95 }));
  return metricPlotSvg([{ label: plan.solver.name, points }], {
    title: `${train.name} · ${plan.solver.name} (seed ${config.seed})`,
    xTitle: 'solver time (s)',
    yTitle: classification ? `meta-test accuracy (%), ${test.tasks.count} episodes, 95% band` : `meta-test MSE after ${plan.adapt.innerSteps} step(s), 95% band`,
    logY: !classification,
    ...(config.problem === 'sinusoid' && (config.shots ?? metaDefaults(config.problem).shots) === 10 ? { reference: { y: MAML_SINUSOID_10SHOT_MSE, label: `MAML, 1 step: ${MAML_SINUSOID_10SHOT_MSE}` } } : {}),
  });
}
