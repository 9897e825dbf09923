import type { Command } from 'commander';
import { Option } from 'commander';
import { LOG_LEVEL_NAMES, WORKER_MAX_RUN_ITER } from '../../cli-catalog';
import { positiveInt } from '../../parse-values';
import { DEFAULT_ATTEMPTS, DEFAULT_LOCK_MS, DEFAULT_MAX_RUN_SECONDS, DEFAULT_QUEUE_NAME, DEFAULT_STALLED_MS } from './queue-protocol';
import { readQueueSecret, SECRET_ENV } from './queue-secret';
import type { QueueWorkerIo } from './queue-worker';
import { PASSWORD_ENV } from './redis-url';

/** The options of `bilevel worker` as commander parses them. */
export interface WorkerCliOptions {
  readonly queue: string;
  readonly queuePasswordFile?: string;
  readonly secretFile?: string;
  readonly queueName: string;
  readonly name?: string;
  readonly dataRoot: readonly string[];
  readonly maxRunSeconds: number;
  readonly maxRunIter: number;
  readonly concurrency: number;
  readonly attempts: number;
  readonly lockMs: number;
  readonly stalledMs: number;
  readonly json: boolean;
  readonly logLevel: string;
}

/** One line of the `bilevel worker` help: where the secrets come from. */
export const WORKER_DESCRIPTION =
  'Take runs of `bilevel sweep --queue` from Redis and execute them (the code path of `bilevel run`). ' +
  `Jobs must be signed with the secret shared with the sweep (--secret-file FILE or env ${SECRET_ENV}); ` +
  `the Redis password comes from the URL, --queue-password-file FILE or env ${PASSWORD_ENV} (neither shows in ps). ` +
  'Runs read data only under --data-root folders (and the bundled data). SIGINT/SIGTERM: the current run goes back to the queue, then exit';

/**
 * The options of `bilevel worker` (and of the stand-alone worker-entry.ts), added to `command`: one definition for
 * both.
 */
export function addWorkerOptions(command: Command): Command {
  return command
    .requiredOption('--queue <url>', 'redis://HOST:PORT[/DB] of the sweep (keep the password out of it: see --queue-password-file)')
    .option('--queue-password-file <file>', `file holding the Redis password (mode 600) [env ${PASSWORD_ENV}]`)
    .option('--secret-file <file>', `file holding the secret shared with the sweep (mode 600, ≥ 32 characters) [env ${SECRET_ENV}]`)
    .option('--queue-name <name>', 'queue to serve', DEFAULT_QUEUE_NAME)
    .option('--name <worker>', "this worker's name in logs [host:pid]")
    .option('--data-root <dir>', 'a folder runs may read data from (repeatable); the bundled data is always allowed', (v: string, all: string[]) => [...all, v], [] as string[])
    .addOption(new Option('--max-run-seconds <s>', 'wall time of one run; a run asking for more solver time is refused').argParser(positiveInt).default(DEFAULT_MAX_RUN_SECONDS))
    .addOption(new Option('--max-run-iter <n>', 'largest maxIter of a run; more is refused').argParser(positiveInt).default(WORKER_MAX_RUN_ITER))
    .option('--concurrency <n>', 'runs at once in this process (one thread each)', positiveInt, 1)
    .option('--attempts <n>', 'starts of a run before it is recorded as failed (give the sweep the same)', positiveInt, DEFAULT_ATTEMPTS)
    .addOption(new Option('--lock-ms <ms>', "lock of a taken run; a dead worker's run is taken again after it").argParser(positiveInt).default(DEFAULT_LOCK_MS))
    .addOption(new Option('--stalled-ms <ms>', 'period of the check for runs of dead workers').argParser(positiveInt).default(DEFAULT_STALLED_MS))
    .option('--json', 'JSON log lines', false)
    .addOption(new Option('--log-level <level>', 'least severe log level written').choices(LOG_LEVEL_NAMES).default('info'));
}

/**
 * Runs `workerCommand` with parsed options: the secret read from its file or the environment first. The worker (and
 * BullMQ with it) is imported here, so that `bilevel --help` does not load the queue client.
 */
export async function runWorkerCli(o: WorkerCliOptions, io: QueueWorkerIo = {}): Promise<number> {
  const secret = readQueueSecret(o.secretFile !== undefined ? { secretFile: o.secretFile } : {});
  const { workerCommand } = await import('./queue-worker');
  return workerCommand(
    {
      queue: o.queue,
      ...(o.queuePasswordFile !== undefined ? { passwordFile: o.queuePasswordFile } : {}),
      secret,
      name: o.queueName,
      ...(o.name !== undefined ? { workerName: o.name } : {}),
      dataRoots: o.dataRoot,
      maxRunSeconds: o.maxRunSeconds,
      maxRunIter: o.maxRunIter,
      concurrency: o.concurrency,
      attempts: o.attempts,
      lockMs: o.lockMs,
      stalledMs: o.stalledMs,
      json: o.json,
      logLevel: o.logLevel,
    },
    io,
  );
}
