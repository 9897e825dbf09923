// A stand-alone `bilevel worker` (the same options, see worker-cli.ts), lighter to start than the whole program:
//   node --import tsx apps/bilevel/src/sweep/queue/worker-entry.ts --queue redis://127.0.0.1:6379 --secret-file F
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { InputError } from '@bilevel/io';
import { EXIT } from '../../exit-codes';
import type { WorkerCliOptions } from './worker-cli';
import { addWorkerOptions, runWorkerCli, WORKER_DESCRIPTION } from './worker-cli';

/** Parses the `bilevel worker` options and runs the worker; resolves with the exit code. */
export async function workerEntry(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = addWorkerOptions(new Command('bilevel-worker').description(WORKER_DESCRIPTION).exitOverride()).action(async (o: WorkerCliOptions) => {
    code = await runWorkerCli(o);
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
