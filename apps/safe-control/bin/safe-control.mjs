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
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
