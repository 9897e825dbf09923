// Our threads driver as a peer process (toolkit-child.ts --driver threads, worker threads rebuilding the task
// through rebuild-peer.ts): it runs, says how many threads it used, and its checkpoints are the loop driver's bit
// for bit, on the bundled Fashion-MNIST subset (a few seconds per process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointMismatch } from './checkpoint-mismatch';
import { cleaningProblem } from './peer-problem';
import { runPeer } from './run-peer';

/** A safety net only: each child takes a few seconds; spawnSync kills it (SIGKILL) past this. */
const CHILD_TIMEOUT_S = 300;

test('the threads driver (2 threads) gives the loop driver\'s checkpoints to the bit on the bundled subset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bilevel-peer-spec-'));
  try {
    const problem = cleaningProblem(undefined);
    const common = { data: dir, task: { name: 'datacleaning' as const, dir: undefined, warmupIter: 20 }, seed: 3, maxIter: 60, every: 20, dimX: problem.dimX, dimZ: problem.dimZ, timeoutSeconds: CHILD_TIMEOUT_S };

    const loop = runPeer('loop', common);
    const threads = runPeer('threads', { ...common, threads: 2 });

    assert.equal(threads.versions.threads, '2');
    assert.deepEqual(threads.checkpoints.map((c) => c.iter), [0, 20, 40, 60]);
    assert.equal(checkpointMismatch(loop.checkpoints, threads.checkpoints), null);
    assert.ok(threads.checkpoints[3].z.some((v) => v !== 0), 'the run moved z');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the threads driver refuses a thread count other than 2 or 3', () => {
  assert.throws(() => runPeer('threads', { data: tmpdir(), task: { name: 'datacleaning', dir: undefined, warmupIter: 0 }, seed: 0, maxIter: 1, every: 1, dimX: 1, dimZ: 1, threads: 4 }), /runPeer: the threads driver runs on 2 or 3 threads, received threads 4/);
});
