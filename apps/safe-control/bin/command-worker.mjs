// Entry point of the thread that runs a `safe-control` command for runInWorker (src/run-in-worker.ts): the
// TypeScript sources through tsx, as in safe-control.mjs.
import { register } from 'tsx/esm/api';

register();
const { runCommandWorker } = await import('../src/command-worker.ts');
await runCommandWorker();
