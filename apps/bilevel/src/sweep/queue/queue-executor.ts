import { Queue, QueueEvents } from 'bullmq';
import type { Job, JobsOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { RunResult } from '../../bench/execute-run';
import type { RunSpec } from '../../bench/expand-grid';
import type { SweepExecutor, SweepHooks, SweepJob } from '../sweep-types';
import type { QueueJobData, QueueJobProgress } from './queue-protocol';
import { checkAttempts, checkQueueName, DEFAULT_ATTEMPTS, DEFAULT_QUEUE_NAME, QUEUE_PREFIX, RUN_JOB } from './queue-protocol';
import type { RedisTarget } from './redis-url';
import { checkRedis, parseRedisUrl, redisConnection } from './redis-url';

/** Period of the safety poll of job states (events are the fast path; the poll catches any event missed). */
export const DEFAULT_POLL_MS = 2000;
/** Jobs added or queried per Redis round trip batch. */
const BATCH = 200;
/** Error name of a run whose every attempt ended with a lost worker or a worker-side failure. */
export const QUEUE_FAILURE = 'QueueRunFailed';

/** Options of {@link QueueExecutor.open}. */
export interface QueueExecutorOptions {
  /** `redis://HOST:PORT[/DB]` (`--queue`). */
  readonly queue: string;
  /** Queue name [{@link DEFAULT_QUEUE_NAME}]; workers must serve the same one. */
  readonly name?: string;
  /** Starts of a run before it is recorded as failed [{@link DEFAULT_ATTEMPTS}]. */
  readonly attempts?: number;
  /** Period of the state poll, ms [{@link DEFAULT_POLL_MS}]. */
  readonly pollMs?: number;
  /** Connection errors and re-queued runs are logged here (they are retried, not thrown). */
  readonly log?: Logger;
}

/**
 * The distributed executor of `bilevel sweep --queue redis://HOST:PORT`: one BullMQ job per run, its id the run key,
 * executed by `bilevel worker` processes on any machine ({@link workerCommand}). A run already completed in the
 * queue (by an earlier sweep or one that was interrupted) is not run again: its stored {@link RunResult} is the
 * result. A run that failed before is removed and queued afresh. Completion is heard through QueueEvents and,
 * in case an event is missed, a poll of the job states every `pollMs`; each job gets exactly one onResult, and one
 * that used up its attempts (its workers died) gets a result with status 'error' and BullMQ's failure reason.
 *
 * @example
 * const executor = await QueueExecutor.open({ queue: 'redis://127.0.0.1:6379' });
 * try { await executor.execute(jobs, { onResult: (job, result) => store.write(job.key, result) }); }
 * finally { await executor.close(); }
 */
export class QueueExecutor implements SweepExecutor {
  readonly description: string;
  private readonly queue: Queue<QueueJobData, RunResult>;
  private readonly events: QueueEvents;
  private closing?: Promise<void>;

  private constructor(
    readonly target: RedisTarget,
    readonly name: string,
    readonly attempts: number,
    private readonly pollMs: number,
    private readonly log?: Logger,
  ) {
    this.description = `queue ${target.url} (${name})`;
    const connection = redisConnection(target);
    this.queue = new Queue<QueueJobData, RunResult>(name, { connection, prefix: QUEUE_PREFIX });
    this.events = new QueueEvents(name, { connection, prefix: QUEUE_PREFIX });
    let last = '';
    const onError = (err: Error) => {
      if (err.message === last) return;
      last = err.message;
      this.log?.warn({ err: err.message, redis: target.url }, 'queue connection error (retrying)');
    };
    this.queue.on('error', onError);
    this.events.on('error', onError);
  }

  /** Validates the options, checks that Redis answers (InputError within ~3 s otherwise) and connects. */
  static async open(options: QueueExecutorOptions): Promise<QueueExecutor> {
    const target = parseRedisUrl(options.queue);
    const name = checkQueueName(options.name ?? DEFAULT_QUEUE_NAME);
    const attempts = checkAttempts(options.attempts ?? DEFAULT_ATTEMPTS);
    const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    if (!Number.isFinite(pollMs) || pollMs < 10) throw new RangeError(`QueueExecutor.open: options.pollMs is ${pollMs}; expected a number ≥ 10 (ms)`);
    await checkRedis(target);
    const executor = new QueueExecutor(target, name, attempts, pollMs, options.log);
    await Promise.all([executor.queue.waitUntilReady(), executor.events.waitUntilReady()]);
    return executor;
  }

  async execute(jobs: readonly SweepJob[], hooks: SweepHooks): Promise<void> {
    if (this.closing) throw new Error('QueueExecutor.execute: the executor is closed');
    const byKey = new Map<string, SweepJob[]>();
    for (const job of jobs) byKey.set(job.key, [...(byKey.get(job.key) ?? []), job]);
    const pending = new Set(byKey.keys());
    if (pending.size === 0) return;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    let failure: unknown;
    const fail = (err: unknown) => {
      failure ??= err;
      finish();
    };

    const deliver = (key: string, make: (spec: RunSpec) => RunResult) => {
      if (!pending.delete(key)) return;
      for (const job of byKey.get(key)!) hooks.onResult(job, make(job.spec));
      if (pending.size === 0) finish();
    };
    const settling = new Set<string>();
    /** Reads a job that may have ended and delivers its result if it did. */
    const settle = async (key: string) => {
      if (!pending.has(key) || settling.has(key)) return;
      settling.add(key);
      try {
        const job = await this.queue.getJob(key);
        if (!job) return;
        const state = await job.getState();
        if (state === 'completed') deliver(key, (spec) => checkResult(job, spec));
        else if (state === 'failed') deliver(key, (spec) => failedResult(spec, job, this.attempts));
      } finally {
        settling.delete(key);
      }
    };
    const onCompleted = ({ jobId }: { jobId: string }) => void settle(jobId).catch(fail);
    const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => {
      const worker = (data as Partial<QueueJobProgress> | undefined)?.worker;
      if (!pending.has(jobId) || typeof worker !== 'string') return;
      for (const job of byKey.get(jobId)!) hooks.onStart?.(job, worker);
    };
    const onStalled = ({ jobId }: { jobId: string }) => {
      if (pending.has(jobId)) this.log?.warn({ key: jobId }, 'a worker lost its run (stalled): it goes back to the queue');
    };
    this.events.on('completed', onCompleted);
    this.events.on('failed', onCompleted);
    this.events.on('progress', onProgress);
    this.events.on('stalled', onStalled);

    let polling = false;
    /** Every pending job's state: ended ones are delivered, vanished ones (removed by hand) queued again. */
    const poll = async (first: boolean) => {
      if (polling) return;
      polling = true;
      try {
        const keys = [...pending];
        for (let i = 0; i < keys.length; i += BATCH) {
          const batch = keys.slice(i, i + BATCH);
          const states = await Promise.all(batch.map((key) => this.queue.getJobState(key)));
          const toAdd: string[] = [];
          for (const [j, key] of batch.entries()) {
            const state = states[j];
            if (state === 'completed') await settle(key);
            else if (state === 'failed' && first) {
              // failed in an earlier sweep: run it again
              await this.queue.remove(key);
              toAdd.push(key);
            } else if (state === 'failed') await settle(key);
            else if (state === 'unknown') toAdd.push(key);
          }
          if (toAdd.length) await this.queue.addBulk(toAdd.map((key) => this.jobOf(byKey.get(key)![0])));
        }
      } finally {
        polling = false;
      }
    };

    const onAbort = () => {
      void this.withdraw([...pending]).then(finish, fail);
    };
    const timer = setInterval(() => void poll(false).catch(fail), this.pollMs);
    try {
      if (hooks.signal?.aborted) return;
      hooks.signal?.addEventListener('abort', onAbort, { once: true });
      await poll(true);
      await done;
      if (failure) throw failure;
    } finally {
      clearInterval(timer);
      hooks.signal?.removeEventListener('abort', onAbort);
      this.events.off('completed', onCompleted);
      this.events.off('failed', onCompleted);
      this.events.off('progress', onProgress);
      this.events.off('stalled', onStalled);
    }
  }

  /** The BullMQ job of a run: id = run key, kept after it ends (its result is the sweep's to read). */
  private jobOf(job: SweepJob): { name: string; data: QueueJobData; opts: JobsOptions } {
    return { name: RUN_JOB, data: { spec: job.spec }, opts: { jobId: job.key, attempts: this.attempts, removeOnComplete: false, removeOnFail: false } };
  }

  /** Aborted sweep: takes its runs that no worker has started off the queue; started ones end and stay stored. */
  private async withdraw(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const state = await this.queue.getJobState(key);
      // a worker may take it meanwhile: then it is locked, cannot be removed, and simply runs
      if (state === 'waiting' || state === 'prioritized' || state === 'delayed') await this.queue.remove(key).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closing ??= Promise.all([this.events.close(), this.queue.close()]).then(() => undefined);
    return this.closing;
  }
}

/** A worker's return value, checked to be the result of this run (it crossed a network and a JSON encoding). */
function checkResult(job: Job<QueueJobData, RunResult>, spec: RunSpec): RunResult {
  const r = job.returnvalue as Partial<RunResult> | null | undefined;
  const ok = typeof r === 'object' && r !== null && r.id === spec.id && Array.isArray(r.points) && (r.status === 'finished' || r.status === 'diverged' || r.status === 'error');
  if (ok) return { ...(r as RunResult), spec };
  return errorResult(spec, `the result stored for run ${job.id} is not a run result of ${spec.id} (${JSON.stringify(r)?.slice(0, 200)})`);
}

/** The result of a run that used up its attempts: an 'error' with the reason BullMQ recorded. */
function failedResult(spec: RunSpec, job: Job<QueueJobData, RunResult>, attempts: number): RunResult {
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
