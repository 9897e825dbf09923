import { InputError } from '@bilevel/io';
import type { RunSpec } from '../../bench/expand-grid';

/**
 * What `bilevel sweep --queue` and `bilevel worker --queue` agree on: the queue, the job's name and data, the retry
 * budget. A job's id is its run key (the content address of its spec), so a run is queued once however many
 * sweeps ask for it, and a completed one is not run again: its return value, the {@link RunResult}, is the result.
 */

/**
 * The queue every sweep and worker uses unless told otherwise (`--queue-name`): one name, so `bilevel worker
 * --queue URL` needs nothing but the URL. Runs of different sweeps do not collide (their ids are content addresses);
 * a given name separates users or experiments that share a Redis.
 */
export const DEFAULT_QUEUE_NAME = 'bilevel-sweep';

/** Prefix of every Redis key of the queues (BullMQ's default is `bull`): the sweeps' keys stand apart in a shared Redis. */
export const QUEUE_PREFIX = 'bilevel';

/** Name of every job (BullMQ job name): one kind of job, a run. */
export const RUN_JOB = 'run';

/** How many times a run may start before it is recorded as failed: a worker that died mid-run costs one. */
export const DEFAULT_ATTEMPTS = 3;

/** The data of a job: the spec and its tag (HMAC with the sweep's secret, see signJob); the job's id is the run key. */
export interface QueueJobData {
  readonly spec: RunSpec;
  readonly tag: string;
}

/** Default time a sweep waits for an unreachable Redis to come back before it gives up (`--queue-timeout`), s. */
export const DEFAULT_QUEUE_TIMEOUT_SECONDS = 60;

/** What a worker reports through `job.updateProgress` when it takes a run (the sweep's onStart hook). */
export interface QueueJobProgress {
  /** `host:pid` (or the worker's `--name`). */
  readonly worker: string;
}

/** Checks a queue name (BullMQ forbids ':'; kept to what is safe in a Redis key and a shell). */
export function checkQueueName(name: string, where = '--queue-name'): string {
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,99}$/i.test(name)) {
    throw new InputError(`queue name is ${JSON.stringify(name)}; expected 1–100 letters, digits, ".", "_" or "-", starting with a letter or digit`, where);
  }
  return name;
}

/** Checks the retry budget: a positive integer. */
export function checkAttempts(attempts: number, where = '--attempts'): number {
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 100) {
    throw new InputError(`attempts is ${attempts}; expected an integer in [1, 100]`, where);
  }
  return attempts;
}

/**
 * How long a worker holds a run's lock without renewing it (it renews every half of that): the event loop of a run
 * is free at least every 20 ms (`yieldMs` of `run`), so only a dead or frozen worker loses a lock.
 */
export const DEFAULT_LOCK_MS = 10_000;
/** How often a worker looks for runs whose lock expired (their worker died) and puts them back on the queue. */
export const DEFAULT_STALLED_MS = 5_000;
/**
 * Default wall time a worker gives one run, problem building and evaluations included (`--max-run-seconds`): a run
 * still going then is ended and recorded as an error, so no job holds a worker forever (its lock is renewed while
 * it computes, so it would never count as stalled).
 */
export const DEFAULT_MAX_RUN_SECONDS = 4 * 3600;
