// Entry of a run thread (see run-thread.ts): worker threads do not inherit the tsx loader that bin/bilevel.mjs
// registers through its API, so register it here, then load the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./run-thread-body.ts');
