import { parentPort } from 'node:worker_threads';
import { executeRun } from '../../bench/execute-run';
import { ProblemCache } from '../../bench/problem-cache';
import type { RunThreadReply, RunThreadRequest } from './run-thread';

// The body of a run thread: executes the runs it is sent, one at a time, with one problem cache for its lifetime.
const cache = new ProblemCache();
const port = parentPort;
if (!port) throw new Error('run-thread-body: expected to run in a worker thread');
port.on('message', (request: RunThreadRequest) => {
  void executeRun(request.spec, { cache }).then((result) => port.postMessage({ id: request.id, result } satisfies RunThreadReply));
});
port.postMessage({ ready: true } satisfies RunThreadReply);
