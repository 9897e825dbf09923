import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { createLogger } from '@bilevel/telemetry';
import { expandGrid } from '../../bench/expand-grid';
import type { GridInput } from '../../bench/grid-spec';
import { EXIT } from '../../exit-codes';
import { cli } from '../../in-process-cli';
import { runKey } from '../run-key';
import { QueueExecutor } from './queue-executor';
import { formatQueueStatus, queueStatus } from './queue-status';
import { secretFile, until, WorkerProcess } from './queue-test-support';
import type { TestRedis } from './with-redis';
import { launchRedis, withRedis } from './with-redis';

const BIN = fileURLToPath(new URL('../../../bin/bilevel.mjs', import.meta.url));

/** `n` quadratic SABA runs of `maxIter` steps (a few seconds each at 6,000). */
function grid(seeds: number, maxIter: number): GridInput {
  return {
    name: 'failures',
    solvers: ['saba'],
    seeds: Array.from({ length: seeds }, (_, i) => 1000 + i),
    problems: [{ name: 'quadratic', batch: 16, maxIter, evalEvery: 100, evaluation: 'exact', metric: 'suboptimality', tolerances: [1] }],
  };
}

/** A folder with the grid file, the secret file and the Redis password file (mode 600), for the command line. */
function files(input: GridInput, password: string) {
  const dir = mkdtempSync(join(tmpdir(), 'bilevel-queue-failures-'));
  const gridFile = join(dir, 'grid.json');
  writeFileSync(gridFile, JSON.stringify(input));
  const passwordFile = join(dir, 'redis-password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  const { path: secretPath, secret } = secretFile(dir);
  return { dir, gridFile, passwordFile, secretPath, secret, out: join(dir, 'out') };
}

const stored = (out: string) => (existsSync(join(out, 'runs')) ? readdirSync(join(out, 'runs')).filter((k) => existsSync(join(out, 'runs', k, 'result.json'))).length : 0);

test('Redis killed mid-sweep: the sweep says so, gives up after --queue-timeout with exit 5 and reports what was stored', { timeout: 120_000 }, (t: TestContext) =>
  withRedis(t, async (url, redis) => {
    // Arrange: one worker, six runs of a few seconds
    const f = files(grid(6, 6000), redis.password);
    const worker = new WorkerProcess(url, { ...redis.env, BILEVEL_QUEUE_SECRET: f.secret.toString() });
    try {
      await worker.ready;
      // Act: the sweep in this process; Redis dies once the first result is stored
      const sweep = cli(['sweep', f.gridFile, '--out', f.out, '--queue', url, '--queue-password-file', f.passwordFile, '--secret-file', f.secretPath, '--queue-timeout', '2']);
      await until(() => stored(f.out) >= 1, 'a first result stored');
      const killedAt = performance.now();
      process.kill(redis.pid, 'SIGKILL');
      const { code, stdout, stderr } = await sweep;
      const seconds = (performance.now() - killedAt) / 1000;
      // Assert
      assert.equal(code, EXIT.unavailable, stderr);
      assert.match(stderr, /lost the connection to Redis: waiting up to 2 s \(--queue-timeout\)/);
      assert.match(stderr, /bilevel sweep: error: Redis at redis:\/\/127\.0\.0\.1:\d+ did not answer for [\d.]+ s \(--queue-timeout 2 s; last error: .*\): gave up with \d+ result\(s\) collected/);
      const n = stored(f.out);
      assert.match(stderr, new RegExp(`stored ${n} runs? of this sweep in .*/runs: quadratic/saba/seed100\\d.*; ${6 - n} not run \\(pending: run the same command again to resume\\)`));
      assert.match(stdout, new RegExp(`6 runs: 0 skipped \\(complete\\), ${n} ran, 0 failed, ${6 - n} not run \\(the queue became unreachable\\)`));
      const report = JSON.parse(readFileSync(join(f.out, 'results.json'), 'utf8')) as { results: unknown[] };
      assert.equal(report.results.length, n, 'the report covers the stored runs');
      assert.ok(seconds < 2 + 15, `gave up ${seconds.toFixed(1)} s after the kill`);
      t.diagnostic(`Redis killed: the sweep exited (code 5) ${seconds.toFixed(2)} s later with --queue-timeout 2, ${n} of 6 runs stored`);
    } finally {
      await worker.kill();
      rmSync(f.dir, { recursive: true, force: true });
    }
  }),
);

/** The program as a user runs it, its stderr collected; resolves its exit with the time from `mark()` to the exit. */
function program(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let from = 0;
  const exited = new Promise<{ code: number | null; seconds: number }>((resolve) => child.once('exit', (code) => resolve({ code, seconds: (performance.now() - from) / 1000 })));
  return {
    child,
    exited,
    get stderr() {
      return stderr;
    },
    mark: () => (from = performance.now()),
  };
}

test("the sweep's first SIGINT stops it within seconds, with Redis up and with Redis gone", { timeout: 180_000 }, (t: TestContext) =>
  withRedis(t, async (url, redis) => {
    const f = files(grid(4, 200_000), redis.password);
    const env = { ...redis.env, BILEVEL_QUEUE_SECRET: f.secret.toString() };
    const worker = new WorkerProcess(url, env);
    const sweeps: ReturnType<typeof program>[] = [];
    try {
      await worker.ready;
      // Redis up: a worker holds a run of minutes
      const up = program(['sweep', f.gridFile, '--out', f.out, '--queue', url, '--queue-timeout', '600'], env);
      sweeps.push(up);
      await until(() => worker.lines.some((l) => l.msg === 'run started'), 'a run started', 120_000);
      up.mark();
      up.child.kill('SIGINT');
      const a = await up.exited;
      assert.equal(a.code, EXIT.interrupted, up.stderr);
      assert.match(up.stderr, /received SIGINT: stopping/);
      assert.ok(a.seconds < 10, `stopped ${a.seconds.toFixed(2)} s after SIGINT`);

      // Redis gone: the sweep waits for it (600 s allowed), then SIGINT
      const down = program(['sweep', f.gridFile, '--out', f.out, '--queue', url, '--queue-timeout', '600'], env);
      sweeps.push(down);
      const jobs = expandGrid(grid(4, 200_000)).map((spec) => ({ key: runKey(spec), spec }));
      await until(async () => (await queueStatus({ queue: url, env: redis.env }, jobs)).sweepCounts.waiting >= 1, 'the second sweep queued its runs', 120_000, 200);
      process.kill(redis.pid, 'SIGKILL');
      await until(() => down.stderr.includes('lost the connection to Redis'), 'the sweep reports the lost connection');
      down.mark();
      down.child.kill('SIGINT');
      const b = await down.exited;
      assert.equal(b.code, EXIT.interrupted, down.stderr);
      assert.ok(b.seconds < 10, `stopped ${b.seconds.toFixed(2)} s after SIGINT with Redis gone`);
      t.diagnostic(`first SIGINT → exit 130 in ${a.seconds.toFixed(2)} s (Redis up), ${b.seconds.toFixed(2)} s (Redis gone)`);
    } finally {
      for (const s of sweeps) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      await Promise.all(sweeps.map((s) => s.exited));
      await worker.kill();
      rmSync(f.dir, { recursive: true, force: true });
    }
  }),
);

test('--status marks a run whose worker stopped renewing its lock', { timeout: 120_000 }, (t: TestContext) =>
  withRedis(t, async (url, redis) => {
    // Arrange: one worker with a short lock, frozen (SIGSTOP) in the middle of a long run
    const f = files(grid(1, 200_000), redis.password);
    const worker = new WorkerProcess(url, { ...redis.env, BILEVEL_QUEUE_SECRET: f.secret.toString() }, ['--lock-ms', '1500', '--stalled-ms', '600000']);
    const executor = await QueueExecutor.open({ queue: url, env: redis.env, secret: f.secret, pollMs: 500 });
    const controller = new AbortController();
    const jobs = expandGrid(grid(1, 200_000)).map((spec) => ({ key: runKey(spec), spec }));
    try {
      await worker.ready;
      const sweep = executor.execute(jobs, { onResult: () => undefined, signal: controller.signal });
      await until(() => worker.lines.some((l) => l.msg === 'run started'), 'the run started');
      const before = await queueStatus({ queue: url, env: redis.env }, jobs);
      assert.equal(before.runs[0].state, 'active');
      assert.equal(before.runs[0].lockExpired, undefined, 'a live worker renews its lock');
      // Act
      worker.proc.kill('SIGSTOP');
      let status = before;
      await until(async () => (status = await queueStatus({ queue: url, env: redis.env }, jobs)).lockExpired === 1, 'the lock expired', 60_000, 200);
      // Assert
      assert.equal(status.runs[0].state, 'active');
      assert.equal(status.runs[0].lockExpired, true);
      const text = formatQueueStatus(status);
      assert.match(text, /1 active run\(s\) whose worker stopped renewing its lock/);
      assert.match(text, /quadratic\/saba\/seed1000\s+active \(lock expired: worker silent\)/);
      controller.abort();
      await sweep;
    } finally {
      await worker.kill();
      await executor.close();
      rmSync(f.dir, { recursive: true, force: true });
    }
  }),
);

test('Redis restarted without its data mid-sweep: the runs it lost are reported by id and run again; the sweep completes', { timeout: 180_000 }, async (t: TestContext) => {
  // Arrange: a Redis of our own (so it can come back on the same port with the same password), one worker
  const password = randomBytes(24).toString('base64url');
  const launcherEnv = { ...process.env, BILEVEL_REDIS_PASSWORD: password };
  const first = await launchRedis(launcherEnv);
  if ('missing' in first) {
    if (process.env.BILEVEL_REQUIRE_REDIS === '1') throw new Error(`redis-server is required (BILEVEL_REQUIRE_REDIS=1) but missing: ${first.missing}`);
    return t.skip(`redis-server is not installed: ${first.missing}`);
  }
  const redis = first;
  let second: TestRedis | undefined;
  // the restart runs beside the sweep; the test ends only after it (a loaded machine may finish the sweep first)
  let restart: Promise<void> | undefined;
  const f = files(grid(4, 6000), password);
  const env = { BILEVEL_REDIS_PASSWORD: password };
  const worker = new WorkerProcess(redis.url, { ...env, BILEVEL_QUEUE_SECRET: f.secret.toString() });
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(...chunk.toString().split('\n').filter(Boolean)), done()) });
  const log = createLogger({ pretty: false, destination: sink, level: 'info' });
  const executor = await QueueExecutor.open({ queue: redis.url, env, secret: f.secret, pollMs: 300, timeoutMs: 60_000, log });
  try {
    await worker.ready;
    const jobs = expandGrid(grid(4, 6000)).map((spec) => ({ key: runKey(spec), spec }));
    const results = new Map<string, string>();
    let restarted = false;
    // Act: when the first result is in, Redis dies and a fresh one (empty) takes its place
    await executor.execute(jobs, {
      onResult: (job, r) => {
        results.set(job.key, r.status);
        if (restarted) return;
        restarted = true;
        process.kill(redis.pid, 'SIGKILL');
        restart = (async () => {
          await until(() => lines.some((l) => l.includes('lost the connection to Redis')), 'the loss reported');
          const again = await launchRedis(launcherEnv, ['--port', new URL(redis.url).port]);
          if ('missing' in again) throw new Error(again.missing);
          second = again;
        })();
      },
    });
    // Assert
    assert.equal(results.size, 4);
    for (const [key, status] of results) assert.equal(status, 'finished', key);
    const lost = lines.map((l) => JSON.parse(l) as { msg: string; lost?: number; runs?: string[] }).find((l) => /vanished from the queue/.test(l.msg));
    assert.ok(lost, `the lost runs are reported: ${lines.join('')}`);
    assert.ok(lost.lost! >= 1 && lost.runs!.every((id) => /^quadratic\/saba\/seed100\d$/.test(id)), JSON.stringify(lost));
    assert.ok(lines.some((l) => l.includes('Redis is back')));
    t.diagnostic(`Redis restarted: ${lost.lost} run(s) reported lost (${lost.runs!.join(', ')}) and run again`);
  } finally {
    await restart?.catch(() => undefined);
    await executor.close();
    await worker.kill();
    await second?.stop();
    await redis.stop();
    rmSync(f.dir, { recursive: true, force: true });
  }
});
