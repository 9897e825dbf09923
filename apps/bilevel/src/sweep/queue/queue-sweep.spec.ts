import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { RunResult } from '../../bench/execute-run';
import { executeRun } from '../../bench/execute-run';
import type { RunSpec } from '../../bench/expand-grid';
import { expandGrid } from '../../bench/expand-grid';
import { ProblemCache } from '../../bench/problem-cache';
import type { SweepJob } from '../sweep-types';
import { runKey } from '../run-key';
import { runSweep } from '../sweep-engine';
import { QueueExecutor, QUEUE_FAILURE } from './queue-executor';
import type { QueueStatus } from './queue-status';
import { formatQueueStatus, queueStatus, queueStatusCommand } from './queue-status';
import { secretFile, WorkerProcess } from './queue-test-support';
import { withRedis } from './with-redis';

/** The sweep polls job states twice a second (default 2 s) on top of the events. */
const POLL_MS = 500;

/** A grid of small quadratic runs bounded by iterations, so their values are deterministic (seeded samplers, no clock). */
function quadraticGrid(seeds: number[], solvers: string[], maxIter: number) {
  return {
    name: 'queue-test',
    solvers,
    seeds,
    problems: [{ name: 'quadratic', batch: 16, maxIter, evalEvery: 50, evaluation: 'exact', metric: 'suboptimality', tolerances: [1e-2] }],
  };
}

function quadraticRuns(seeds: number[], solvers: string[], maxIter: number): RunSpec[] {
  return expandGrid(quadraticGrid(seeds, solvers, maxIter));
}

/** A run as the sweep hands it to its executor: keyed by its content address. */
function jobOf(spec: RunSpec): SweepJob {
  return { key: runKey(spec), spec };
}

/**
 * What must be identical between a run in this process and the same run in a worker: everything but timings. The
 * same code on the same machine with the same seed performs the same float operations, so equality is exact
 * (tolerance 0); JSON round trip first, as the worker's result crossed Redis as JSON.
 */
function deterministicPart(r: RunResult) {
  const j = JSON.parse(JSON.stringify(r)) as RunResult;
  return {
    id: j.id,
    status: j.status,
    stopReason: j.stopReason,
    hStar: j.hStar,
    iterations: j.iterations,
    oracleCalls: j.oracleCalls,
    points: j.points.map((p) => ({ iteration: p.iteration, value: p.value, metric: p.metric, suboptimality: p.suboptimality, oracleCalls: p.oracleCalls, samples: p.samples })),
  };
}

test('a sweep through Redis with 3 worker processes', { timeout: 85_000 }, (t: TestContext) =>
  withRedis(t, async (url, redis) => {
    const dir = mkdtempSync(join(tmpdir(), 'bilevel-queue-'));
    const { secret } = secretFile(dir);
    const env = { ...redis.env, BILEVEL_QUEUE_SECRET: secret.toString() };
    const workers = [new WorkerProcess(url, env), new WorkerProcess(url, env), new WorkerProcess(url, env)];
    const executor = await QueueExecutor.open({ queue: url, env: redis.env, secret, pollMs: POLL_MS });
    const cache = new ProblemCache();
    const finished = (key: string) => workers.reduce((n, w) => n + w.count('run finished', key), 0);
    try {
      // in-process references while the workers start
      const specs = quadraticRuns([0, 1, 2, 3, 4, 5, 6, 7], ['saba', 'soba', 'srba'], 200);
      const t0 = performance.now();
      const expected = new Map<string, RunResult>();
      for (const spec of specs) expected.set(spec.id, await executeRun(spec, { cache }));
      const inProcessSeconds = (performance.now() - t0) / 1000;
      await Promise.all(workers.map((w) => w.ready));

      await t.test('24 runs give the same results as executeRun in one process, each run executed once', async () => {
        // Arrange
        const jobs = specs.map(jobOf);
        const results = new Map<string, RunResult[]>();
        // Act
        const t1 = performance.now();
        await executor.execute(jobs, { onResult: (job, result) => results.set(job.key, [...(results.get(job.key) ?? []), result]) });
        const queueSeconds = (performance.now() - t1) / 1000;
        // Assert
        assert.equal(results.size, 24);
        for (const job of jobs) {
          const got = results.get(job.key)!;
          assert.equal(got.length, 1, `one onResult for ${job.spec.id}`);
          assert.deepEqual(deterministicPart(got[0]), deterministicPart(expected.get(job.spec.id)!), job.spec.id);
          assert.equal(finished(job.key), 1, `${job.spec.id} executed once`);
        }
        const busy = workers.filter((w) => w.lines.some((l) => l.msg === 'run finished'));
        assert.ok(busy.length >= 2, `runs spread over the workers (${busy.length} of 3 worked)`);
        t.diagnostic(`24 runs: ${(24 / queueSeconds).toFixed(2)} runs/s through Redis with 3 workers, ${(24 / inProcessSeconds).toFixed(2)} runs/s in one process`);

        // a second sweep of the same runs takes the stored results: nothing runs again
        const again: RunResult[] = [];
        await executor.execute(jobs, { onResult: (_, r) => again.push(r) });
        assert.equal(again.length, 24);
        for (const job of jobs) assert.equal(finished(job.key), 1, `${job.spec.id} not re-run`);
      });

      await t.test('runSweep on the queue: the sweep folder gets those results, taken from the queue without running again', async () => {
        const out = mkdtempSync(join(tmpdir(), 'bilevel-queue-sweep-'));
        try {
          const outcome = await runSweep(quadraticGrid([0, 1, 2, 3, 4, 5, 6, 7], ['saba', 'soba', 'srba'], 200), { out: join(out, 'sweep'), executor });
          assert.equal(outcome.total, 24);
          assert.equal(outcome.ran, 24);
          assert.equal(outcome.failed, 0);
          assert.equal(outcome.report.results.length, 24);
          for (const r of outcome.report.results) assert.deepEqual(deterministicPart(r), deterministicPart(expected.get(r.id)!), r.id);
          for (const spec of specs) assert.equal(finished(runKey(spec)), 1, `${spec.id} not re-run`);
        } finally {
          rmSync(out, { recursive: true, force: true });
        }
      });

      await t.test('kill -9 of a worker mid-run: another worker runs it again and it completes once', async () => {
        // Arrange: runs of a few seconds, so the kill lands mid-run
        const jobs = quadraticRuns([100, 101, 102], ['saba'], 6000).map(jobOf);
        const starts: { key: string; worker: string }[] = [];
        let killed: { key: string; worker: WorkerProcess } | undefined;
        const results = new Map<string, RunResult>();
        // Act
        await executor.execute(jobs, {
          onStart: (job, worker) => {
            starts.push({ key: job.key, worker });
            if (killed) return;
            const victim = workers.find((w) => w.is(worker))!;
            killed = { key: job.key, worker: victim };
            victim.proc.kill('SIGKILL');
          },
          onResult: (job, result) => {
            assert.ok(!results.has(job.key), 'one onResult per run');
            results.set(job.key, result);
          },
        });
        // Assert
        assert.ok(killed, 'a worker was killed');
        assert.equal(await killed.worker.exited, null, 'killed by a signal');
        assert.equal(results.size, 3);
        for (const job of jobs) assert.equal(results.get(job.key)!.status, 'finished', results.get(job.key)!.error?.message);
        const runStarts = starts.filter((s) => s.key === killed!.key);
        assert.equal(runStarts.length, 2, 'started by the killed worker, then once by another');
        assert.ok(killed.worker.is(runStarts[0].worker) && !killed.worker.is(runStarts[1].worker));
        assert.equal(killed.worker.count('run started', killed.key), 1);
        assert.equal(killed.worker.count('run finished', killed.key), 0, 'the kill landed mid-run');
        for (const job of jobs) assert.equal(finished(job.key), 1, `${job.spec.id} completed exactly once`);
        const spec = jobs.find((j) => j.key === killed!.key)!.spec;
        assert.deepEqual(deterministicPart(results.get(killed.key)!), deterministicPart(await executeRun(spec, { cache })), 'the retried run is the same run');

        const status = await queueStatus({ queue: url, env: redis.env }, jobs);
        const run = status.runs.find((r) => r.key === killed!.key)!;
        assert.equal(run.state, 'completed');
        assert.equal(run.starts, 2);
        assert.ok(run.worker && !killed.worker.is(run.worker));
        assert.deepEqual(status.sweepCounts.completed, 3);
      });

      await t.test('a run no worker can execute is an error result with the reason, shown by the status', async () => {
        // Arrange: a job whose data is not a run spec (as a foreign or corrupted producer would queue)
        const broken = { id: 'broken/run', problem: null } as unknown as RunSpec;
        const job: SweepJob = { key: 'broken-run-key', spec: broken };
        const results: RunResult[] = [];
        // Act
        await executor.execute([job], { onResult: (_, r) => results.push(r) });
        // Assert
        assert.equal(results.length, 1);
        assert.equal(results[0].status, 'error');
        assert.equal(results[0].error?.name, QUEUE_FAILURE);
        assert.match(results[0].error!.message, /refused by worker .*: job broken-run-key: the run spec is invalid .*problem: expected an object/);
        const status = await queueStatus({ queue: url, env: redis.env }, [job]);
        assert.equal(status.runs[0].state, 'failed');
        assert.match(formatQueueStatus(status), /broken\/run\s+failed[\s\S]*the run spec is invalid/);
        let printed = '';
        const stdout = new Writable({ write: (chunk, _, done) => ((printed += chunk.toString()), done()) });
        assert.equal(await queueStatusCommand({ queue: url, env: redis.env, json: true }, [job], { stdout }), 0);
        const parsed = JSON.parse(printed) as QueueStatus;
        assert.deepEqual(parsed.runs.map((r) => [r.id, r.state]), [['broken/run', 'failed']]);
        assert.equal(parsed.sweepCounts.failed, 1);
      });

      await t.test('an aborted sweep takes its runs that no worker started off the queue and resolves', async () => {
        const jobs = quadraticRuns([300, 301, 302, 303, 304, 305], ['saba'], 3000).map(jobOf);
        const controller = new AbortController();
        const t0 = performance.now();
        await executor.execute(jobs, { onStart: () => controller.abort(), onResult: () => undefined, signal: controller.signal });
        const seconds = (performance.now() - t0) / 1000;
        const status = await queueStatus({ queue: url, env: redis.env }, jobs);
        const states = status.runs.map((r) => r.state);
        assert.ok(states.every((s) => s === 'unknown' || s === 'active' || s === 'completed'), `no run left waiting: ${states.join(', ')}`);
        assert.ok(status.sweepCounts.unknown >= 3, `withdrawn: ${states.join(', ')} (${seconds.toFixed(1)} s)`);
      });

      await t.test('SIGTERM: a worker hands its run back to the queue at once and exits 0; another worker runs it', async () => {
        // Arrange: a run of several seconds, so the signal lands mid-run
        const jobs = quadraticRuns([200], ['saba'], 6000).map(jobOf);
        const starts: string[] = [];
        let stopped: WorkerProcess | undefined;
        let signalled = 0;
        let exitedAfter = 0;
        const results: RunResult[] = [];
        // Act
        await executor.execute(jobs, {
          onStart: (_, worker) => {
            starts.push(worker);
            if (stopped) return;
            stopped = workers.find((w) => w.is(worker) && w.proc.exitCode === null);
            signalled = performance.now();
            void stopped?.exited.then(() => (exitedAfter = (performance.now() - signalled) / 1000));
            stopped?.proc.kill('SIGTERM');
          },
          onResult: (_, r) => results.push(r),
        });
        // Assert
        assert.ok(stopped);
        assert.equal(await stopped.exited, 0);
        assert.equal(stopped.count('run handed back to the queue', jobs[0].key), 1);
        assert.equal(stopped.count('run finished', jobs[0].key), 0, 'the stopped worker did not finish it');
        assert.equal(starts.length, 2, `taken again by another worker at once, not after a lock expiry: ${starts.join(', ')}`);
        assert.ok(!stopped.is(starts[1]));
        assert.equal(results.length, 1);
        assert.equal(results[0].status, 'finished', results[0].error?.message);
        assert.ok(stopped.lines.some((l) => l.msg === 'worker stopped'));
        assert.ok(exitedAfter < 5, `exited ${exitedAfter.toFixed(2)} s after SIGTERM`);
        t.diagnostic(`a worker exits ${exitedAfter.toFixed(2)} s after its first SIGTERM, its run handed back`);
      });
    } finally {
      await executor.close();
      await Promise.all(workers.map((w) => w.kill()));
      rmSync(dir, { recursive: true, force: true });
    }
  }),
);
