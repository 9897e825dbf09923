import { Command, CommanderError, Option } from 'commander';
import { InputError } from '@bilevel/problems';
import { ESTIMATORS, SOLVERS, STANDALONE, STEP_RULES } from '@bilevel/solvers';
import { createLogger } from '@bilevel/telemetry';
import { EXIT } from './exit-codes';
import { integer, nonNegativeInt, numberList, positiveInt, positiveNumber } from './parse-values';
import type { RunConfig } from './run-command';
import { runCommand } from './run-command';

/** Streams the program writes to (replaceable in tests). */
export interface MainIo {
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  /** Whether stderr is a terminal (progress bar, pretty logs). Default: process.stderr.isTTY. */
  readonly tty?: boolean;
  /** Install SIGINT/SIGTERM handlers that stop the run cleanly. Default true. */
  readonly signals?: boolean;
}

/** Default number of outer iterations of `bilevel run`. */
export const DEFAULT_MAX_ITER = 50_000;

/**
 * The `bilevel` program. Returns the exit code: 0 done, 2 bad input (nothing written), 3 diverged,
 * 130 interrupted, 1 internal error.
 */
export async function main(argv: readonly string[], io: MainIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const tty = io.tty ?? Boolean(process.stderr.isTTY);
  let code: number = EXIT.ok;
  const program = new Command('bilevel')
    .description('Stochastic bilevel optimization: coupled inner, linear-system and outer streams.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) })
    .showHelpAfterError('(run with --help for the options)');

  program
    .command('run')
    .description('Run a solver on a problem; writes trace.jsonl, summary.json and convergence.svg/png to --out.')
    .addOption(new Option('--problem <name>', 'problem family (fractional: a sparse fractional program for --solver fractional-cd)').choices(['logreg-hpo', 'quadratic', 'fractional']).default('logreg-hpo'))
    .option('--train <file>', 'training data: UCI header CSV or LIBSVM text (default: bundled breast_cancer.csv)')
    .option('--val <file>', 'validation data, same format (default: a 40% split of --train by the seed)')
    .addOption(new Option('--format <kind>', 'data file format (auto: by extension and content; gzip accepted)').choices(['auto', 'uci-csv', 'libsvm']).default('auto'))
    .addOption(new Option('--oracles <kind>', 'logreg-hpo oracles: analytic float64 kernels, or tfjs autodiff (float32, ~100× slower; audited first)').choices(['analytic', 'autodiff']).default('analytic'))
    .addOption(new Option('--reg <kind>', 'one L2 weight shared by all features, or one per feature').choices(['scalar', 'feature']).default('scalar'))
    .addOption(new Option('--standardize <how>', 'standardize features with the training mean/std, or not').choices(['train', 'none']).default('train'))
    .addOption(
      new Option('--solver <name>', [...Object.values(SOLVERS), ...Object.values(STANDALONE)].map((s) => `\n  ${s.name}: ${s.description}`).join(''))
        .choices([...Object.keys(SOLVERS), ...Object.keys(STANDALONE)])
        .default('saba'),
    )
    .option('--batch <n>', 'minibatch size of every oracle', positiveInt, 32)
    .option('--inner-step <rho>', 'step of z and v (ρ, or ρ₀ for SOBA) [solver default 0.1]', positiveNumber)
    .option('--outer-step <gamma>', 'step of x (γ, or γ₀ for SOBA) [solver default 0.1]', positiveNumber)
    .addOption(new Option('--estimator <name>', 'direction estimator of all three streams (builds a single-loop solver from parts)').choices(Object.keys(ESTIMATORS)))
    .addOption(new Option('--inner-estimator <name>', 'estimator of the inner stream (z)').choices(Object.keys(ESTIMATORS)))
    .addOption(new Option('--linsys-estimator <name>', 'estimator of the linear-system stream (v)').choices(Object.keys(ESTIMATORS)))
    .addOption(new Option('--outer-estimator <name>', 'estimator of the outer stream (x)').choices(Object.keys(ESTIMATORS)))
    .addOption(new Option('--step-rule <name>', 'step rule of all three streams').choices(Object.keys(STEP_RULES)))
    .addOption(new Option('--inner-step-rule <name>', 'step rule of the inner stream').choices(Object.keys(STEP_RULES)))
    .addOption(new Option('--linsys-step-rule <name>', 'step rule of the linear-system stream').choices(Object.keys(STEP_RULES)))
    .addOption(new Option('--outer-step-rule <name>', 'step rule of the outer stream').choices(Object.keys(STEP_RULES)))
    .option('--schedule <name>', 'jacobi | gauss-seidel | multi-rate:K[:gauss-seidel] [solver default: jacobi]')
    .option('--max-iter <n>', 'outer iterations', nonNegativeInt, DEFAULT_MAX_ITER)
    .option('--max-seconds <s>', 'budget of solver seconds (evaluation excluded)', positiveNumber)
    .option('--eval-every <n>', 'evaluate h(x) exactly every n iterations (one trace line each)', positiveInt, 500)
    .option('--seed <n>', 'seed of the data split and of the samplers', integer, 0)
    .option('--x0 <values>', 'starting x: one number for every coordinate, or a comma-separated list', numberList)
    .option('--out <dir>', 'output folder, must be new or empty (default: runs/<time>-<problem>-<solver>)')
    .option('--json', 'JSON logs, no progress bar, and the summary as JSON on the last stdout line', false)
    .option('--log-level <level>', 'fatal | error | warn | info | debug', 'info')
    .action(async (opts: Record<string, unknown>) => {
      const json = Boolean(opts.json);
      const log = createLogger({ pretty: tty && !json, destination: stderr, level: String(opts.logLevel), name: 'bilevel' });
      const config: RunConfig = {
        problem: opts.problem as RunConfig['problem'],
        train: opts.train as string | undefined,
        val: opts.val as string | undefined,
        reg: opts.reg as RunConfig['reg'],
        standardize: opts.standardize as RunConfig['standardize'],
        seed: opts.seed as number,
        oracles: opts.oracles as RunConfig['oracles'],
        format: opts.format as RunConfig['format'],
        solver: opts.solver as string,
        batch: opts.batch as number,
        innerStep: opts.innerStep as number | undefined,
        outerStep: opts.outerStep as number | undefined,
        schedule: opts.schedule as string | undefined,
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
        maxIter: opts.maxIter as number,
        maxSeconds: opts.maxSeconds as number | undefined,
        evalEvery: opts.evalEvery as number,
        x0: opts.x0 as number[] | undefined,
        out: opts.out as string | undefined,
        json,
        progress: tty && !json,
      };
      let interrupt: ((signal: string) => void) | undefined;
      const interrupted = new Promise<string>((r) => (interrupt = r));
      const onSignal = (signal: string) => {
        stderr.write(`\nreceived ${signal}: stopping after the current step (press again to exit at once)\n`);
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        process.once('SIGINT', () => process.exit(EXIT.interrupted));
        interrupt?.(signal);
      };
      if (io.signals ?? true) {
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      }
      try {
        code = await runCommand(config, { stdout, log, interrupted });
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
    });

  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; every parsing error (already printed by commander) is bad input
      return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    if (err instanceof InputError || err instanceof RangeError) {
      stderr.write(`bilevel: error: ${(err as Error).message}\n`);
      return EXIT.badInput;
    }
    stderr.write(`bilevel: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.internal;
  }
}
