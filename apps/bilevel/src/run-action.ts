// The action of `bilevel run`: the options (with --resume's saved ones and a --config file's) into a RunConfig, the
// logger, Ctrl-C and the dashboard around runCommand. main.ts imports this module when `run` runs, so that `--help`
// and a refused option do not load what a run needs (the solvers, the problems, the streams, rxjs, zod, pino).
import type { Command } from 'commander';
import { InputError } from '@bilevel/io';
import { createLogger, WriteError } from '@bilevel/telemetry';
import { EXIT } from './exit-codes';
import type { ResumeInfo, RunConfig } from './run-command';
import type { ProblemBuilder } from './run/run-config';
import { readResume, runCommand } from './run-command';
import { readRunConfig } from './run-config-file';
import { NO_MONITORS } from './run-monitors';
import { checkDashboardOptions, runDashboardCli } from './dashboard/dashboard-cli';

/** Where `bilevel run` writes, and whether it handles signals (main's MainIo, resolved). */
export interface RunActionIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly tty: boolean;
  readonly signals: boolean;
  /** Builds the run's problem in place of `buildProblem` (tests). */
  readonly buildProblem?: ProblemBuilder;
}

/** Runs `bilevel run` with the options commander parsed (`opts`, of `cmd`); returns the exit code. */
export async function runAction(opts: Record<string, unknown>, cmd: Command, io: RunActionIo): Promise<number> {
  const { stdout, stderr, tty } = io;
  let code: number = EXIT.ok;
  let resumeInfo: ResumeInfo | undefined;
  if (opts.resume !== undefined) {
    const allowed = new Set(['resume', 'maxIter', 'maxSeconds', 'checkpointEvery', 'json', 'logLevel', 'monitor', 'strict', 'dashboard', 'dashboardLinger']);
    const extra = cmd.options.map((o) => o.attributeName()).filter((k) => cmd.getOptionValueSource(k) === 'cli' && !allowed.has(k));
    if (extra.length) {
      throw new InputError(`a resumed run keeps its saved options; remove ${extra.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`, '--resume');
    }
    const saved = readResume(String(opts.resume));
    resumeInfo = saved.resume;
    for (const [key, value] of Object.entries(saved.config)) if (!allowed.has(key) || cmd.getOptionValueSource(key) !== 'cli') opts[key] = value;
  }
  if (opts.config !== undefined) {
    // a configuration file fills every option the command line did not give (validated as a whole first)
    const file = readRunConfig(String(opts.config));
    for (const [key, value] of Object.entries(file)) if (cmd.getOptionValueSource(key) !== 'cli') opts[key] = value;
  }
  const json = Boolean(opts.json);
  const log = createLogger({ pretty: tty && !json, destination: stderr, level: String(opts.logLevel), name: 'bilevel' });
  const config: RunConfig = {
    problem: opts.problem as RunConfig['problem'],
    train: opts.train as string | undefined,
    val: opts.val as string | undefined,
    test: opts.test as string | undefined,
    label: opts.label as string | undefined,
    data: opts.data as string | undefined,
    heldOut: opts.heldOut as string | undefined,
    trainSize: opts.trainSize as number | undefined,
    valSize: opts.valSize as number | undefined,
    corruption: opts.corruption as number | undefined,
    ridge: opts.ridge as number | undefined,
    regularizer: opts.regularizer as RunConfig['regularizer'],
    noise: opts.noise as number | undefined,
    patchSize: opts.patchSize as number | undefined,
    forward: opts.forward as RunConfig['forward'],
    backward: opts.backward as RunConfig['backward'],
    refine: opts.refine as number | undefined,
    hidden: opts.hidden as number | undefined,
    layer: opts.layer as RunConfig['layer'],
    forwardTol: opts.forwardTol as number | undefined,
    forwardMaxIter: opts.forwardMaxIter as number | undefined,
    testSize: opts.testSize as number | undefined,
    reference: opts.reference as RunConfig['reference'],
    evaluate: opts.evaluate as RunConfig['evaluate'],
    reg: opts.reg as RunConfig['reg'],
    standardize: opts.standardize as RunConfig['standardize'],
    seed: opts.seed as number,
    oracles: opts.oracles as RunConfig['oracles'],
    format: opts.format as RunConfig['format'],
    memoryBudget: opts.memoryBudget as number | undefined,
    solver: opts.solver as string | undefined,
    batch: opts.batch as number | undefined,
    innerStep: opts.innerStep as number | undefined,
    outerStep: opts.outerStep as number | undefined,
    schedule: opts.schedule as string | undefined,
    threads: opts.threads as number | undefined,
    parts: {
      estimator: opts.estimator as string | undefined,
      innerEstimator: opts.innerEstimator as string | undefined,
      linsysEstimator: opts.linsysEstimator as string | undefined,
      outerEstimator: opts.outerEstimator as string | undefined,
      stepRule: opts.stepRule as string | undefined,
      innerStepRule: opts.innerStepRule as string | undefined,
      linsysStepRule: opts.linsysStepRule as string | undefined,
      outerStepRule: opts.outerStepRule as string | undefined,
    },
    maxIter: opts.maxIter as number | undefined,
    maxSeconds: opts.maxSeconds as number | undefined,
    evalEvery: opts.evalEvery as number | undefined,
    x0: opts.x0 as number[] | undefined,
    out: opts.out as string | undefined,
    checkpointEvery: opts.checkpointEvery as number | undefined,
    monitors: opts.monitor === false ? NO_MONITORS : (opts.monitor as string | undefined),
    strict: Boolean(opts.strict),
    json,
    progress: tty && !json,
    ways: opts.ways as number | undefined,
    shots: opts.shots as number | undefined,
    queries: opts.queries as number | undefined,
    metaBatch: opts.metaBatch as number | undefined,
    lambda: opts.lambda as number | undefined,
    innerSteps: opts.innerSteps as number | undefined,
    innerMethod: opts.innerMethod as RunConfig['innerMethod'],
    innerTol: opts.innerTol as number | undefined,
    cgSteps: opts.cgSteps as number | undefined,
    cgRadius: opts.cgRadius as number | undefined,
    model: opts.model as RunConfig['model'],
    channels: opts.channels as number | undefined,
    testAlphabets: opts.testAlphabets as string | undefined,
    rotations: opts.rotations as RunConfig['rotations'],
    testEpisodes: opts.testEpisodes as number | undefined,
    testInnerSteps: opts.testInnerSteps as number | undefined,
    testInnerStep: opts.testInnerStep as number | undefined,
    tasks: opts.tasks as number | undefined,
  };
  let interrupt: ((signal: string) => void) | undefined;
  const interrupted = new Promise<string>((r) => (interrupt = r));
  const dashOptions = { dashboard: Boolean(opts.dashboard), dashboardLinger: opts.dashboardLinger as number | undefined };
  checkDashboardOptions(dashOptions, String(config.problem));
  const stopFromPage = () => {
    stderr.write('\nstop from the dashboard: stopping after the current step\n');
    interrupt?.('dashboard');
  };
  const dashboard = runDashboardCli(dashOptions, { stderr, stop: stopFromPage, signals: io.signals });
  const onSignal = (signal: string) => {
    stderr.write(`\nreceived ${signal}: stopping after the current step (press again to exit at once)\n`);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    // no handler for a second signal: its default action ends the process at once, even inside a synchronous
    // evaluation (which keeps JavaScript handlers from running until it returns); what is on disk stays whole, the
    // checkpoints and summaries being written to a temporary file and renamed
    dashboard?.stopping();
    interrupt?.(signal);
  };
  if (io.signals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    code = await runCommand(config, { stdout, log, interrupted, ...(resumeInfo ? { resume: resumeInfo } : {}), ...(dashboard ? { dashboard: dashboard.request } : {}), ...(io.buildProblem ? { buildProblem: io.buildProblem } : {}) });
  } catch (err) {
    await dashboard?.fail(err instanceof WriteError ? EXIT.writeFailed : EXIT.internal);
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  await dashboard?.finish(code);
  return code;
}
