#!/usr/bin/env node
// Entry point of `npx safe-control`. An installed package runs its compiled JavaScript (dist/, built by `npm run
// build` before packing); a checkout of the repository, where src/ is present, runs the TypeScript sources through tsx
//.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// a reader that went away (`| head`) ends the output, not the program with a stack trace; the files are written anyway
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}
const fromSource = existsSync(new URL('../src/main.ts', import.meta.url));
if (fromSource) {
  // tsx maps the @bilevel/* imports to the sources through the root tsconfig.json's `paths`, named through the
  // environment so that it holds in any working directory and in the threads and processes started from here
  process.env.TSX_TSCONFIG_PATH ??= fileURLToPath(new URL('../../../tsconfig.json', import.meta.url));
  const { register } = await import('tsx/esm/api');
  register();
}
/** The module `name` (without extension) of src/ in a checkout, of dist/ in an installed package. */
const load = (name) => import(fromSource ? `../src/${name}.ts` : `../dist/${name}.js`);
const argv = process.argv.slice(2);
if (argv[0] === 'train') {
  // a training runs in a worker thread so that Ctrl-C reaches the loops of a long step (see run-in-worker.ts)
  const { runInWorker } = await load('run-in-worker');
  process.exitCode = await runInWorker(argv);
} else {
  const { main } = await load('main');
  process.exitCode = await main(argv);
}
