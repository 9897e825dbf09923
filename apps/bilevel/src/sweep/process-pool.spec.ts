import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../bench/execute-run';
import { syntheticRun } from '../bench/synthetic-run';
import { ProcessPool } from './process-pool';
import { runKey } from './run-key';
import type { SweepJob } from './sweep-types';

/**
 * Stand-in children in plain JavaScript (no tsx, no solver: they start in milliseconds): `echo` answers each run
 * with a finished result after `ms` milliseconds, exits with code 3 on the run whose seed is 13, on seed 7
 * writes to stderr and kills itself, and never answers seed 99 (a run of hours).
 */
function childFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'pool-child-')), 'child.mjs');
  writeFileSync(
    file,
    `process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  if (m.spec.seed === 99) return;
  if (m.spec.seed === 13) process.exit(3);
  if (m.spec.seed === 7) { process.stderr.write('about to fail\\n'); setTimeout(() => process.kill(process.pid, 'SIGKILL'), 20); return; }
  setTimeout(() => process.send({ type: 'result', key: m.key, result: { id: m.spec.id, spec: m.spec, status: 'finished', pid: process.pid, value: NaN, points: [] } }), 20);
});
`,
  );
  return file;
}

const jobs = (seeds: readonly number[]): SweepJob[] =>
  seeds.map((seed) => {
    const spec = syntheticRun('p', 'saba', seed, []).spec;
    return { key: runKey(spec), spec };
  });

test('ProcessPool: options are validated with the field, the value and the range', () => {
  assert.throws(() => new ProcessPool({ workers: 0 }), /ProcessPool: options.workers is 0; expected an integer from 1 to 256/);
  assert.throws(() => new ProcessPool({ workers: 1.5 }), /options.workers is 1.5/);
  assert.match(new ProcessPool({ workers: 1 }).description, /^pool \(1 process\)$/);
  assert.ok(new ProcessPool().workers >= 1, 'default: the machine\'s cores');
});

test('ProcessPool: every job gets one result, one run at a time per child, structured clone keeps NaN', async () => {
  const pool = new ProcessPool({ workers: 3, entry: childFile() });
  const results = new Map<string, RunResult & { pid?: number; value?: number }>();
  const busy = new Map<string, number>();
  let overlap = false;
  try {
    await pool.execute(jobs([0, 1, 2, 3, 4, 5, 6, 8, 9, 10]), {
      onStart: (job, worker) => {
        if ((busy.get(worker) ?? 0) > 0) overlap = true;
        busy.set(worker, 1);
        results.set(job.spec.id, undefined as never);
      },
      onResult: (job, result) => {
        assert.equal(results.get(job.spec.id), undefined, `one result for ${job.spec.id}`);
        results.set(job.spec.id, result);
        for (const [w] of busy) if (pool.pidOf(w) === (result as { pid?: number }).pid) busy.set(w, 0);
      },
    });
  } finally {
    await pool.close();
  }
  assert.equal(results.size, 10);
  assert.equal(overlap, false, 'a child never holds two runs');
  const pids = new Set([...results.values()].map((r) => r.pid));
  assert.equal(pids.size, 3, 'three children shared the work');
  assert.ok([...results.values()].every((r) => r.status === 'finished' && Number.isNaN(r.value)));
  await assert.rejects(pool.execute(jobs([1]), { onResult: () => undefined }), /ProcessPool.execute: the pool is closed/);
  await pool.close(); // idempotent
});

test('ProcessPool: a child that exits or is killed mid-run → an error result with the code or signal and its stderr; it is replaced', async () => {
  const pool = new ProcessPool({ workers: 2, entry: childFile() });
  const results = new Map<number, RunResult>();
  try {
    await pool.execute(jobs([13, 7, 1, 2, 3]), { onResult: (job, r) => results.set(job.spec.seed, r) });
  } finally {
    await pool.close();
  }
  assert.equal(results.size, 5);
  assert.equal(results.get(13)!.status, 'error');
  assert.match(results.get(13)!.error!.message, /worker process pool-\d \(pid \d+\) ended during the run with exit code 3$/);
  assert.equal(results.get(7)!.error!.name, 'WorkerExitError');
  assert.match(results.get(7)!.error!.message, /with signal SIGKILL; its stderr ended with: about to fail/);
  for (const seed of [1, 2, 3]) assert.equal(results.get(seed)!.status, 'finished', 'the replacements took the remaining runs');
});

test('ProcessPool: an aborted signal starts no new run and ends the running one at once, without a result (it reruns next time)', { timeout: 30_000 }, async () => {
  // Arrange: the first run would take hours
  const pool = new ProcessPool({ workers: 1, entry: childFile() });
  const controller = new AbortController();
  const ended: number[] = [];
  let pid: number | undefined;
  let stopSeconds = 0;
  try {
    // Act
    let t0 = 0;
    await pool.execute(jobs([99, 1, 2, 3]), {
      signal: controller.signal,
      onStart: (_, worker) => {
        pid = pool.pidOf(worker);
        t0 = performance.now();
        controller.abort();
      },
      onResult: (job) => ended.push(job.spec.seed),
    });
    stopSeconds = (performance.now() - t0) / 1000;
  } finally {
    await pool.close();
  }
  // Assert
  assert.deepEqual(ended, [], 'no result: neither the ended run nor any other');
  assert.ok(pid !== undefined);
  assert.throws(() => process.kill(pid!, 0), /ESRCH/, 'the child is gone');
  assert.ok(stopSeconds < 5, `stopped ${stopSeconds.toFixed(2)} s after the abort`);
});
