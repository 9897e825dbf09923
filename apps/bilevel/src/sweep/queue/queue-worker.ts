import { hostname } from 'node:os';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { InputError } from '@bilevel/problems';
import { createLogger } from '@bilevel/telemetry';
import { EXIT } from '../../exit-codes';
import type { RunResult } from '../../bench/execute-run';
import type { RunSpec } from '../../bench/expand-grid';
import type { QueueJobData, QueueJobProgress } from './queue-protocol';
import { checkAttempts, checkQueueName, DEFAULT_ATTEMPTS, DEFAULT_QUEUE_NAME, QUEUE_PREFIX } from './queue-protocol';
import { checkRedis, parseRedisUrl, redisConnection } from './redis-url';
import { RunThread } from './run-thread';

/**
 * How long a worker holds a run's lock without renewing it (it renews every half of that): the event loop of a run
 * is free at least every 20 ms (`yieldMs` of `run`), so only a dead or frozen worker loses a lock.
 */
export const DEFAULT_LOCK_MS = 10_000;
/** How often a worker looks for runs whose lock expired (their worker died) and puts them back on the queue. */
export const DEFAULT_STALLED_MS = 5_000;

/** Options of {@link workerCommand} (`bilevel worker`). */
export interface QueueWorkerOptions {
  /** `redis://HOST:PORT[/DB]` of the sweep's Redis (`--queue`). */
  readonly queue: string;
  /** Queue name [{@link DEFAULT_QUEUE_NAME}]; the sweep's `--queue-name`. */
  readonly name?: string;
  /** This worker's name in logs and in the sweep's onStart [`host:pid`]. */
  readonly workerName?: string;
  /** Runs at once in this process [1]: runs are CPU-bound, start one worker per core instead. */
  readonly concurrency?: number;
  /**
   * Starts of a run before it is recorded as failed [{@link DEFAULT_ATTEMPTS}]: the stalled-job check sends a run
   * whose worker died back to the queue at most `attempts − 1` times. Give the sweep's value.
   */
  readonly attempts?: number;
  /** Lock duration of a taken run, ms [{@link DEFAULT_LOCK_MS}]. */
  readonly lockMs?: number;
  /** Period of the stalled-run check, ms [{@link DEFAULT_STALLED_MS}]. */
  readonly stalledMs?: number;
  /** pino level [info]. */
  readonly logLevel?: string;
  /** JSON log lines even on a terminal. */
  readonly json?: boolean;
}

/** Where {@link workerCommand} writes, and how it is stopped. */
export interface QueueWorkerIo {
  readonly stderr?: NodeJS.WritableStream;
  /** Whether stderr is a terminal (pretty logs). Default: process.stderr.isTTY. */
  readonly tty?: boolean;
  /** Logger to use instead of one on stderr. */
  readonly log?: Logger;
  /** Stop on SIGINT/SIGTERM: finish the current run, then close (a second signal exits at once). Default true. */
  readonly signals?: boolean;
  /** Resolves to stop the worker as a signal would (tests, embedding). */
  readonly stop?: Promise<unknown>;
  /** Called once the worker is connected and waits for runs. */
  readonly onReady?: (workerName: string) => void;
}

/**
 * `bilevel worker --queue redis://HOST:PORT`: takes runs from the sweep queue and executes each with
 * {@link executeRun} (the code path of `bilevel run`) in a {@link RunThread} (one per `concurrency` slot, each with its
 * problem cache), so that this thread is always free to renew the run's lock; it returns the
 * {@link RunResult} as the job's return value, which the sweep reads back. Workers on any number of machines may
 * serve one queue. A run whose worker dies (kill -9, power loss) keeps its lock for at most `lockMs`; then the
 * stalled-run check of any live worker, every `stalledMs`, puts it back on the queue, at most `attempts − 1` times.
 * Checks Redis first (InputError when unreachable). Resolves with the exit code once stopped (0).
 *
 * @example
 * const code = await workerCommand({ queue: 'redis://127.0.0.1:6379' }, {});
 */
export async function workerCommand(options: QueueWorkerOptions, io: QueueWorkerIo = {}): Promise<number> {
  const target = parseRedisUrl(options.queue);
  const name = checkQueueName(options.name ?? DEFAULT_QUEUE_NAME);
  const attempts = checkAttempts(options.attempts ?? DEFAULT_ATTEMPTS);
  const concurrency = positiveInt(options.concurrency ?? 1, 'concurrency', 64);
  const lockMs = positiveInt(options.lockMs ?? DEFAULT_LOCK_MS, 'lockMs', 3_600_000);
  const stalledMs = positiveInt(options.stalledMs ?? DEFAULT_STALLED_MS, 'stalledMs', 3_600_000);
  const workerName = options.workerName ?? `${hostname()}:${process.pid}`;
  const stderr = io.stderr ?? process.stderr;
  const tty = io.tty ?? Boolean(process.stderr.isTTY);
  const log = (io.log ?? createLogger({ pretty: tty && !options.json, destination: stderr, level: options.logLevel ?? 'info', name: 'bilevel-worker' })).child({
    worker: workerName,
    queue: name,
  });
  await checkRedis(target);

  // runs execute in threads: this thread only talks to Redis, so it renews locks on time (see RunThread)
  const threads = Array.from({ length: concurrency }, () => new RunThread());
  const idle = [...threads];
  await Promise.all(threads.map((t) => t.start()));
  const processRun = async (job: Job<QueueJobData, RunResult>): Promise<RunResult> => {
    const spec = job.data?.spec;
    if (!isRunSpec(spec)) throw new UnrecoverableError(`job ${job.id}: its data holds no run spec (${JSON.stringify(job.data).slice(0, 200)})`);
    log.info({ key: job.id, run: spec.id, attempt: job.attemptsStarted }, 'run started');
    // the sweep's onStart hook (logged first: whoever hears of the start can find it in the log)
    const progress: QueueJobProgress = { worker: workerName };
    await job.updateProgress({ ...progress }).catch(() => undefined);
    const thread = idle.pop();
    if (!thread) throw new Error(`workerCommand: more runs at once than the ${concurrency} run thread(s)`);
    let result: RunResult;
    try {
      result = await thread.run(spec);
    } finally {
      idle.push(thread);
    }
    log.info({ key: job.id, run: spec.id, status: result.status, iterations: result.iterations, wallSeconds: result.wallSeconds }, 'run finished');
    return result;
  };
  const worker = new Worker<QueueJobData, RunResult>(name, processRun, {
    connection: redisConnection(target),
    prefix: QUEUE_PREFIX,
    name: workerName,
    concurrency,
    lockDuration: lockMs,
    stalledInterval: stalledMs,
    maxStalledCount: attempts - 1,
    autorun: false,
  });
  let lastError = '';
  worker.on('error', (err) => {
    // ioredis reconnects by itself: log each distinct error once, not every retry
    if (err.message === lastError) return;
    lastError = err.message;
    log.warn({ err: err.message }, 'queue connection error (retrying)');
  });
  worker.on('failed', (job, err) => log.warn({ key: job?.id, err: err.message }, 'run failed'));
  worker.on('ready', () => (lastError = ''));

  let stopRequested: (why: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stopRequested = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'stopping after the current run (a second signal exits at once)');
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    const now = () => process.exit(EXIT.interrupted);
    process.once('SIGINT', now);
    process.once('SIGTERM', now);
    stopRequested(signal);
  };
  if (io.signals ?? true) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  void io.stop?.then(() => stopRequested('stop'));

  const running = worker.run();
  await worker.waitUntilReady();
  log.info({ redis: target.url, concurrency, lockMs, stalledMs, attempts }, 'worker ready');
  io.onReady?.(workerName);
  const why = await Promise.race([stopped, running.then(() => 'closed')]);
  await worker.close();
  await running;
  await Promise.all(threads.map((t) => t.close()));
  log.info({ why }, 'worker stopped');
  return EXIT.ok;
}

/** The minimal shape executeRun needs to record even a failure: an object with an id and a problem. */
function isRunSpec(value: unknown): value is RunSpec {
  const v = value as Partial<RunSpec> | undefined;
  return typeof v === 'object' && v !== null && typeof v.id === 'string' && typeof v.problem === 'object' && v.problem !== null && typeof v.solver === 'string';
}

function positiveInt(value: number, field: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InputError(`workerCommand: options.${field} is ${value}; expected an integer in [1, ${max}]`);
  }
  return value;
}
