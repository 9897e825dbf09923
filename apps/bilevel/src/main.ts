import { Command, CommanderError, Option } from 'commander';
import { InputError } from '@bilevel/io';
import { EXIT, EXIT_HELP } from './exit-codes';
import {
  CHECKPOINT_SECONDS,
  DATA_CLEANING_C,
  DEQ_BACKWARD_NAMES,
  ESTIMATOR_NAMES,
  LOG_LEVEL_NAMES,
  META_PROBLEM_NAMES,
  META_SOLVER_HELP,
  PROBLEM_NAMES,
  RUN_MAX_ITER,
  RUN_MONITORS,
  SOLVER_HELP,
  STANDALONE_HELP,
  STEP_RULE_NAMES,
  SWEEP_MAX_RUNS,
} from './cli-catalog';
import { byteSize, integer, nonNegativeInt, nonNegativeNumber, numberList, positiveInt, positiveNumber, probability } from './parse-values';
import { packageVersion } from './package-version';
import { DEFAULT_ATTEMPTS, DEFAULT_QUEUE_NAME, DEFAULT_QUEUE_TIMEOUT_SECONDS } from './sweep/queue/queue-protocol';
import { SECRET_ENV } from './sweep/queue/queue-secret';
import { PASSWORD_ENV } from './sweep/queue/redis-url';
import type { ProblemBuilder } from './run/run-config';
import type { SweepCliOptions } from './sweep/sweep-action';
import type { WorkerCliOptions } from './sweep/queue/worker-cli';
import { addWorkerOptions, runWorkerCli, WORKER_DESCRIPTION } from './sweep/queue/worker-cli';

// `bilevel --help`, `--version` and a refused option load only commander and the option definitions (the solvers,
// problems and defaults they name come from cli-catalog.ts, plain data): each command imports what it runs (the
// solvers, the problems, the streams, rxjs, zod, pino, tfjs, vega) when it runs. startup-imports.spec.ts keeps it so.

/** Streams the program writes to (replaceable in tests). */
export interface MainIo {
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  /** Whether stderr is a terminal (progress bar, pretty logs). Default: process.stderr.isTTY. */
  readonly tty?: boolean;
  /** Install SIGINT/SIGTERM handlers that stop the run cleanly. Default true. */
  readonly signals?: boolean;
  /** `bilevel run` builds its problem with this in place of `buildProblem` (tests share one expensive build). */
  readonly buildProblem?: ProblemBuilder;
}

/**
 * The `bilevel` program. Returns the exit code: 0 done, 2 bad input (nothing written), 3 diverged,
 * 130 interrupted, 1 internal error.
 */
export async function main(argv: readonly string[], io: MainIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const tty = io.tty ?? Boolean(process.stderr.isTTY);
  let code: number = EXIT.ok;
  // --memory-budget's parser is @bilevel/problems' (one grammar with --config files): loaded when the option is given
  const parseByteSize = argv.some((a) => a.startsWith('--memory-budget'))
    ? (await import('@bilevel/problems')).parseByteSize
    : (): never => {
        throw new Error('--memory-budget was parsed, yet not found in argv');
      };
  const program = new Command('bilevel')
    .description('Stochastic bilevel optimization: coupled inner, linear-system and outer streams.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) })
    .showHelpAfterError('(run with --help for the options)')
    .addHelpText('afterAll', EXIT_HELP);

  program
    .command('run')
    .description('Run a solver on a problem; writes trace.jsonl, summary.json and convergence.svg/png to --out.')
    .addOption(
      new Option(
        '--problem <name>',
        'problem: logreg-hpo (binary L2 selection), multiclass-hpo (multinomial, per-class L2), datacleaning (Fashion-MNIST label cleaning), denoise | deblur (learned image regularizer), quadratic (closed form), fractional (sparse fractional program, --solver fractional-cd), fewshot (Omniglot N-way K-shot meta-learning), sinusoid (MAML\'s few-shot regression)',
      )
        .choices([...PROBLEM_NAMES, 'fractional', ...META_PROBLEM_NAMES])
        .default('logreg-hpo'),
    )
    .option('--train <file>', 'logreg-hpo: UCI header CSV or LIBSVM (default: bundled breast_cancer.csv); multiclass-hpo: UCI header, headerless or column-names CSV (see --label; default: bundled wine_data.csv); gzip accepted')
    .option('--val <file>', 'validation data, same format (default: a split of --train by the seed)')
    .option('--test <file>', 'multiclass-hpo: test data (default: a 25% split of --train when --val is not given)')
    .option('--label <column>', 'multiclass-hpo: CSV files whose first line names the columns (sepal_length,…,species): the label column [the last column]')
    .option('--data <path>', 'datacleaning: Fashion-MNIST folder of the four official .gz files (default: bundled 900/200-image subset); denoise/deblur: training image file or folder (default: bundled crops); deq: a Fashion-MNIST folder or a labelled CSV such as digits.csv.gz (default: bundled subset)')
    .option('--held-out <path>', 'denoise/deblur: held-out image file or folder for the PSNR metric, or "none" (default: bundled crops)')
    .addOption(new Option('--format <kind>', 'logreg-hpo data file format (auto: by extension and content; gzip accepted)').choices(['auto', 'uci-csv', 'libsvm']).default('auto'))
    .addOption(new Option('--oracles <kind>', 'logreg-hpo oracles: analytic float64 kernels; tape (float64 automatic differentiation replayed from a recorded tape, ~2× the analytic cost); or tfjs autodiff (float32, ~400× slower); both audited first, with the expected cost logged').choices(['analytic', 'tape', 'autodiff']).default('analytic'))
    .addOption(new Option('--reg <kind>', 'L2 weights: one shared (scalar), one per feature, or one per class [logreg-hpo: scalar; multiclass-hpo: class]').choices(['scalar', 'feature', 'class']))
    .option('--train-size <n>', 'datacleaning: training samples n, one outer weight each [20,000; bundled: 700]; deq: training samples kept, a seeded subset [all]', positiveInt)
    .option('--val-size <m>', 'datacleaning: clean validation samples m [5,000; bundled: 200]', positiveInt)
    .option('--corruption <p>', 'datacleaning: probability that a training label is replaced by a random one [0.5]', probability)
    .option('--ridge <c>', `datacleaning: C of C‖z‖² [${DATA_CLEANING_C}]; denoise/deblur: lower-level ridge γ [0; deblur 1e-3]`, positiveNumber)
    .addOption(new Option('--regularizer <kind>', 'denoise/deblur: smoothed total variation (2 parameters) or a Field of Experts (8 filters 5×5)').choices(['tv', 'foe']))
    .option('--noise <sigma>', 'denoise/deblur: noise level σ of the measurements, images in [0, 1] [0.1]', positiveNumber)
    .option('--patch-size <px>', 'denoise/deblur: side of the training patches [32]', positiveInt)
    .addOption(new Option('--forward <solver>', 'deq (deep equilibrium classifier): forward fixed-point solver, Broyden (its inverse feeds SHINE) or Anderson (history 5, ridge 1e-4) [broyden]').choices(['broyden', 'anderson']))
    .addOption(
      new Option('--backward <pass>', 'deq: backward pass: exact (GMRES on (I − J)ᵀu = ∇L), shine (the forward Broyden inverse, no Jacobian product), shine-opa (with outer-problem-aware updates), jfb (Jacobian-free, u = ∇L) [shine]').choices(DEQ_BACKWARD_NAMES),
    )
    .option('--refine <k>', 'deq: refine shine or jfb by k exact GMRES iterations warm-started at their direction [0]', nonNegativeInt)
    .option('--hidden <d>', 'deq: state size d of the dense layer, or channels of the conv layer [64; conv 8]', positiveInt)
    .addOption(new Option('--layer <kind>', 'deq: z = tanh(zW + xU + b), or a small convolutional layer (3×3 filters, stride-2 injection) [dense]').choices(['dense', 'conv']))
    .option('--forward-tol <tol>', 'deq: forward tolerance, every sample\'s ‖z − f(z)‖ ≤ tol·‖f(z)‖ [1e-4]', positiveNumber)
    .option('--forward-max-iter <n>', 'deq: forward budget in iterations; a solve that misses it ends its step with a finding [30]', positiveInt)
    .option('--test-size <n>', 'deq: test samples kept, a seeded subset [all]', positiveInt)
    .addOption(new Option('--evaluate <how>', 'trace evaluation of h: exact (inner solve, hypergradient) or at the solver\'s own z (iterate; auto: iterate for datacleaning)').choices(['auto', 'exact', 'iterate']).default('auto'))
    .addOption(new Option('--reference <when>', 'compute h* by full-batch L-BFGS for the relative suboptimality (auto: not for datacleaning, denoise, deblur)').choices(['auto', 'on', 'off']).default('auto'))
    .addOption(new Option('--standardize <how>', 'standardize features with the training mean/std, or not').choices(['train', 'none']).default('train'))
    .addOption(
      new Option(
        '--solver <name>',
        [...SOLVER_HELP, ...STANDALONE_HELP].map((s) => `\n  ${s.name}: ${s.description}`).join('') +
          `\n  fewshot and sinusoid: ${META_SOLVER_HELP.map((s) => `${s.name} (${s.description})`).join('; ')}`,
      ).choices([...new Set([...SOLVER_HELP, ...STANDALONE_HELP, ...META_SOLVER_HELP].map((s) => s.name))]),
    )
    .option('--batch <n>', 'minibatch size of every oracle [32; datacleaning 64; denoise/deblur 6; deq 64]', positiveInt)
    .option('--inner-step <rho>', 'step of z and v (ρ, or ρ₀ for SOBA) [solver default 0.1; fewshot: adaptation step 0.1; sinusoid 0.01]', positiveNumber)
    .option('--outer-step <gamma>', 'step of x (γ, or γ₀ for SOBA) [solver default 0.1; deq: Adam\'s step, 1e-3; fewshot: Adam 3e-3; sinusoid: Adam 1e-3]', positiveNumber)
    .addOption(new Option('--estimator <name>', 'direction estimator of all three streams (builds a single-loop solver from parts)').choices(ESTIMATOR_NAMES))
    .addOption(new Option('--inner-estimator <name>', 'estimator of the inner stream (z)').choices(ESTIMATOR_NAMES))
    .addOption(new Option('--linsys-estimator <name>', 'estimator of the linear-system stream (v)').choices(ESTIMATOR_NAMES))
    .addOption(new Option('--outer-estimator <name>', 'estimator of the outer stream (x)').choices(ESTIMATOR_NAMES))
    .addOption(new Option('--step-rule <name>', 'step rule of all three streams').choices(STEP_RULE_NAMES))
    .addOption(new Option('--inner-step-rule <name>', 'step rule of the inner stream').choices(STEP_RULE_NAMES))
    .addOption(new Option('--linsys-step-rule <name>', 'step rule of the linear-system stream').choices(STEP_RULE_NAMES))
    .addOption(new Option('--outer-step-rule <name>', 'step rule of the outer stream').choices(STEP_RULE_NAMES))
    .option('--schedule <name>', 'jacobi | gauss-seidel | multi-rate:K[:gauss-seidel] [solver default: jacobi]')
    .option('--threads <n>', 'threads of a jacobi saba/soba run on datacleaning or logreg-hpo, 1-3: the three streams step at the same time, same results to the bit, no checkpoint [1]', positiveInt)
    .option('--max-iter <n>', `outer iterations [${RUN_MAX_ITER}; datacleaning 3,000; denoise/deblur 300, foe 600; deq 300]`, nonNegativeInt)
    .option('--max-seconds <s>', 'budget of solver seconds (evaluation excluded)', positiveNumber)
    .option('--eval-every <n>', 'evaluate h(x) exactly every n iterations (one trace line each) [500; denoise 50; deblur 150; deq 50]', positiveInt)
    .option('--seed <n>', 'seed of the data split and of the samplers', integer, 0)
    .option('--x0 <values>', 'starting x: one number for every coordinate, or a comma-separated list', numberList)
    .option('--out <dir>', 'output folder, must be new or empty (default: runs/<time>-<problem>-<solver>)')
    .option('--json', 'JSON logs, no progress bar, and the summary as JSON on the last stdout line', false)
    .addOption(new Option('--log-level <level>', 'least severe log level written').choices(LOG_LEVEL_NAMES).default('info'))
    .option('--config <file>', 'JSON file of options (camelCase keys, e.g. {"solver": "soba", "maxIter": 20000}); options on the command line win')
    .option('--memory-budget <size>', 'memory the data files and the problem may take, checked from the dimensions found before allocating (dense data n × d × 8 bytes, the exact evaluation\'s d × d Hessian…); a file or problem beyond it is refused (exit 2): raise it if the machine has the memory; e.g. 4GiB, 512MiB or bytes [2GiB]', byteSize(parseByteSize))
    .option('--checkpoint-every <s>', `write a checkpoint (run state, atomically) to <out>/checkpoint.bin every s seconds of solver time; 0: never [${CHECKPOINT_SECONDS}]`, nonNegativeNumber)
    .option('--monitor <list>', `runtime monitors, comma-separated: default (finiteness,theorem,budget), finiteness, theorem, accuracy, progress, budget; findings go to the trace, the summary, the log and a table at the end [${RUN_MONITORS}: findings to the trace and the summary, and one warning line when a run ends far from h* or stops being finite]`)
    .option('--no-monitor', 'no runtime monitors (and no end-of-run warning line)')
    .option('--strict', 'end the run at the first monitor violation (exit 4)', false)
    .option('--ways <n>', 'fewshot: classes per task N [5]', positiveInt)
    .option('--shots <k>', 'fewshot, sinusoid: support examples per class (per task for sinusoid) K [fewshot 1; sinusoid 10]', positiveInt)
    .option('--queries <q>', 'fewshot, sinusoid: query examples per class (per task) [= --shots]', positiveInt)
    .option('--meta-batch <b>', 'fewshot, sinusoid: tasks per outer step [fewshot 8; sinusoid 25]', positiveInt)
    .option('--lambda <l>', 'fewshot, sinusoid: weight λ of the proximal term (λ/2)‖φ − θ‖² of every task [fewshot 0.5; sinusoid 100]', positiveNumber)
    .option('--inner-steps <n>', 'fewshot, sinusoid: adaptation steps per task (gradient steps of --inner-step, or Newton steps) [fewshot 16; sinusoid 1]', positiveInt)
    .addOption(new Option('--inner-method <m>', 'fewshot, sinusoid: adaptation by gradient descent or line-search Newton–CG (to --inner-tol) [gd]').choices(['gd', 'newton-cg']))
    .option('--inner-tol <t>', 'fewshot, sinusoid: stop adapting once ‖∇_φ g‖ ≤ t [0: all --inner-steps]', nonNegativeNumber)
    .option('--cg-steps <n>', 'imaml: conjugate-gradient steps on (I + H/λ)g = ∇L_query per task [5]', positiveInt)
    .option('--cg-radius <r>', 'imaml: CG in the ball ‖g‖ ≤ r·‖∇L_query‖ of each task (Steihaug) [fewshot 2; sinusoid none]', positiveNumber)
    .addOption(new Option('--model <kind>', 'fewshot: the 4-layer convnet or an MLP 256-128-64-64; sinusoid: the MLP 40-40 [fewshot conv]').choices(['conv', 'mlp']))
    .option('--channels <c>', 'fewshot --model conv: filters per layer (the papers use 64) [32]', positiveInt)
    .option('--test-alphabets <list>', 'fewshot: the held-out (meta-test) alphabets, comma-separated, or how many to draw [2]')
    .addOption(new Option('--rotations <on|off>', 'fewshot: each character rotated by 90°, 180°, 270° is a class of its own [on]').choices(['on', 'off']))
    .option('--test-episodes <n>', 'fewshot, sinusoid: meta-test episodes per evaluation (mean and 95% interval) [600]', positiveInt)
    .option('--test-inner-steps <n>', 'fewshot, sinusoid: adaptation steps at meta-test [fewshot = --inner-steps; sinusoid 1, MAML\'s protocol]', positiveInt)
    .option('--test-inner-step <a>', 'fewshot, sinusoid: adaptation step size at meta-test [fewshot = --inner-step; sinusoid 0.01]', positiveNumber)
    .option('--tasks <n>', 'fewshot, sinusoid: meta-training tasks the meta-batches are drawn from [200,000]', positiveInt)
    .option('--resume <dir>', 'continue the run in <dir> from its checkpoint, to the bit (its saved options apply; only --max-iter, --max-seconds, --checkpoint-every, --monitor, --strict, --json, --log-level and --dashboard may be given)')
    .option('--dashboard', 'serve a live page of the run on 127.0.0.1 (its address, with a one-time token, on stderr): the three streams, h and ‖∇h‖, oracle calls, the schedule, monitor findings; Pause and Stop (as Ctrl-C) from the page', false)
    .option('--dashboard-linger <s>', 'with --dashboard: serve the page at most s seconds after the run [until the page is closed; not at all when none is open]', nonNegativeNumber)
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const { runAction } = await import('./run-action');
      code = await runAction(opts, cmd, { stdout, stderr, tty, signals: io.signals ?? true, ...(io.buildProblem ? { buildProblem: io.buildProblem } : {}) });
    });

  program
    .command('dashboard')
    .description('Serve the live page of a run folder written by `bilevel run`, finished or running (its trace.jsonl is followed until summary.json is written), on 127.0.0.1 with a one-time token in the address (printed on stderr)')
    .argument('<dir>', 'the run folder (--out of bilevel run)')
    .option('--dashboard-linger <s>', 'serve the page at most s seconds after the run ended [until a page has been opened and closed]', nonNegativeNumber)
    .action(async (dir: string, o: { dashboardLinger?: number }) => {
      const { replayCommand } = await import('./dashboard/dashboard-cli');
      code = await replayCommand(dir, o.dashboardLinger !== undefined ? { linger: o.dashboardLinger } : {}, { stderr, signals: io.signals ?? true });
    });

  program
    .command('score')
    .description('Meta-test saved meta-parameters (meta-params.json of `bilevel run --problem fewshot|sinusoid`) with the adaptation they were trained with; prints accuracy (and loss) as JSON: mean and 95% interval over the episodes')
    .requiredOption('--params <file>', 'meta-params.json written by bilevel run')
    .option('--data <zips>', 'Omniglot zip archives (comma-separated) or a folder of them: draw episodes from their classes [the run\'s own data and held-out alphabets]')
    .option('--alphabets <list>', 'with --data: only these alphabets (comma-separated)')
    .option('--episodes <dir>', 'a folder of fixed episodes: <episode>/support/<class>/*.png and <episode>/query/<class>/*.png')
    .option('--ways <n>', 'classes per episode (must be the model\'s) [the run\'s]', positiveInt)
    .option('--shots <k>', 'support images per class [the run\'s]', positiveInt)
    .option('--queries <q>', 'query images per class [the run\'s]', positiveInt)
    .option('--test-episodes <n>', 'episodes drawn [600]', positiveInt)
    .option('--seed <n>', 'seed of the episodes drawn [the run\'s seed + 1,000,003: its own meta-test episodes]', integer)
    .action(async (o: { params: string; data?: string; alphabets?: string; episodes?: string; ways?: number; shots?: number; queries?: number; testEpisodes?: number; seed?: number }) => {
      const { scoreCommand } = await import('./meta/score-command');
      code = scoreCommand(o, { stdout });
    });

  program
    .command('bench')
    .description('Benchmark grid solver × problem × seed: writes results.json, table.md and <problem>.svg/png (median and 20–80% band over seeds, against solver time and oracle calls)')
    .option('--full', 'the complete grid (10 seeds, more solvers, Fashion-MNIST n = 20,000 when ../shared/data has it; about an hour)', false)
    .option('--grid <name>', 'the grid: default, full (as --full) or all-solvers (every registered solver with tuned steps, seeds 0–2) [default]')
    .option('--seeds <n>', 'seeds 0…n−1 [5; full 10]', positiveInt)
    .option('--problems <list>', 'comma-separated problem rows to keep', (v: string) => v.split(',').filter(Boolean))
    .option('--solvers <list>', 'comma-separated solvers to keep', (v: string) => v.split(',').filter(Boolean))
    .option('--out <dir>', 'new or empty folder [bench-results/grid-<time>]')
    .option('--json', 'print the aggregate as JSON on the last stdout line', false)
    .option('--workers <n>', 'run on a pool of n worker processes (the sweep engine) [in this process, one run at a time]', positiveInt)
    .action(async (o: { full: boolean; grid?: string; seeds?: number; problems?: string[]; solvers?: string[]; out?: string; json: boolean; workers?: number }) => {
      const { benchCommand } = await import('./bench/bench-command');
      code = await benchCommand(
        { full: o.full, grid: o.grid, seeds: o.seeds, problems: o.problems, solvers: o.solvers, out: o.out, json: o.json, workers: o.workers },
        { stdout, stderr, progress: tty && !o.json },
      );
    });

  program
    .command('sweep')
    .description(
      'Run every run of a grid file (problem × solver × seed) on a pool of worker processes, or on a Redis queue served by `bilevel worker`; each result is stored under <out>/runs/<key>/ as it ends; re-running resumes (complete runs are skipped, failed ones retried); writes results.json, table.md and <problem>.svg/png. ' +
        `With --queue, jobs and results are signed with a secret shared with the workers (--secret-file FILE or env ${SECRET_ENV}) and the Redis password comes from the URL, --queue-password-file FILE or env ${PASSWORD_ENV}. ` +
        'SIGINT/SIGTERM: stop within seconds (unfinished runs rerun next time)',
    )
    .argument('<grid>', 'grid file (JSON): name, solvers, seeds, problems, as the bench grids; every key is described in docs/sweeps.md ("The grid file"), e.g. examples/grids/logreg-small.json')
    .option('--out <dir>', "sweep folder: new, or an earlier sweep's to resume [sweep-results/<grid file name>-<hash of the grid>]")
    .option('--workers <n>', "worker processes of the embedded pool [the machine's cores]", positiveInt)
    .option('--max-runs <n>', 'refuse a grid that expands to more runs (counted before anything is expanded)', positiveInt, SWEEP_MAX_RUNS)
    .option('--queue <url>', 'run on a BullMQ queue at redis://HOST:PORT[/DB], served by `bilevel worker --queue` on any machines')
    .option('--queue-password-file <file>', `with --queue: file holding the Redis password (mode 600) [env ${PASSWORD_ENV}]`)
    .option('--secret-file <file>', `with --queue: file holding the secret shared with the workers (mode 600, ≥ 32 characters) [env ${SECRET_ENV}]`)
    .option('--queue-name <name>', 'queue name', DEFAULT_QUEUE_NAME)
    .option('--queue-timeout <s>', 'with --queue: give up (exit 5, stored runs reported) when Redis does not answer for this long', positiveInt, DEFAULT_QUEUE_TIMEOUT_SECONDS)
    .option('--attempts <n>', 'with --queue: starts of a run (after worker deaths) before it is recorded as failed', positiveInt, DEFAULT_ATTEMPTS)
    .option('--status', "with --queue: show the state of the grid's runs in the queue and exit", false)
    .option('--json', 'print the counts and the aggregate as JSON on the last stdout line', false)
    .option('--dashboard', 'serve a live page of the grid on 127.0.0.1 (its address, with a one-time token, on stderr): the runs as a table (queued, running, done, failed), each run\'s curve on click; Stop (as Ctrl-C) from the page', false)
    .option('--dashboard-linger <s>', 'with --dashboard: serve the page at most s seconds after the sweep [until the page is closed]', nonNegativeNumber)
    .action(async (grid: string, o: SweepCliOptions) => {
      const { sweepAction } = await import('./sweep/sweep-action');
      code = await sweepAction(grid, o, { stdout, stderr, tty, signals: io.signals ?? true });
    });

  addWorkerOptions(program.command('worker').description(WORKER_DESCRIPTION)).action(async (o: WorkerCliOptions) => {
    code = await runWorkerCli(o, { stderr, tty, signals: io.signals ?? true });
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
    // a failed write is reported by the commands that write, which have loaded the telemetry library by then
    const { WriteError } = await import('@bilevel/telemetry');
    if (err instanceof WriteError) {
      stderr.write(`bilevel: error: ${err.message}\n`);
      return EXIT.writeFailed;
    }
    stderr.write(`bilevel: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.internal;
  }
}
