// A stand-alone `bilevel worker` (the same options), for the queue tests until main.ts has the command:
//   node --import tsx apps/bilevel/src/sweep/queue/worker-entry.ts --queue redis://127.0.0.1:6379 [--queue-name N]
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { InputError } from '@bilevel/problems';
import { EXIT } from '../../exit-codes';
import { positiveInt } from '../../parse-values';
import { DEFAULT_ATTEMPTS, DEFAULT_QUEUE_NAME } from './queue-protocol';
import { DEFAULT_LOCK_MS, DEFAULT_STALLED_MS, workerCommand } from './queue-worker';

/** Parses the `bilevel worker` options and runs {@link workerCommand}; resolves with the exit code. */
export async function workerEntry(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command('bilevel-worker')
    .description('Take runs of `bilevel sweep --queue` from Redis and execute them (one run at a time by default).')
    .exitOverride()
    .requiredOption('--queue <url>', 'redis://HOST:PORT[/DB] of the sweep')
    .option('--queue-name <name>', 'queue to serve', DEFAULT_QUEUE_NAME)
    .option('--name <worker>', 'this worker\'s name in logs [host:pid]')
    .option('--concurrency <n>', 'runs at once in this process', positiveInt, 1)
    .option('--attempts <n>', 'starts of a run before it is recorded as failed (the sweep\'s value)', positiveInt, DEFAULT_ATTEMPTS)
    .addOption(new Option('--lock-ms <ms>', 'lock of a taken run; a dead worker\'s run is taken again after it').argParser(positiveInt).default(DEFAULT_LOCK_MS))
    .addOption(new Option('--stalled-ms <ms>', 'period of the check for runs of dead workers').argParser(positiveInt).default(DEFAULT_STALLED_MS))
    .option('--json', 'JSON log lines', false)
    .option('--log-level <level>', 'fatal | error | warn | info | debug', 'info')
    .action(async (o: { queue: string; queueName: string; name?: string; concurrency: number; attempts: number; lockMs: number; stalledMs: number; json: boolean; logLevel: string }) => {
      code = await workerCommand({
        queue: o.queue,
        name: o.queueName,
        ...(o.name !== undefined ? { workerName: o.name } : {}),
        concurrency: o.concurrency,
        attempts: o.attempts,
        lockMs: o.lockMs,
        stalledMs: o.stalledMs,
        json: o.json,
        logLevel: o.logLevel,
      });
    });
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    if (err instanceof InputError || err instanceof RangeError) {
      process.stderr.write(`bilevel worker: error: ${(err as Error).message}\n`);
      return EXIT.badInput;
    }
    process.stderr.write(`bilevel worker: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.internal;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await workerEntry(process.argv.slice(2));
}
