import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { Job, JobsOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { RunResult } from '../../bench/execute-run';
import type { RunSpec } from '../../bench/expand-grid';
import { ExecutorUnavailableError } from '../executor-unavailable-error';
import type { SweepExecutor, SweepHooks, SweepJob } from '../sweep-types';
import type { QueueJobData, QueueJobProgress } from './queue-protocol';
import { checkAttempts, checkQueueName, DEFAULT_ATTEMPTS, DEFAULT_QUEUE_NAME, DEFAULT_QUEUE_TIMEOUT_SECONDS, QUEUE_PREFIX, RUN_JOB } from './queue-protocol';
import { openResult, signJob, verifyJob } from './queue-secret';
import type { RedisAuthSource, RedisTarget } from './redis-url';
import { checkRedis, redisConnection, resolveRedisTarget } from './redis-url';

/** Period of the safety poll of job states (events are the fast path; the poll catches any event missed). */
export const DEFAULT_POLL_MS = 2000;
/**
 * Runs of one sweep in the queue at once (waiting, running, or ended and not yet collected): more are added as
 * results come in, so a sweep of 10⁶ runs neither holds them all in memory nor floods Redis.
 */
export const DEFAULT_WINDOW = 1000;
/** Jobs added or queried per Redis round trip batch. */
const BATCH = 200;
/** Error name of a run whose every attempt ended with a lost worker or a worker-side failure. */
export const QUEUE_FAILURE = 'QueueRunFailed';
/** How long an aborted sweep spends taking its waiting runs off the queue before it stops regardless. */
const WITHDRAW_MS = 3000;
/** How long {@link QueueExecutor.close} waits for a clean goodbye before dropping the connections. */
const CLOSE_MS = 2000;
/** How long one blocking read of the queue's event stream waits on the server, ms. */
const EVENTS_BLOCK_MS = 1000;
/** Run ids named in a log line (the rest are counted). */
const LISTED = 10;

/** Options of {@link QueueExecutor.open}. */
export interface QueueExecutorOptions extends RedisAuthSource {
  /** `redis://HOST:PORT[/DB]` (`--queue`); the password may come from a file or the environment (see resolveRedisTarget). */
  readonly queue: string;
  /** The secret shared with the workers ({@link readQueueSecret}): jobs are signed with it, results checked. */
  readonly secret: Buffer;
  /** Queue name [{@link DEFAULT_QUEUE_NAME}]; workers must serve the same one. */
  readonly name?: string;
  /** Starts of a run before it is recorded as failed [{@link DEFAULT_ATTEMPTS}]. */
  readonly attempts?: number;
  /** Period of the state poll, ms [{@link DEFAULT_POLL_MS}]. */
  readonly pollMs?: number;
  /** How long Redis may stay unreachable before the sweep gives up, ms [60 s, `--queue-timeout`]. */
  readonly timeoutMs?: number;
  /** Runs of this sweep in the queue at once [{@link DEFAULT_WINDOW}]. */
  readonly window?: number;
  /** What happens: a lost or regained connection, runs lost in a Redis restart, refused results, an abort. */
  readonly log?: Logger;
}

/**
 * The distributed executor of `bilevel sweep --queue redis://HOST:PORT`: one BullMQ job per run, its id the run key,
 * its data the spec signed with the secret the sweep shares with its workers ({@link signJob}), executed by
 * `bilevel worker` processes on any machine ({@link workerCommand}). Runs are taken from the sweep lazily, at most
 * `window` of them in the queue at once. A run already completed in the queue (by an earlier sweep or one that was
 * interrupted) is not run again: its stored result is the result. A run that failed before is removed and queued
 * afresh. Completion is heard through QueueEvents and, in case an event is missed, a poll of the job states every
 * `pollMs`; each job gets exactly one onResult, and one that used up its attempts (its workers died) gets a result
 * with status 'error' and BullMQ's failure reason.
 *
 * Trust: a result is accepted only with a valid tag from a worker holding the secret ({@link openResult}); any other
 * value (forged in Redis, a worker with another secret) is refused, logged and the run queued again, at most
 * `attempts` times, then recorded as an error saying so.
 *
 * Failures: a lost connection is logged at once, and so is its return; runs that vanished meanwhile (a Redis
 * restarted without its data) are logged with their ids and queued again. Redis unreachable for `timeoutMs` makes
 * {@link execute} reject with an {@link ExecutorUnavailableError}. An aborted sweep takes its waiting runs off the
 * queue (for at most 3 s) and resolves; runs already on a worker go on and their results stay in the queue for
 * the next sweep.
 *
 * @example
 * const executor = await QueueExecutor.open({ queue: 'redis://127.0.0.1:6379', secret: readQueueSecret() });
 * try { await executor.execute(jobs, { onResult: (job, result) => store.writeResult(job, result) }); }
 * finally { await executor.close(); }
 */
export class QueueExecutor implements SweepExecutor {
  readonly description: string;
  private readonly queue: Queue<QueueJobData>;
  private readonly events: QueueEvents;
  /** A connection of its own to watch Redis (PING, close and ready events): BullMQ's retry in silence. */
  private readonly health: Redis;
  private closing?: Promise<void>;
  private lastError = '';
  /** Since when Redis has not answered (undefined: it answers). */
  private downSince: number | undefined;

  private constructor(
    readonly target: RedisTarget,
    readonly name: string,
    readonly attempts: number,
    private readonly secret: Buffer,
    private readonly pollMs: number,
    private readonly timeoutMs: number,
    private readonly window: number,
    private readonly log?: Logger,
  ) {
    this.description = `queue ${target.url} (${name})`;
    const connection = redisConnection(target);
    this.queue = new Queue<QueueJobData>(name, { connection, prefix: QUEUE_PREFIX });
    // short blocking reads: BullMQ arms a watchdog of blockingTimeout + 1 s per read, which outlives a dropped
    // connection and would keep a sweep that gave up alive for 11 s with the default (10 s)
    this.events = new QueueEvents(name, { connection, prefix: QUEUE_PREFIX, blockingTimeout: EVENTS_BLOCK_MS });
    this.health = new Redis({ ...(connection as object), lazyConnect: true });
    const onError = (err: Error) => {
      // ioredis retries by itself: each distinct error once
      if (err.message === this.lastError) return;
      this.lastError = err.message;
      this.log?.debug({ err: err.message, redis: target.url }, 'queue connection error');
    };
    this.queue.on('error', onError);
    this.events.on('error', onError);
    this.health.on('error', onError);
  }

  /** Validates the options, checks that Redis answers (InputError within ~3 s otherwise) and connects. */
  static async open(options: QueueExecutorOptions): Promise<QueueExecutor> {
    const target = resolveRedisTarget(options.queue, options);
    const name = checkQueueName(options.name ?? DEFAULT_QUEUE_NAME);
    const attempts = checkAttempts(options.attempts ?? DEFAULT_ATTEMPTS);
    const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    if (!Number.isFinite(pollMs) || pollMs < 10) throw new RangeError(`QueueExecutor.open: options.pollMs is ${pollMs}; expected a number ≥ 10 (ms)`);
    const timeoutMs = options.timeoutMs ?? DEFAULT_QUEUE_TIMEOUT_SECONDS * 1000;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 100) throw new RangeError(`QueueExecutor.open: options.timeoutMs is ${timeoutMs}; expected a number ≥ 100 (ms)`);
    const window = options.window ?? DEFAULT_WINDOW;
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`QueueExecutor.open: options.window is ${window}; expected a positive integer`);
    if (!Buffer.isBuffer(options.secret) || options.secret.length === 0) throw new TypeError('QueueExecutor.open: options.secret must be the queue secret (readQueueSecret)');
    await checkRedis(target);
    const executor = new QueueExecutor(target, name, attempts, options.secret, pollMs, timeoutMs, window, options.log);
    await Promise.all([executor.queue.waitUntilReady(), executor.events.waitUntilReady(), executor.health.connect()]);
    return executor;
  }

  async execute(jobs: Iterable<SweepJob>, hooks: SweepHooks): Promise<void> {
    if (this.closing) throw new Error('QueueExecutor.execute: the executor is closed');
    const source = jobs[Symbol.iterator]();
    let exhausted = false;
    /** The runs taken from the sweep and not yet delivered (a key may come twice: one delivery serves both). */
    const byKey = new Map<string, SweepJob[]>();
    /** Keys this sweep saw in the queue: one that vanishes from there was lost (a Redis restart) and is re-added. */
    const queued = new Set<string>();
    /** Keys being looked at by {@link admit}, which the poll leaves alone. */
    const admitting = new Set<string>();
    /** Results refused per key (no valid tag). */
    const refused = new Map<string, number>();
    let collected = 0;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    let failure: unknown;
    const fail = (err: unknown) => {
      failure ??= err;
      finish();
    };
    const aborted = () => hooks.signal?.aborted === true;
    const finishIfDone = () => {
      if (exhausted && byKey.size === 0) finish();
    };
    const idsOf = (keys: readonly string[]) => keys.slice(0, LISTED).map((k) => byKey.get(k)?.[0]?.spec.id ?? k);

    const deliver = (key: string, make: (spec: RunSpec) => RunResult) => {
      const group = byKey.get(key);
      if (!group) return;
      byKey.delete(key);
      queued.delete(key);
      collected++;
      for (const job of group) hooks.onResult(job, make(job.spec));
      void fill().catch(fail);
      finishIfDone();
    };

    /** A completed job whose value is not a signed result: refused and queued again, `attempts` times at most. */
    const refuse = async (key: string, job: Job<QueueJobData>) => {
      const n = (refused.get(key) ?? 0) + 1;
      refused.set(key, n);
      const run = byKey.get(key)?.[0]?.spec.id;
      await job.remove().catch(() => undefined);
      if (n >= this.attempts) {
        this.log?.error({ key, run, refused: n }, 'a result without a valid tag, again: recorded as an error');
        deliver(key, (spec) =>
          errorResult(spec, `its result in the queue failed authentication ${n} time(s) (written without the sweep's secret: forged, or workers started with another --secret-file / BILEVEL_QUEUE_SECRET); not accepted`),
        );
        return;
      }
      this.log?.warn({ key, run, refused: n }, 'refused a result without a valid tag (forged, or a worker with another secret): the run is queued again');
      const first = byKey.get(key)?.[0];
      if (first) await this.addJobs([first]);
    };

    const settling = new Set<string>();
    /** Reads a job that may have ended and delivers its result if it did. */
    const settle = async (key: string) => {
      if (!byKey.has(key) || settling.has(key)) return;
      settling.add(key);
      try {
        const job = await this.queue.getJob(key);
        if (!job) return;
        const state = await job.getState();
        if (state === 'completed') {
          const value = openResult(this.secret, key, job.returnvalue);
          if (value === undefined) await refuse(key, job);
          else deliver(key, (spec) => checkResult(value, spec, key));
        } else if (state === 'failed') deliver(key, (spec) => failedResult(spec, job, this.attempts));
      } finally {
        settling.delete(key);
      }
    };

    /** First look at runs taken from the sweep: collect the completed, requeue the failed and the foreign, add the rest. */
    const admit = async (keys: readonly string[]) => {
      for (const key of keys) admitting.add(key);
      try {
        const states = await Promise.all(keys.map((key) => this.queue.getJobState(key)));
        const toAdd: SweepJob[] = [];
        for (const [i, key] of keys.entries()) {
          const state = states[i];
          const job = byKey.get(key)?.[0];
          if (!job) continue;
          if (state === 'completed') {
            queued.add(key);
            await settle(key);
          } else if (state === 'failed') {
            // failed in an earlier sweep: run it again
            await this.queue.remove(key);
            toAdd.push(job);
          } else if (state === 'unknown') toAdd.push(job);
          else if (state === 'waiting' || state === 'prioritized' || state === 'delayed') {
            // queued by an earlier sweep: keep it if it was signed with this secret (a worker would refuse it otherwise)
            const existing = await this.queue.getJob(key);
            if (existing && !verifyJob(this.secret, key, existing.data?.spec, existing.data?.tag)) {
              await this.queue.remove(key).catch(() => undefined);
              toAdd.push(job);
            } else queued.add(key);
          } else queued.add(key);
        }
        if (toAdd.length) {
          await this.addJobs(toAdd);
          for (const job of toAdd) queued.add(job.key);
        }
      } finally {
        for (const key of keys) admitting.delete(key);
      }
    };

    let filling = false;
    /** Takes runs from the sweep until `window` are in the queue (or none is left). */
    const fill = async () => {
      if (filling) return;
      filling = true;
      try {
        while (!exhausted && !aborted() && byKey.size < this.window) {
          const batch: string[] = [];
          while (batch.length < BATCH && byKey.size < this.window) {
            const step = source.next();
            if (step.done) {
              exhausted = true;
              break;
            }
            const group = byKey.get(step.value.key);
            if (group) group.push(step.value);
            else {
              byKey.set(step.value.key, [step.value]);
              batch.push(step.value.key);
            }
          }
          if (batch.length) await admit(batch);
        }
      } finally {
        filling = false;
      }
      finishIfDone();
    };

    let polling = false;
    /** Every pending job's state: ended ones are delivered, vanished ones reported and queued again. */
    const poll = async () => {
      if (polling) return;
      polling = true;
      try {
        const keys = [...byKey.keys()].filter((k) => !admitting.has(k));
        const lost: string[] = [];
        for (let i = 0; i < keys.length; i += BATCH) {
          const batch = keys.slice(i, i + BATCH);
          const states = await Promise.all(batch.map((key) => this.queue.getJobState(key)));
          for (const [j, key] of batch.entries()) {
            const state = states[j];
            if (state === 'completed' || state === 'failed') await settle(key);
            else if (state === 'unknown' && byKey.has(key) && !admitting.has(key)) lost.push(key);
          }
        }
        if (lost.length > 0 && !aborted()) {
          const known = lost.filter((k) => queued.has(k));
          if (known.length) {
            this.log?.warn(
              { lost: known.length, runs: idsOf(known), redis: this.target.url },
              `${known.length} run(s) of this sweep vanished from the queue (Redis restarted without its data, or they were removed), running or finished results included: they are queued again`,
            );
          }
          await this.addJobs(lost.map((k) => byKey.get(k)![0]).filter(Boolean));
          for (const k of lost) queued.add(k);
        }
      } finally {
        polling = false;
      }
    };

    const onCompleted = ({ jobId }: { jobId: string }) => void settle(jobId).catch(fail);
    const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => {
      const worker = (data as Partial<QueueJobProgress> | undefined)?.worker;
      if (!byKey.has(jobId) || typeof worker !== 'string') return;
      for (const job of byKey.get(jobId)!) hooks.onStart?.(job, worker);
    };
    const onStalled = ({ jobId }: { jobId: string }) => {
      if (byKey.has(jobId)) this.log?.warn({ key: jobId, run: byKey.get(jobId)![0].spec.id }, 'a worker lost its run (stalled: its lock expired): it goes back to the queue');
    };
    this.events.on('completed', onCompleted);
    this.events.on('failed', onCompleted);
    this.events.on('progress', onProgress);
    this.events.on('stalled', onStalled);

    const onAbort = () => {
      const keys = [...byKey.keys()];
      void this.withdraw(keys).then((left) => {
        this.log?.info(
          { withdrawn: keys.length - left.length, left: left.length },
          left.length
            ? `stopped: ${keys.length - left.length} waiting run(s) taken off the queue; ${left.length} running on workers (or unreachable) stay: their results are collected by the next sweep`
            : `stopped: ${keys.length} run(s) taken off the queue`,
        );
        finish();
      }, fail);
    };
    const stopWatch = this.watch(fail, () => ({ collected, inQueue: byKey.size }), () => void poll().catch(fail));
    const timer = setInterval(() => void poll().catch(fail), this.pollMs);
    try {
      if (aborted()) return;
      hooks.signal?.addEventListener('abort', onAbort, { once: true });
      void fill().catch(fail);
      await done;
      if (failure) throw failure;
    } finally {
      clearInterval(timer);
      stopWatch();
      hooks.signal?.removeEventListener('abort', onAbort);
      this.events.off('completed', onCompleted);
      this.events.off('failed', onCompleted);
      this.events.off('progress', onProgress);
      this.events.off('stalled', onStalled);
    }
  }

  /**
   * Watches the connection: logs its loss (with the reason and how long the sweep will wait) and its return (then
   * `onBack`, a poll that finds what a restart lost), PINGs Redis every second or so, and calls `fail` with an
   * {@link ExecutorUnavailableError} once no answer came for `timeoutMs`. Returns the function that stops watching.
   */
  private watch(fail: (err: unknown) => void, counts: () => { collected: number; inQueue: number }, onBack: () => void): () => void {
    const client = this.health;
    const seconds = (ms: number) => Math.round(ms / 100) / 10;
    let lastAnswer = performance.now();
    let pinging = false;
    this.downSince = undefined;
    const onClose = () => {
      if (this.downSince !== undefined) return;
      this.downSince = performance.now();
      this.log?.warn(
        { redis: this.target.url, err: this.lastError || 'connection closed', ...counts() },
        `lost the connection to Redis: waiting up to ${seconds(this.timeoutMs)} s (--queue-timeout) for it to come back`,
      );
    };
    const onReady = () => {
      if (this.downSince === undefined) return;
      this.log?.info({ redis: this.target.url, downSeconds: seconds(performance.now() - this.downSince) }, 'Redis is back: checking which runs it still has');
      this.downSince = undefined;
      lastAnswer = performance.now();
      onBack();
    };
    client.on('close', onClose);
    client.on('ready', onReady);
    const tick = setInterval(() => {
      const silent = performance.now() - lastAnswer;
      if (silent > this.timeoutMs) {
        const { collected, inQueue } = counts();
        fail(
          new ExecutorUnavailableError(
            `Redis at ${this.target.url} did not answer for ${seconds(silent)} s (--queue-timeout ${seconds(this.timeoutMs)} s; last error: ${this.lastError || 'none, no reply'}): ` +
              `gave up with ${collected} result(s) collected and ${inQueue} run(s) still in the queue`,
          ),
        );
        return;
      }
      if (pinging) return;
      pinging = true;
      client.ping().then(
        () => (lastAnswer = performance.now()),
        () => undefined,
      ).finally(() => (pinging = false));
    }, Math.max(50, Math.min(1000, this.timeoutMs / 4)));
    return () => {
      clearInterval(tick);
      client.off('close', onClose);
      client.off('ready', onReady);
    };
  }

  /** Adds runs as signed jobs (a job that exists already is left as it is by BullMQ). */
  private async addJobs(jobs: readonly SweepJob[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += BATCH) await this.queue.addBulk(jobs.slice(i, i + BATCH).map((job) => this.jobOf(job)));
  }

  /** The BullMQ job of a run: id = run key, data = spec + tag, kept after it ends (its result is the sweep's to read). */
  private jobOf(job: SweepJob): { name: string; data: QueueJobData; opts: JobsOptions } {
    return {
      name: RUN_JOB,
      data: { spec: job.spec, tag: signJob(this.secret, job.key, job.spec) },
      opts: { jobId: job.key, attempts: this.attempts, removeOnComplete: false, removeOnFail: false },
    };
  }

  /**
   * Aborted sweep: takes its runs that no worker has started off the queue, for at most {@link WITHDRAW_MS} (Redis
   * may be gone); started ones end and stay stored. Resolves with the keys it could not take off.
   */
  private async withdraw(keys: readonly string[]): Promise<string[]> {
    const left = new Set(keys);
    const work = (async () => {
      for (let i = 0; i < keys.length; i += BATCH) {
        const batch = keys.slice(i, i + BATCH);
        const states = await Promise.all(batch.map((key) => this.queue.getJobState(key)));
        await Promise.all(batch.map(async (key, j) => {
          // a worker may take it meanwhile: then it is locked, cannot be removed, and simply runs
          if (states[j] === 'waiting' || states[j] === 'prioritized' || states[j] === 'delayed') await this.queue.remove(key).catch(() => undefined);
          if (states[j] !== 'active') left.delete(key);
        }));
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([work.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, this.downSince !== undefined ? 0 : WITHDRAW_MS)))]);
    clearTimeout(timer);
    return [...left];
  }

  /**
   * Closes the connections cleanly; when Redis is known to be down, or does not answer within {@link CLOSE_MS},
   * drops them (so a sweep that gave up exits at once rather than after BullMQ's reconnection attempts).
   */
  async close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.downSince === undefined) {
        const clean = Promise.all([this.events.close(), this.queue.close(), this.health.quit()]).then(() => true, () => true);
        if (await Promise.race([clean, delay(CLOSE_MS, false)])) return;
      }
      this.health.disconnect();
      // forced first (the sockets are dropped, no QUIT waits for an answer), then the objects marked closed
      const forced = Promise.all([this.events.getBackend().close(true), this.queue.getBackend().close(true)]).catch(() => undefined);
      void this.events.close().catch(() => undefined);
      void this.queue.close().catch(() => undefined);
      await Promise.race([forced, delay(CLOSE_MS, undefined)]);
    })();
    return this.closing;
  }
}

/** Resolves with `value` after `ms` (without keeping the process alive). */
function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms).unref());
}

/** A result that passed its tag, checked to be a result of this run (same id, a known status, points). */
function checkResult(value: unknown, spec: RunSpec, key: string): RunResult {
  const r = value as Partial<RunResult> | null | undefined;
  const ok = typeof r === 'object' && r !== null && r.id === spec.id && Array.isArray(r.points) && (r.status === 'finished' || r.status === 'diverged' || r.status === 'error');
  if (ok) return { ...(r as RunResult), spec };
  return errorResult(spec, `the result stored for run ${key} is not a run result of ${spec.id}`);
}

/** The result of a run that used up its attempts: an 'error' with the reason BullMQ recorded. */
function failedResult(spec: RunSpec, job: Job<QueueJobData>, attempts: number): RunResult {
  return errorResult(spec, `failed in the queue after ${job.attemptsStarted} start(s) (at most ${attempts}): ${job.failedReason || 'no reason recorded'}`);
}

function errorResult(spec: RunSpec, message: string): RunResult {
  return {
    id: spec.id,
    spec,
    status: 'error',
    error: { name: QUEUE_FAILURE, message },
    backend: 'none (the run produced no result)',
    iterations: 0,
    solverSeconds: 0,
    oracleCalls: 0,
    evaluationSeconds: 0,
    wallSeconds: 0,
    points: [],
  };
}
