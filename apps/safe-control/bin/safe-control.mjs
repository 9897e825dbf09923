#!/usr/bin/env node
// Entry point of `npx safe-control`: runs the TypeScript sources directly through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
// a reader that went away (`| head`) ends the output, not the program with a stack trace; the files are written anyway
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}
const argv = process.argv.slice(2);
if (argv[0] === 'train') {
  // a training runs in a worker thread so that Ctrl-C reaches the loops of a long step (see run-in-worker.ts)
  const { runInWorker } = await import('../src/run-in-worker.ts');
  process.exitCode = await runInWorker(argv);
} else {
  const { main } = await import('../src/main.ts');
  process.exitCode = await main(argv);
}
