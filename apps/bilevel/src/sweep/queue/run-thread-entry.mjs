// Entry of a run thread (see run-thread.ts): worker threads do not inherit the tsx loader that bin/bilevel.mjs
// registers through its API, so in a checkout register it here, then load the TypeScript body; in an installed
// package (this file copied to dist/) the compiled body beside it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('./run-thread-body.ts', import.meta.url);
if (existsSync(source)) {
  // tsx maps the @bilevel/* imports to the sources through the root tsconfig.json's `paths`, named through the
  // environment so that it holds in any working directory and in the threads and processes started from here
  process.env.TSX_TSCONFIG_PATH ??= fileURLToPath(new URL('../../../../../tsconfig.json', import.meta.url));
  const { register } = await import('tsx/esm/api');
  register();
}
await import(existsSync(source) ? source.href : './run-thread-body.js');
