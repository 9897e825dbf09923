#!/usr/bin/env node
// Entry point of `npx bilevel`. An installed package runs its compiled JavaScript (dist/, built by `npm run build`
// before packing: no TypeScript compiler at start-up); a checkout of the repository, where src/ is present, runs the
// TypeScript sources through tsx, so that a change needs no build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// a reader that went away (`| head`) ends the output, not the program with a stack trace; the files are written anyway
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}
const source = new URL('../src/main.ts', import.meta.url);
let main;
if (existsSync(source)) {
  // tsx maps the @bilevel/* imports to the sources through the root tsconfig.json's `paths`, named through the
  // environment so that it holds in any working directory and in the threads and processes started from here
  process.env.TSX_TSCONFIG_PATH ??= fileURLToPath(new URL('../../../tsconfig.json', import.meta.url));
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import('../dist/main.js'));
}
process.exitCode = await main(process.argv.slice(2));
