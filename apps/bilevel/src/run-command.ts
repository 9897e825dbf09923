import { defaultOutDir, InputError, prepareOutDir } from '@bilevel/io';
import type { RunOptions } from '@bilevel/streams';
import type { Logger } from '@bilevel/telemetry';
import { WriteError } from '@bilevel/telemetry';
import type { ProblemConfig } from './build-problem';
import { DEFAULT_MAX_ITER } from './problem-defaults';
import { fractionalTask, runFractional } from './fractional-command';
import { isMetaProblem, rejectMetaOptions } from './meta/meta-setup';
import { runMetaCommand } from './meta/meta-command';
import { constantSteps } from './dashboard/run-dashboard';
import type { ResumeInfo } from './run/read-resume';
import type { RunConfig, RunIo } from './run/run-config';
import { persistableConfig, prepareRunFolder } from './run/run-folder';
import type { RunPlan } from './run/plan-run';
import { planRun } from './run/plan-run';
import { solverOracles } from './run/solver-oracles';
import { referenceMinimum } from './run/reference-minimum';
import type { Reference } from './run/reference-minimum';
import type { RunSession } from './run/run-session';
import { openRunSession } from './run/run-session';
import type { TraceEvaluator, TraceRow } from './run/trace-evaluator';
import { traceEvaluator } from './run/trace-evaluator';
import type { RunSnapshots } from './run/drive-run';
import { driveRun } from './run/drive-run';
import { closeTrace, finishRun } from './run/finish-run';
import { dataCleaningBaselines } from './run/problem-results';
import { reportRun, runSummary, runWarning, writeRunFiles } from './run/run-report';

export type { PartOptions, RunConfig, RunIo } from './run/run-config';
export type { ResumeInfo } from './run/read-resume';
export { readResume } from './run/read-resume';
export { DEFAULT_CHECKPOINT_SECONDS, RUN_FILES } from './run/run-folder';

/**
 * `bilevel run`: builds everything and validates it before anything is written; then runs, evaluates, writes,
 * reports. Returns the exit code (see exit-codes.ts). The meta-learning problems and the fractional task have
 * commands of their own; the steps are in src/run/, the run's lifecycle shared with the meta-learning command.
 */
export async function runCommand(config: RunConfig, io: RunIo): Promise<number> {
  if (isMetaProblem(config.problem)) return runMetaCommand({ ...config, problem: config.problem }, io);
  rejectMetaOptions(config, config.problem);
  if (config.problem === 'fractional' || config.solver === 'fractional-cd') return runFractionalTask(config, io);
  const wallStart = performance.now();
  // 1. everything that can fail on bad input, before any file is written
  const plan = planRun(config as RunConfig & { problem: ProblemConfig['problem'] }, io);
  const { problem, solver } = plan;
  // 2. the output folder, with the configuration for --resume
  const outDir = prepareRunFolder({ resume: io.resume, out: plan.config.out, problem: problem.name, solver: solver.name, config: persistableConfig(plan.config) });
  const runLog = io.log.child({ run: `${problem.name}/${solver.name}/seed${plan.config.seed}` });
  // 3. the problem the solver sees (analytic, or differentiated automatically), and the reference minimum h*
  const oracles = await solverOracles(plan, runLog);
  logPlan(plan, runLog);
  const ref = referenceMinimum(plan, runLog);
  // 4. the run: progress, monitors, checkpoints, Ctrl-C; an evaluation every --eval-every iterations
  const dash = await io.dashboard?.start(dashboardInfo(plan, ref, outDir, io.resume));
  const session = openRunSession<TraceRow>({ outDir, resume: io.resume, checkpointEvery: plan.config.checkpointEvery, checkpoints: io.checkpoints, maxIter: plan.config.maxIter, progress: plan.config.progress, label: solver.name, log: runLog });
  const evaluator = traceEvaluator(plan, ref, session, dash, runLog);
  const outcome = await driveRun(session, {
    problem: oracles.problem,
    solver,
    runOptions: runOptionsOf(plan, session, io.resume, dash),
    monitors: plan.monitors,
    strict: plan.config.strict,
    quietMonitors: plan.quietMonitors,
    interrupted: io.interrupted,
    log: runLog,
    ...(dash ? { onFinding: (f) => dash.finding(f) } : {}),
    ...evaluateSnapshots(plan, session, evaluator, io.resume, runLog),
  });
  dash?.ended(outcome.status, session.checkpoint.lastIteration);
  closeTrace(session, outcome);
  oracles.dispose();
  // 5. the final evaluation (a diverged run's last finite iterate), the baselines, the summary and the figures
  const { divergence, lastSnapshot } = outcome;
  const finalRow = divergence ? evaluator.lastFiniteRow(divergence, lastSnapshot?.solverSeconds ?? 0) : session.rows.at(-1);
  const x = divergence ? divergence.lastFinite.x : lastSnapshot?.x;
  const baselines = dataCleaningBaselines(problem, outcome, runLog);
  const warning = runWarning(plan, session, outcome, finalRow);
  const results = { plan, session, outcome, backend: oracles.backend, ref, finalRow, x, baselines, warning, inexact: evaluator.inexact, wallStart };
  const summary = runSummary(results);
  const images = await writeRunFiles(results, summary, runLog);
  // 6. the report, the exit code
  reportRun(results, summary, images, { stdout: io.stdout, log: runLog });
  return finishRun(session, outcome, summary.iterations);
}

/** The standalone fractional task (`--problem fractional --solver fractional-cd`): its data validated before anything is written. */
async function runFractionalTask(config: RunConfig, io: RunIo): Promise<number> {
  if (config.problem === 'fractional' && config.solver === undefined) config = { ...config, solver: 'fractional-cd' };
  if (config.problem !== 'fractional') {
    throw new InputError('fractional-cd solves fractional programs (f + ρ‖z‖₁)/g, not bilevel problems: use --problem fractional', '--solver fractional-cd');
  }
  if (config.solver !== 'fractional-cd') throw new InputError('the fractional task is solved by --solver fractional-cd', '--problem fractional');
  if (config.val) throw new InputError('--val does not apply to the fractional task', '--val');
  fractionalTask(config.train, config.seed); // validates the data before anything is written
  const dir = prepareOutDir(config.out ?? defaultOutDir('fractional', 'fractional-cd'));
  return runFractional({ ...config, maxIter: config.maxIter ?? DEFAULT_MAX_ITER }, dir, io);
}

/** Logs the problem (dimensions, sizes, its info) and the solver (options, schedule, iterations, evaluation period). */
function logPlan(plan: RunPlan, log: Logger): void {
  const { problem, solver, schedule, config } = plan;
  log.info({ problem: problem.name, dimZ: problem.dimZ, dimX: problem.dimX, nInner: problem.nInner, nOuter: problem.nOuter, ...problem.info }, 'problem');
  log.info({ solver: solver.name, schedule, ...solver.options, maxIter: config.maxIter, evalEvery: config.evalEvery, seed: config.seed }, 'solver');
}

/** What the live page of `--dashboard` shows of the run before its first step. */
function dashboardInfo(plan: RunPlan, ref: Reference | undefined, outDir: string, resume: ResumeInfo | undefined) {
  const { problem, solver, config } = plan;
  return {
    problem: problem.name,
    solver: solver.name,
    seed: config.seed,
    schedule: plan.schedule,
    maxIter: config.maxIter,
    evalEvery: config.evalEvery,
    evaluation: plan.evaluation,
    ...(ref ? { hStar: ref.value } : {}),
    outDir,
    ...(resume ? { resumedFrom: resume.state.versions.x.k } : {}),
    constantSteps: constantSteps(solver),
  };
}

/** `run()`'s options: a snapshot every --eval-every iterations, the checkpoints (none on threads), the resume state, the dashboard's pauses. */
function runOptionsOf(plan: RunPlan, session: { readonly checkpoint: RunOptions['checkpoint'] }, resume: ResumeInfo | undefined, dash: { readonly onYield: RunOptions['onYield'] } | undefined): Omit<RunOptions, 'stop'> {
  const { config } = plan;
  return {
    seed: config.seed,
    maxIter: config.maxIter,
    ...(config.maxSeconds !== undefined ? { maxSeconds: config.maxSeconds } : {}),
    sampleEvery: config.evalEvery,
    schedule: plan.schedule,
    ...(plan.x0 ? { x0: plan.x0 } : {}),
    ...(plan.threaded ?? { checkpoint: session.checkpoint }),
    ...(resume ? { resume: resume.state } : {}),
    ...(dash ? { onYield: dash.onYield } : {}),
  };
}

/**
 * What the run does with each snapshot: evaluates it (a trace row, the progress bar, a debug line), except the point
 * a resumed run starts from when the trace has it or it is off the evaluation grid; an evaluation that throws at a
 * finite iterate ends the run as diverged. Interrupted, the run says what follows and how long the last evaluation took.
 */
function evaluateSnapshots(plan: RunPlan, session: RunSession<TraceRow>, evaluator: TraceEvaluator, resume: ResumeInfo | undefined, log: Logger): RunSnapshots {
  return {
    onSnapshot: (s, end) => {
      // a resumed run starts where its checkpoint was taken: off the evaluation grid, that point has no row (and a
      // point the trace already holds, when the checkpoint was taken just after that evaluation, or when it was taken
      // at the last iteration, whose final snapshot follows the first one)
      if (resume && s.iteration === resume.state.versions.x.k && (session.rows.at(-1)?.iter === s.iteration || (!s.final && s.iteration % plan.config.evalEvery !== 0))) return;
      let row: TraceRow;
      try {
        row = evaluator.evaluate(s);
      } catch (err) {
        if (err instanceof WriteError) throw err;
        return end.evaluationFailed(s.iteration, (err as Error).message);
      }
      session.progress.update(s.iteration, { h: row.value.toPrecision(6), '‖∇h‖': row.hypergradNorm?.toExponential(2) ?? '—' });
      log.debug({ iter: row.iter, h: row.value, ...row.metrics, relSubopt: row.relativeSuboptimality, gradNorm: row.hypergradNorm }, 'evaluation');
    },
    interruptMessage: () =>
      `interrupted: finishing the current step and writing a checkpoint, then evaluating h at the last iterate (the last evaluation took ${evaluator.lastEvaluationSeconds.toFixed(1)} s) and writing the trace and the summary; press Ctrl-C again to exit at once without them (the last checkpoint is kept)`,
  };
}
