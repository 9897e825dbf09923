import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { bundledDataPath } from '@bilevel/problems';
import type { RunResult } from '../../bench/execute-run';
import { executeRun } from '../../bench/execute-run';
import type { RunSpec } from '../../bench/expand-grid';
import { expandGrid } from '../../bench/expand-grid';
import { runKey } from '../run-key';
import { QueueExecutor } from './queue-executor';
import { DEFAULT_QUEUE_NAME, QUEUE_PREFIX, RUN_JOB } from './queue-protocol';
import { signJob } from './queue-secret';
import { secretFile, until, WorkerProcess } from './queue-test-support';
import { withRedis } from './with-redis';

/** What the "secret" files outside the data root hold: it must never appear in anything a worker returns. */
const MARKER = 'TOPSECRET-7f3a9c';

/** A logreg-hpo run reading `train` (a short run of the bundled task when `train` is the bundled file). */
function logregSpec(train: string, seed = 0): RunSpec {
  return expandGrid({
    name: 'security',
    solvers: ['saba'],
    seeds: [seed],
    problems: [{ name: 'logreg-hpo', config: { train }, batch: 32, maxIter: 40, evalEvery: 20, evaluation: 'exact', metric: 'suboptimality', tolerances: [1] }],
  })[0];
}

/** A datacleaning run reading the folder `data`. */
function cleaningSpec(data: string): RunSpec {
  return expandGrid({
    name: 'security',
    solvers: ['saba'],
    seeds: [0],
    problems: [{ name: 'datacleaning', config: { data }, batch: 32, maxIter: 40, evalEvery: 20, evaluation: 'iterate', metric: 'testError', tolerances: [0.5] }],
  })[0];
}

/** What the sweep compares across machines: everything but timings. */
function numbers(r: RunResult) {
  const j = JSON.parse(JSON.stringify(r)) as RunResult;
  return { id: j.id, status: j.status, iterations: j.iterations, oracleCalls: j.oracleCalls, points: j.points.map((p) => [p.iteration, p.value, p.metric]) };
}

/** Peak resident memory of a process (VmHWM), MB. */
function peakMb(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

test('a worker refuses crafted jobs without leaking a byte; a forged result is refused and the run rerun', { timeout: 120_000 }, (t: TestContext) =>
  withRedis(t, async (url, redis) => {
    // Arrange: a data root with the bundled task, a malformed file and a link out; "secrets" outside it
    const dir = mkdtempSync(join(tmpdir(), 'bilevel-security-'));
    const root = join(dir, 'data');
    const outside = join(dir, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
    const shadow = join(outside, 'shadow');
    writeFileSync(shadow, `root:${MARKER}:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n`);
    symlinkSync(shadow, join(root, 'escape.csv'));
    symlinkSync(outside, join(root, 'escape-dir'));
    writeFileSync(join(root, 'malformed.csv'), `${MARKER},1,2\nnot,a,number\n`);
    copyFileSync(bundledDataPath('breast_cancer.csv'), join(root, 'cancer.csv'));
    const { secret } = secretFile(dir);
    const env = { ...redis.env, BILEVEL_QUEUE_SECRET: secret.toString(), LEAK_PROBE: MARKER };
    const worker = new WorkerProcess(url, env, ['--data-root', root]);
    const connection = { host: '127.0.0.1', port: Number(new URL(url).port), password: redis.password, maxRetriesPerRequest: null };
    const queue = new Queue(DEFAULT_QUEUE_NAME, { connection, prefix: QUEUE_PREFIX });
    const events = new QueueEvents(DEFAULT_QUEUE_NAME, { connection, prefix: QUEUE_PREFIX });
    const executor = await QueueExecutor.open({ queue: url, env: redis.env, secret, pollMs: 500 });
    try {
      await Promise.all([worker.ready, events.waitUntilReady()]);

      /** Queues a job as anyone with access to Redis could, and resolves with how it ended. */
      const submit = async (spec: unknown, options: { sign?: boolean; key?: string } = {}) => {
        const key = options.key ?? runKey(spec as RunSpec);
        const data = options.sign === false ? { spec } : { spec, tag: signJob(secret, key, spec as RunSpec) };
        await queue.remove(key); // an earlier case may have queued the same spec
        const t0 = performance.now();
        const job = await queue.add(RUN_JOB, data, { jobId: key, attempts: 1, removeOnComplete: false, removeOnFail: false });
        try {
          const value = await job.waitUntilFinished(events, 60_000);
          return { ok: true as const, text: JSON.stringify(value), seconds: (performance.now() - t0) / 1000 };
        } catch (err) {
          return { ok: false as const, text: (err as Error).message, seconds: (performance.now() - t0) / 1000 };
        }
      };
      const refused = async (what: string, spec: unknown, pattern: RegExp, options: { sign?: boolean; key?: string } = {}) => {
        const r = await submit(spec, options);
        assert.equal(r.ok, false, `${what}: refused, not run (${r.text})`);
        assert.match(r.text, pattern, what);
        assert.ok(!r.text.includes(MARKER), `${what}: no content in the reason: ${r.text}`);
        return r;
      };

      await t.test('an unsigned job is refused before anything else', async () => {
        await refused('unsigned /etc/shadow-like job', logregSpec(shadow), /not signed with this worker's secret/, { sign: false });
      });

      await t.test('data outside the roots, through a link, in /proc or /dev: one wording, no content, no existence oracle', async () => {
        const notUnder = /problem\.config\.train: ".*" is not a readable file under this worker's data roots/;
        await refused('a file outside', logregSpec(shadow), notUnder);
        await refused('a link out of the root', logregSpec(join(root, 'escape.csv')), notUnder);
        await refused('.. out of the root', logregSpec(join(root, '..', 'outside', 'shadow')), notUnder);
        await refused('/proc/self/environ', logregSpec('/proc/self/environ'), notUnder);
        const zero = await refused('/dev/zero', logregSpec('/dev/zero'), notUnder);
        const etc = await refused('a folder that exists', cleaningSpec('/etc'), /problem\.config\.data: "\/etc" is not a readable folder under this worker's data roots/);
        const none = await refused('a folder that does not', cleaningSpec('/nonexistent-folder'), /problem\.config\.data: "\/nonexistent-folder" is not a readable folder/);
        const words = (text: string, path: string) => text.replace(path, 'P').replace(/job [0-9a-f]{64}/, 'job K');
        assert.equal(words(etc.text, '/etc'), words(none.text, '/nonexistent-folder'), 'the same words whether the path exists or not');
        await refused('a folder with a link out', cleaningSpec(join(root, 'escape-dir')), /is not a readable folder under this worker's data roots/);
        const mb = peakMb(worker.pid);
        assert.ok(mb < 1024, `the worker's peak memory is ${mb.toFixed(0)} MB`);
        t.diagnostic(`/dev/zero job refused in ${zero.seconds.toFixed(3)} s; worker peak RSS ${mb.toFixed(0)} MB`);
      });

      await t.test('what the grid schema refuses is refused, maxIter 10¹⁵ included', async () => {
        const base = logregSpec(join(root, 'cancer.csv'));
        const huge = await refused('maxIter 1e15', { ...base, maxIter: 1e15 }, /maxIter: Too big: expected number to be <=1000000000/);
        await refused('a problem outside the grid', { ...base, problem: { ...base.problem, name: 'denoise' } }, /problem\.name: Invalid option/);
        await refused('an option the grid has not', { ...base, problem: { ...base.problem, config: { ...base.problem.config, test: shadow } } }, /problem\.config: Unrecognized key: "test"/);
        await refused('a bad solver option', { ...base, solverOptions: { batchSize: 32, innerStep: -1 } }, /solverOptions: saba: innerStep/);
        await refused('an id that is not the spec\'s key', base, /not the run key of its spec/, { key: 'f'.repeat(64) });
        t.diagnostic(`maxIter 1e15 job refused in ${huge.seconds.toFixed(3)} s`);
      });

      await t.test('a file under the root that does not parse: an error result that quotes nothing of it', async () => {
        const r = await submit(logregSpec(join(root, 'malformed.csv')));
        assert.equal(r.ok, true, r.text);
        const result = JSON.parse((JSON.parse(r.text) as { json: string }).json) as RunResult;
        assert.equal(result.status, 'error');
        assert.match(result.error!.message, /cannot build the problem logreg-hpo \(InputError at .*malformed\.csv(:\d+)*\); the details .* in the worker's log only/);
        assert.ok(!r.text.includes(MARKER), r.text);
        await until(() => worker.lines.some((l) => l.msg.startsWith('cannot build the problem')), 'the worker logs the details');
      });

      await t.test('a forged result written into Redis is refused and the run executed again', async () => {
        // Arrange: a run completed by the worker through the sweep's executor
        const spec = logregSpec(join(root, 'cancer.csv'), 7);
        const job = { key: runKey(spec), spec };
        const first: RunResult[] = [];
        await executor.execute([job], { onResult: (_, r) => first.push(r) });
        assert.equal(first[0].status, 'finished', first[0].error?.message);
        assert.equal(worker.count('run finished', job.key), 1);
        // … whose return value is then replaced, as anyone with access to Redis could
        const forged: RunResult = { ...first[0], points: first[0].points.map((p) => ({ ...p, value: 0, metric: 0 })) };
        const client = new Redis(connection);
        try {
          await client.hset(`${QUEUE_PREFIX}:${DEFAULT_QUEUE_NAME}:${job.key}`, 'returnvalue', JSON.stringify(forged));
        } finally {
          client.disconnect();
        }
        // Act: a sweep asks for the same run
        const again: RunResult[] = [];
        await executor.execute([job], { onResult: (_, r) => again.push(r) });
        // Assert: not the forged values but a fresh run, equal to this process's
        assert.equal(again.length, 1);
        assert.equal(worker.count('run finished', job.key), 2, 'run again');
        assert.deepEqual(numbers(again[0]), numbers(await executeRun({ ...spec, problem: { ...spec.problem, config: { ...spec.problem.config, train: join(root, 'cancer.csv') } } })));
        assert.notDeepEqual(numbers(again[0]), numbers(forged));
      });
      assert.ok(!worker.text.includes(process.env.PATH ?? '\u0000'), 'the environment never reached the log');
    } finally {
      await executor.close();
      await events.close();
      await queue.close();
      await worker.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }),
);
