// Entry of a sweep pool's child process (forked by process-pool.ts): in a checkout, registers tsx so the TypeScript
// sources run without a build step, as bin/bilevel.mjs does; in an installed package (this file copied to dist/) the
// compiled module beside it. Then serves runs over IPC until the parent disconnects.
// The pool forks children in their own process group, so a Ctrl-C in the terminal reaches the parent only; a
// SIGINT sent to the child directly is ignored too: the parent decides (no new runs, running ones finish; a second
// Ctrl-C ends the parent, and this child exits when its IPC channel closes).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

process.on('SIGINT', () => undefined);
const source = new URL('./sweep-child.ts', import.meta.url);
if (existsSync(source)) {
  // tsx maps the @bilevel/* imports to the sources through the root tsconfig.json's `paths`, named through the
  // environment so that it holds in any working directory and in the threads and processes started from here
  process.env.TSX_TSCONFIG_PATH ??= fileURLToPath(new URL('../../../../tsconfig.json', import.meta.url));
  const { register } = await import('tsx/esm/api');
  register();
}
const { serveSweepRuns } = await import(existsSync(source) ? source.href : './sweep-child.js');
serveSweepRuns();
