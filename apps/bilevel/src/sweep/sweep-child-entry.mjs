// Entry of a sweep pool's child process (forked by process-pool.ts): registers tsx so the TypeScript sources run
// without a build step, as bin/bilevel.mjs does, then serves runs over IPC until the parent disconnects.
// The pool forks children in their own process group, so a Ctrl-C in the terminal reaches the parent only; a
// SIGINT sent to the child directly is ignored too: the parent decides (no new runs, running ones finish; a second
// Ctrl-C ends the parent, and this child exits when its IPC channel closes).
process.on('SIGINT', () => undefined);
const { register } = await import('tsx/esm/api');
register();
const { serveSweepRuns } = await import('./sweep-child.ts');
serveSweepRuns();
