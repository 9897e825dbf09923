import { parentPort } from 'node:worker_threads';
import { executeRun } from '../../bench/execute-run';
import type { RunSpec } from '../../bench/expand-grid';
import { ProblemCache } from '../../bench/problem-cache';
import { buildFailure } from './build-failure';
import type { RunThreadOutcome, RunThreadReply, RunThreadRequest } from './run-thread';

// The body of a run thread: executes the runs it is sent, one at a time, with one problem cache for its lifetime.
// The problem is built first, apart: a failure there may quote the data files, so its result carries a message
// without it (buildFailure) and the full text travels beside, for the worker's own log.
const cache = new ProblemCache();
const port = parentPort;
if (!port) throw new Error('run-thread-body: expected to run in a worker thread');

async function serve(spec: RunSpec): Promise<RunThreadOutcome> {
  try {
    cache.get(spec);
  } catch (err) {
    return buildFailure(spec, err);
  }
  return { result: await executeRun(spec, { cache }) };
}

port.on('message', (request: RunThreadRequest) => {
  void serve(request.spec).then((reply) => port.postMessage({ id: request.id, ...reply } satisfies RunThreadReply));
});
port.postMessage({ ready: true } satisfies RunThreadReply);
