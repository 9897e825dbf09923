import { mkdirSync, accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { nrm2 } from '@bilevel/linalg';
import { InputError, referenceSolution } from '@bilevel/problems';
import { auditOracles, formatAudit, initEngine, logregAutodiff } from '@bilevel/autodiff';
import { LogregHpo } from '@bilevel/problems';
import { createSolver, customSolver, totalCalls } from '@bilevel/solvers';
import type { Snapshot } from '@bilevel/streams';
import { DivergenceError, parseSchedule, run } from '@bilevel/streams';
import type { Logger } from '@bilevel/telemetry';
import { convergencePlotSvg, createProgress, formatSummaryTable, svgToPng, TraceWriter, writeFileAtomic } from '@bilevel/telemetry';
import type { ProblemConfig } from './build-problem';
import { buildProblem, startingX } from './build-problem';
import { EXIT } from './exit-codes';
import { fractionalTask, runFractional } from './fractional-command';

/**
 * Relative precision of an evaluated h(x): the inner solve stops at ‖∇_z G‖ ≤ 1e-10 (Newton usually lands far
 * below), so |h − F(z*)| ≤ ‖∇_z F‖·1e-10/μ; on the default task that is ~1e-9 relative at worst.
 */
const PRECISION_OF_H = 1e-9;

/** Everything `bilevel run` needs, after parsing. */
export interface RunConfig extends Omit<ProblemConfig, 'problem'> {
  readonly problem: ProblemConfig['problem'] | 'fractional';
  readonly solver: string;
  readonly batch: number;
  readonly innerStep?: number;
  readonly outerStep?: number;
  readonly schedule?: string;
  /** Parts chosen per stream by name; any of them turns the run into a single-loop solver built from parts. */
  readonly parts?: PartOptions;
  readonly maxIter: number;
  readonly maxSeconds?: number;
  readonly evalEvery: number;
  readonly x0?: readonly number[];
  readonly out?: string;
  readonly json: boolean;
  readonly progress: boolean;
}

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

/** The solver of the command line: a registered one, or one assembled from parts when part options are given. */
function chooseSolver(config: RunConfig) {
  const common = {
    batchSize: config.batch,
    ...(config.innerStep !== undefined ? { innerStep: config.innerStep } : {}),
    ...(config.outerStep !== undefined ? { outerStep: config.outerStep } : {}),
  };
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
}

/** One line of trace.jsonl: an exact evaluation at a sampled iterate. */
interface TraceRow {
  iter: number;
  solverSeconds: number;
  value: number;
  hypergradNorm: number;
  relativeSuboptimality: number;
  x: number[];
  innerGradNorm: number;
  /** Total oracle calls so far, and per oracle (all streams). */
  oracleCalls: number;
  calls?: Record<string, number>;
  /** The problem's own metrics (held-out error, PSNR…), when it has any. */
  metrics?: Readonly<Record<string, number>>;
}

function defaultOutDir(problem: string, solver: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return join('runs', `${stamp}-${problem}-${solver}`);
}

/** Refuses an output folder that exists and is not empty (a previous run is never overwritten). */
function prepareOutDir(dir: string): string {
  const abs = resolve(dir);
  if (existsSync(abs)) {
    let entries: string[];
    try {
      entries = readdirSync(abs);
    } catch {
      throw new InputError('exists and is not a folder', `--out ${dir}`);
    }
    if (entries.length > 0) throw new InputError('folder is not empty; choose a new folder so no earlier run is overwritten', `--out ${dir}`);
  }
  try {
    mkdirSync(abs, { recursive: true });
    accessSync(abs, constants.W_OK);
  } catch (err) {
    throw new InputError(`cannot create or write the output folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`, `--out ${dir}`);
  }
  return abs;
}

/** Builds everything and validates it before anything is written; then runs, evaluates, writes, reports. */
export async function runCommand(config: RunConfig, io: RunIo): Promise<number> {
  const { log } = io;
  const wallStart = performance.now();
  // 0. the standalone fractional task
  if (config.problem === 'fractional' || config.solver === 'fractional-cd') {
    if (config.problem !== 'fractional') {
      throw new InputError('fractional-cd solves fractional programs (f + ρ‖z‖₁)/g, not bilevel problems: use --problem fractional', '--solver fractional-cd');
    }
    if (config.solver !== 'fractional-cd') throw new InputError('the fractional task is solved by --solver fractional-cd', '--problem fractional');
    if (config.val) throw new InputError('--val does not apply to the fractional task', '--val');
    fractionalTask(config.train, config.seed); // validates the data before anything is written
    const dir = prepareOutDir(config.out ?? defaultOutDir('fractional', 'fractional-cd'));
    return runFractional(config, dir, io);
  }
  // 1. everything that can fail on bad input, before any file is written
  const problem = buildProblem(config as RunConfig & { problem: 'logreg-hpo' | 'quadratic' });
  const x0 = startingX(config.x0, problem.dimX);
  // the problem the solver sees: the analytic one, or the same problem differentiated by tfjs
  let solverProblem = problem;
  let backend = 'float64 (analytic Float64Array kernels)';
  let disposeAutodiff = () => undefined as void;
  let solver;
  try {
    solver = chooseSolver(config);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError((err as Error).message, '--solver');
  }
  const schedule = config.schedule ?? solver.schedule;
  try {
    parseSchedule(schedule);
  } catch (err) {
    throw new InputError((err as Error).message, '--schedule');
  }
  const outDir = prepareOutDir(config.out ?? defaultOutDir(problem.name, solver.name));
  const runLog = log.child({ run: `${problem.name}/${solver.name}/seed${config.seed}` });
  if (config.oracles === 'autodiff' && problem instanceof LogregHpo) {
    const engine = await initEngine();
    backend = `tfjs-${engine.backend} (float32 autodiff)`;
    runLog.info({ backend: engine.backend, tried: engine.tried.map((t) => `${t.name}:${t.ok ? 'ok' : 'unavailable'}`).join(' ') }, 'tfjs engine');
    const ad = logregAutodiff(problem, 'softplus');
    solverProblem = ad.problem;
    disposeAutodiff = ad.dispose;
    const audit = auditOracles(ad.problem, { seed: config.seed });
    runLog[audit.ok ? 'info' : 'warn']({ ok: audit.ok, worst: Math.max(...audit.oracles.map((o) => o.maxRelError)) }, audit.ok ? formatAudit(audit).split('\n')[0] : formatAudit(audit));
  }
  runLog.info({ problem: problem.name, dimZ: problem.dimZ, dimX: problem.dimX, nInner: problem.nInner, nOuter: problem.nOuter, ...problem.info }, 'problem');
  runLog.info({ solver: solver.name, schedule, ...solver.options, maxIter: config.maxIter, evalEvery: config.evalEvery, seed: config.seed }, 'solver');

  // 2. the reference minimum h*, from a full-batch solve
  const refStart = performance.now();
  const ref = referenceSolution(problem);
  runLog.info({ hStar: ref.value, method: ref.method, xStarNorm: nrm2(ref.x), gradNorm: ref.gradNorm, seconds: (performance.now() - refStart) / 1000 }, 'reference solution h*');

  // 3. the run
  const trace = TraceWriter.open(join(outDir, 'trace.jsonl'));
  const rows: TraceRow[] = [];
  const progress = createProgress({ total: config.maxIter, enabled: config.progress, label: `${solver.name}` });
  let lastSnapshot: Snapshot | undefined;
  let warmZ: Float64Array | undefined;
  const evaluate = (s: Snapshot): TraceRow => {
    const hg = problem.hypergradient(s.x, warmZ ? { z0: warmZ } : {});
    warmZ = hg.z;
    const c = s.counts.total;
    const row: TraceRow = {
      iter: s.iteration,
      solverSeconds: s.solverSeconds,
      value: hg.value,
      hypergradNorm: nrm2(hg.grad),
      relativeSuboptimality: (hg.value - ref.value) / Math.abs(ref.value),
      x: Array.from(s.x),
      innerGradNorm: hg.innerGradNorm,
      oracleCalls: totalCalls(c),
      calls: { ...c },
      ...(problem.metrics ? { metrics: problem.metrics(s.x, hg.z) } : {}),
    };
    trace.write(row as unknown as Record<string, unknown>);
    rows.push(row);
    return row;
  };

  let status = 'finished' as 'finished' | 'diverged' | 'interrupted';
  let divergence: DivergenceError | undefined;
  await new Promise<void>((resolveRun, rejectRun) => {
    const sub = run(solverProblem, solver, {
      seed: config.seed,
      maxIter: config.maxIter,
      ...(config.maxSeconds !== undefined ? { maxSeconds: config.maxSeconds } : {}),
      sampleEvery: config.evalEvery,
      schedule,
      ...(x0 ? { x0 } : {}),
    }).subscribe({
      next: (s) => {
        lastSnapshot = s;
        const row = evaluate(s);
        progress.update(s.iteration, { h: row.value.toPrecision(6), '‖∇h‖': row.hypergradNorm.toExponential(2) });
        runLog.debug({ iter: row.iter, h: row.value, relSubopt: row.relativeSuboptimality, gradNorm: row.hypergradNorm }, 'evaluation');
      },
      error: (err: unknown) => {
        if (err instanceof DivergenceError) {
          status = 'diverged';
          divergence = err;
          resolveRun();
        } else rejectRun(err);
      },
      complete: () => resolveRun(),
    });
    io.interrupted?.then((signal) => {
      if (sub.closed) return;
      sub.unsubscribe();
      status = 'interrupted';
      runLog.warn({ signal }, 'interrupted: saving what was computed so far');
      resolveRun();
    });
  });
  progress.stop();
  trace.close();
  disposeAutodiff();

  // 4. the summary, the plot
  let finalRow: TraceRow | undefined = rows.at(-1);
  let x = lastSnapshot?.x;
  if (divergence) {
    x = divergence.lastFinite.x;
    const last = divergence.lastFinite;
    const hg = problem.hypergradient(last.x);
    finalRow = {
      iter: last.iteration,
      solverSeconds: lastSnapshot?.solverSeconds ?? 0,
      value: hg.value,
      hypergradNorm: nrm2(hg.grad),
      relativeSuboptimality: (hg.value - ref.value) / Math.abs(ref.value),
      x: Array.from(last.x),
      innerGradNorm: hg.innerGradNorm,
      oracleCalls: NaN,
    };
  }
  const summary = {
    problem: problem.name,
    solver: solver.name,
    status,
    ...(lastSnapshot?.reason && status === 'finished' ? { stopReason: lastSnapshot.reason } : {}),
    iterations: finalRow?.iter ?? 0,
    solverSeconds: lastSnapshot?.solverSeconds ?? 0,
    x: x ? Array.from(x) : [],
    value: finalRow?.value ?? NaN,
    hypergradNorm: finalRow?.hypergradNorm ?? NaN,
    hStar: ref.value,
    relativeSuboptimality: finalRow?.relativeSuboptimality ?? NaN,
    ...(finalRow?.metrics ? { metrics: finalRow.metrics } : {}),
    backend,
    seed: config.seed,
    schedule,
    solverOptions: solver.options,
    problemInfo: problem.info ?? {},
    oracleCalls: lastSnapshot?.counts.total ?? null,
    evaluations: rows.length,
    wallSeconds: (performance.now() - wallStart) / 1000,
    outDir,
    ...(divergence ? { divergence: { stream: divergence.stream, variable: divergence.variable, version: divergence.version, message: divergence.message } } : {}),
  };
  writeFileAtomic(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  if (rows.length > 0) {
    try {
      const svg = await convergencePlotSvg(rows, { title: `${problem.name} · ${solver.name} (seed ${config.seed})`, hStar: ref.value });
      writeFileAtomic(join(outDir, 'convergence.svg'), svg);
      writeFileAtomic(join(outDir, 'convergence.png'), svgToPng(svg));
    } catch (err) {
      runLog.warn({ err: (err as Error).message }, 'could not draw the convergence plot');
    }
  }
  const level = status === 'finished' ? 'info' : 'warn';
  runLog[level]({ status, iterations: summary.iterations, solverSeconds: summary.solverSeconds, h: summary.value, hStar: ref.value, relSubopt: summary.relativeSuboptimality, gradNorm: summary.hypergradNorm, outDir }, 'run ended');
  if (divergence) runLog.error({ stream: divergence.stream, version: divergence.version }, divergence.message);

  if (config.json) io.stdout.write(JSON.stringify(summary) + '\n');
  else {
    io.stdout.write(formatSummaryTable(summary) + '\n');
    io.stdout.write(
      `\nh(x) = ${summary.value.toPrecision(10)}, h* = ${ref.value.toPrecision(10)} (${ref.method}): ` +
        `relative suboptimality ${summary.relativeSuboptimality.toExponential(2)}` +
        (Math.abs(summary.relativeSuboptimality) < PRECISION_OF_H ? ` (at the precision of the evaluation, |·| < ${PRECISION_OF_H})` : '') +
        ` after ${summary.iterations} iterations ` +
        `in ${summary.solverSeconds.toFixed(2)} s of solver time.\nWrote ${outDir}/{trace.jsonl,summary.json,convergence.svg,convergence.png}\n`,
    );
  }
  return status === 'diverged' ? EXIT.diverged : status === 'interrupted' ? EXIT.interrupted : EXIT.ok;
}
