import { Command, CommanderError, Option } from 'commander';
import { InputError } from '@bilevel/io';
import { EXIT, EXIT_HELP } from './exit-codes';
import { LOG_LEVEL_NAMES, SYSTEM_NAMES, TRAIN_CHECKPOINT_SECONDS } from './cli-catalog';
import type { CommandIo } from './command-io';
import type { StopSignal } from '@bilevel/verify';
import { countAtMost, integer, nonNegativeInt, nonNegativeNumber, positiveNumber } from './parse-values';
import type { TrainResume } from './train-checkpoint';
import { MAX_SAMPLES, MAX_TRAJECTORIES } from './limits';
import { packageVersion } from './package-version';
import type { DashboardPort } from './dashboard/train-dashboard';

// `safe-control --help`, `--version` and a refused option load only commander and the option definitions (the
// systems' names and the defaults come from cli-catalog.ts, plain data): each command imports what it runs (the
// control library, HiGHS, the logger, the dashboard) when it runs. startup-imports.spec.ts keeps it so.

/** Streams the program writes to (replaceable in tests). */
export interface MainIo {
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  /** Whether stderr is a terminal (progress bar, pretty logs). Default: process.stderr.isTTY. */
  readonly tty?: boolean;
  /** Install SIGINT/SIGTERM handlers that stop a run cleanly. Default true. */
  readonly signals?: boolean;
  /**
   * An interruption received elsewhere (the main thread, when the program runs in a worker thread: runInWorker):
   * the signal's name when it comes, and a flag the long loops read synchronously. Replaces the signal handlers.
   */
  readonly interruption?: { readonly interrupted: Promise<string>; readonly stop: StopSignal };
  /** `train --dashboard` in a worker thread: the page is served by the main thread, reached through this port. */
  readonly dashboardPort?: DashboardPort;
}

/** Default upper-level iterations of `train`. */
export const DEFAULT_MAX_ITER = 200;
/** Default samples per condition of the sampled verifier. */
export const DEFAULT_SAMPLES = 100_000;
/** Default closed-loop trajectories drawn. */
export const DEFAULT_TRAJECTORIES = 20;
export { MAX_SAMPLES, MAX_TRAJECTORIES };

/**
 * The `safe-control` program: `train`, `verify`, `simulate` (Wang, Zhan, Wang, Huang, Wang, Yang, Zhu, "Joint
 * differentiable optimization and verification for certified reinforcement learning", ICCPS 2023). Returns the
 * exit code: 0 done / certified, 2 bad input (nothing written), 3 not certified, 6 an output file could not be
 * written, 130 interrupted, 1 internal error.
 */
export async function main(argv: readonly string[], io: MainIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const tty = io.tty ?? Boolean(process.stderr.isTTY);
  let code: number = EXIT.ok;
  const systems = SYSTEM_NAMES.join(', ');
  const program = new Command('safe-control')
    .description('Jointly learn a controller and a barrier (or Lyapunov) certificate, verify it, simulate it, draw it.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) })
    .showHelpAfterError('(run with --help for the options)')
    .addHelpText('afterAll', EXIT_HELP);

  /** Runs a command with a logger and Ctrl-C handling. */
  const action = (run: (opts: Record<string, unknown>, cio: CommandIo) => Promise<number>, prepare?: (opts: Record<string, unknown>, cmd: Command) => Promise<void>) => async (opts: Record<string, unknown>, cmd: Command) => {
    await prepare?.(opts, cmd);
    const { createLogger } = await import('@bilevel/telemetry');
    const json = Boolean(opts.json);
    const log = createLogger({ pretty: tty && !json, destination: stderr, level: String(opts.logLevel), name: 'safe-control' });
    let interrupt: ((signal: string) => void) | undefined;
    const interrupted = io.interruption?.interrupted ?? new Promise<string>((r) => (interrupt = r));
    // in this thread the flag is seen between steps; a worker's (io.interruption) is seen inside them too
    const stopped = new AbortController();
    const stop = io.interruption?.stop ?? stopped.signal;
    const exitNow = () => process.exit(EXIT.interrupted);
    const onSignal = (signal: string) => {
      stderr.write(`\nreceived ${signal}: stopping after the current step (press again to exit at once)\n`);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      process.once('SIGINT', exitNow);
      stopped.abort();
      interrupt?.(signal);
    };
    if ((io.signals ?? true) && !io.interruption) {
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }
    if (opts.dashboardLinger !== undefined && !opts.dashboard) throw new InputError('sets how long the page of --dashboard is served; add --dashboard', '--dashboard-linger');
    // train --dashboard in this thread: the page is served here, its Stop is this thread's Ctrl-C path
    const { DashboardHost } = opts.dashboard && !io.dashboardPort ? await import('./dashboard/dashboard-host') : { DashboardHost: undefined };
    const host = DashboardHost ? new DashboardHost(stderr, () => (stderr.write('\nstop from the dashboard: stopping after the current step\n'), stopped.abort(), interrupt?.('dashboard'))) : undefined;
    const port = io.dashboardPort ?? host;
    const dashboard = opts.dashboard && port ? { dashboard: { port, ...(opts.dashboardLinger !== undefined ? { linger: opts.dashboardLinger as number } : {}) } } : {};
    try {
      code = await run(opts, { stdout, stderr, log, progress: tty && !json, json, interrupted, stop, ...dashboard });
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', exitNow);
    }
    await host?.finish(code, io.signals ?? true);
  };
  const common = (c: Command) =>
    c
      .option('--json', 'JSON logs, no progress bar, and the result as JSON on the last stdout line', false)
      .addOption(new Option('--log-level <level>', 'least severe log level written').choices(LOG_LEVEL_NAMES).default('info'));

  common(
    program
      .command('train')
      .description('Train a policy and its certificate (or the SVG baseline); writes report.json, policy.json, certificate.json, phase.svg/png to --out.')
      .option('--system <name>', `benchmark system: ${systems} (required unless --resume)`)
      .addOption(new Option('--track <kind>', 'certificate track: poly (Handelman LP, HiGHS) or neural (barrier MLP, branch and bound; pj, inverted-pendulum)').default('poly'))
      .option('--seed <n>', 'seed of the batch sampler, the verifier and the drawn trajectories', integer, 0)
      .option('--out <dir>', 'output folder, must be new or empty (default: runs/<time>-train-<system>)')
      .option('--max-iter <n>', 'upper-level iterations', nonNegativeInt, DEFAULT_MAX_ITER)
      .option('--max-seconds <s>', 'budget of seconds of training', positiveNumber)
      .option('--baseline <kind>', 'svg: the value-gradient-only baseline (no certificate), judged by its trajectories')
      .option('--samples <n>', `states per condition of the sampled verifier, at most ${MAX_SAMPLES}`, countAtMost(MAX_SAMPLES), DEFAULT_SAMPLES)
      .option('--trajectories <n>', `closed-loop trajectories drawn, at most ${MAX_TRAJECTORIES}`, countAtMost(MAX_TRAJECTORIES), DEFAULT_TRAJECTORIES)
      .option('--checkpoint-every <s>', `write the training state (atomically) to <out>/checkpoint.bin every s seconds, and when interrupted or out of budget; 0: only then [${TRAIN_CHECKPOINT_SECONDS}]`, nonNegativeNumber)
      .option('--config <file>', 'JSON file of these options (camelCase keys, e.g. {"system": "pj", "maxIter": 100}); options on the command line win')
      .option('--resume <dir>', 'continue the training in <dir> from its checkpoint, to the bit (its saved options apply; only --max-iter, --max-seconds, --checkpoint-every, --json and --log-level may be given)')
      .option('--dashboard', 'serve a live page of the training on 127.0.0.1 (its address, with a one-time token, on stderr): c*, V, λ, the verdicts with their boxes, the phase picture of the current θ; Stop (as Ctrl-C) from the page (polynomial track)', false)
      .option('--dashboard-linger <s>', 'with --dashboard: serve the page at most s seconds after the training [until the page is closed]', nonNegativeNumber),
  ).action(
    action(
      async (o, cio) =>
        (await import('./train-command')).trainCommand(
        {
          system: String(o.system),
          track: String(o.track),
          seed: o.seed as number,
          out: o.out as string | undefined,
          maxIter: o.maxIter as number,
          maxSeconds: o.maxSeconds as number | undefined,
          baseline: o.baseline as string | undefined,
          samples: o.samples as number,
          trajectories: o.trajectories as number,
          ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery as number } : {}),
        },
        cio,
        o.resumeInfo as TrainResume | undefined,
      ),
      async (o, cmd) => {
        if (o.resume === undefined) {
          if (o.config !== undefined) {
            // the file fills every option the command line did not give (validated as a whole first)
            const { readTrainConfigFile } = await import('./train-config-file');
            const file = readTrainConfigFile(String(o.config));
            for (const [key, value] of Object.entries(file)) if (cmd.getOptionValueSource(key) !== 'cli') o[key] = value;
          }
          if (o.system === undefined) throw new InputError("required option '--system <name>' not specified (or give it in --config)", '--system');
          return;
        }
        const { readTrainResume, RESUME_OPTIONS } = await import('./train-checkpoint');
        const allowed = new Set<string>(RESUME_OPTIONS);
        const extra = cmd.options.map((x) => x.attributeName()).filter((k) => cmd.getOptionValueSource(k) === 'cli' && !allowed.has(k));
        if (extra.length) {
          throw new InputError(`a resumed training keeps its saved options; remove ${extra.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`, '--resume');
        }
        const saved = readTrainResume(String(o.resume));
        for (const [key, value] of Object.entries(saved.config)) if (!allowed.has(key) || cmd.getOptionValueSource(key) !== 'cli') o[key] = value;
        o.resumeInfo = saved.resume;
      },
    ),
  );

  common(
    program
      .command('verify')
      .description('Re-check a policy and its certificate (polynomial or neural): sampled states, then the sound verifier (exit 0 certified, 3 not, with a counterexample).')
      .requiredOption('--system <name>', `benchmark system: ${systems}`)
      .requiredOption('--policy <file>', 'policy.json written by train')
      .requiredOption('--certificate <file>', 'certificate.json written by train')
      .option('--samples <n>', `states per condition, at most ${MAX_SAMPLES}`, countAtMost(MAX_SAMPLES), DEFAULT_SAMPLES)
      .option('--seed <n>', 'seed of the sampler', integer, 0)
      .option('--out <dir>', 'also write verdict.json to this new or empty folder'),
  ).action(
    action(async (o, cio) =>
      (await import('./verify-command')).verifyCommand(
        { system: String(o.system), policy: String(o.policy), certificate: String(o.certificate), samples: o.samples as number, seed: o.seed as number, out: o.out as string | undefined },
        cio,
      ),
    ),
  );

  common(
    program
      .command('simulate')
      .description('Closed-loop rollouts of a policy from the initial set and the picture; writes simulation.json, phase.svg/png.')
      .requiredOption('--system <name>', `benchmark system: ${systems}`)
      .requiredOption('--policy <file>', 'policy.json written by train')
      .option('--certificate <file>', 'certificate.json whose level set is drawn too')
      .option('--trajectories <n>', `number of rollouts, at most ${MAX_TRAJECTORIES}`, countAtMost(MAX_TRAJECTORIES), DEFAULT_TRAJECTORIES)
      .option('--seed <n>', 'seed of the initial states', integer, 0)
      .option('--out <dir>', 'output folder, must be new or empty (default: runs/<time>-simulate-<system>)'),
  ).action(
    action(async (o, cio) =>
      (await import('./simulate-command')).simulateCommand(
        { system: String(o.system), policy: String(o.policy), certificate: o.certificate as string | undefined, trajectories: o.trajectories as number, seed: o.seed as number, out: o.out as string | undefined },
        cio,
      ),
    ),
  );

  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; every parsing error (already printed by commander) is bad input
      return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    if (err instanceof InputError) {
      stderr.write(`safe-control: error: ${err.message}\n`);
      return EXIT.badInput;
    }
    // a failed write is reported by the commands that write, which have loaded the telemetry library by then
    const { WriteError } = await import('@bilevel/telemetry');
    if (err instanceof WriteError) {
      stderr.write(`safe-control: error: ${err.message}\n`);
      return EXIT.writeFailed;
    }
    stderr.write(`safe-control: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.internal;
  }
}
