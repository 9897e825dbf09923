// Entry point of the thread that runs a `safe-control` command for runInWorker (src/run-in-worker.ts): the
// TypeScript sources through tsx in a checkout, the compiled dist/ in an installed package, as in safe-control.mjs.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/command-worker.ts', import.meta.url);
if (existsSync(source)) {
  // tsx maps the @bilevel/* imports to the sources through the root tsconfig.json's `paths`, named through the
  // environment so that it holds in any working directory and in the threads and processes started from here
  process.env.TSX_TSCONFIG_PATH ??= fileURLToPath(new URL('../../../tsconfig.json', import.meta.url));
  const { register } = await import('tsx/esm/api');
  register();
}
const { runCommandWorker } = await import(existsSync(source) ? source.href : '../dist/command-worker.js');
await runCommandWorker();
