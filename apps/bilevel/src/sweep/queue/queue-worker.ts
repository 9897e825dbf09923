import { hostname } from 'node:os';
import { UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { InputError } from '@bilevel/io';
import { createLogger } from '@bilevel/telemetry';
import { EXIT } from '../../exit-codes';
import type { RunResult } from '../../bench/execute-run';
import type { RunSpec } from '../../bench/expand-grid';
import { MAX_RUN_ITER } from '../../bench/grid-spec';
import { parseRunSpec, RunSpecError } from '../../bench/parse-run-spec';
import { runKey } from '../run-key';
import type { DataRoot } from './data-roots';
import { confineDataPaths, DataPathError, resolveDataRoots } from './data-roots';
import type { QueueJobData, QueueJobProgress } from './queue-protocol';
import { checkAttempts, checkQueueName, DEFAULT_ATTEMPTS, DEFAULT_LOCK_MS, DEFAULT_MAX_RUN_SECONDS, DEFAULT_QUEUE_NAME, DEFAULT_STALLED_MS, QUEUE_PREFIX } from './queue-protocol';
import type { SignedResult } from './queue-secret';
import { signResult, verifyJob } from './queue-secret';
import type { RedisAuthSource } from './redis-url';
import { checkRedis, redisConnection, resolveRedisTarget } from './redis-url';
import { RunThread } from './run-thread';

export { DEFAULT_LOCK_MS, DEFAULT_MAX_RUN_SECONDS, DEFAULT_STALLED_MS } from './queue-protocol';
/** Largest `--max-run-seconds`: a week. */
export const MAX_RUN_SECONDS_LIMIT = 7 * 86_400;

/** Options of {@link workerCommand} (`bilevel worker`). */
export interface QueueWorkerOptions extends RedisAuthSource {
  /** `redis://HOST:PORT[/DB]` of the sweep's Redis (`--queue`); the password may come from a file or the environment. */
  readonly queue: string;
  /** The secret shared with the sweeps ({@link readQueueSecret}): jobs must carry its tag; results are signed with it. */
  readonly secret: Buffer;
  /** Folders runs may read data from (`--data-root`, repeatable) besides the bundled data [none]. */
  readonly dataRoots?: readonly string[];
  /** Wall time of one run, s [{@link DEFAULT_MAX_RUN_SECONDS}]; a run asking for more solver time is refused. */
  readonly maxRunSeconds?: number;
  /** Largest `maxIter` of a run [MAX_RUN_ITER, the grid's own limit]; a run asking for more is refused. */
  readonly maxRunIter?: number;
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
  /**
   * Stop on SIGINT/SIGTERM: end the current run and hand it back to the queue (another worker takes it at once),
   * then close (a second signal exits at once). Default true.
   */
  readonly signals?: boolean;
  /** Resolves to stop the worker as a signal would (tests, embedding). */
  readonly stop?: Promise<unknown>;
  /** Called once the worker is connected and waits for runs. */
  readonly onReady?: (workerName: string) => void;
}

/**
 * `bilevel worker --queue redis://HOST:PORT`: takes runs from the sweep queue and executes each with
 * {@link executeRun} (the code path of `bilevel run`) in a {@link RunThread} (one per `concurrency` slot, each with its
 * problem cache), so that this thread is always free to renew the run's lock; it returns the {@link RunResult},
 * signed with the shared secret ({@link signResult}), as the job's return value, which the sweep checks and reads
 * back. Workers on any number of machines may serve one queue. A run whose worker dies (kill -9, power loss) keeps
 * its lock for at most `lockMs`; then the stalled-run check of any live worker, every `stalledMs`, puts it back on
 * the queue, at most `attempts − 1` times.
 *
 * A worker trusts no job ({@link checkJob}): it must carry the secret's tag, be a run some grid expands to (the grid
 * schema: its problems, solvers, budgets), ask for at most `maxRunIter` iterations and `maxRunSeconds` of solver
 * time, and read data only under the data roots (real paths, links followed). A refused job fails at once, with
 * a reason that names the offending field and quotes nothing from any file. A run is ended after `maxRunSeconds`
 * of wall time. The first SIGINT/SIGTERM ends the current run and hands it back to the queue, then exits.
 * Checks Redis first (InputError when unreachable). Resolves with the exit code once stopped (0).
 *
 * @example
 * const code = await workerCommand({ queue: 'redis://127.0.0.1:6379', secret: readQueueSecret() }, {});
 */
export async function workerCommand(options: QueueWorkerOptions, io: QueueWorkerIo = {}): Promise<number> {
  const target = resolveRedisTarget(options.queue, options);
  const name = checkQueueName(options.name ?? DEFAULT_QUEUE_NAME);
  const attempts = checkAttempts(options.attempts ?? DEFAULT_ATTEMPTS);
  const concurrency = positiveInt(options.concurrency ?? 1, 'concurrency', 64);
  const lockMs = positiveInt(options.lockMs ?? DEFAULT_LOCK_MS, 'lockMs', 3_600_000);
  const stalledMs = positiveInt(options.stalledMs ?? DEFAULT_STALLED_MS, 'stalledMs', 3_600_000);
  const maxRunSeconds = positiveInt(options.maxRunSeconds ?? DEFAULT_MAX_RUN_SECONDS, 'maxRunSeconds', MAX_RUN_SECONDS_LIMIT);
  const maxRunIter = positiveInt(options.maxRunIter ?? MAX_RUN_ITER, 'maxRunIter', MAX_RUN_ITER);
  if (!Buffer.isBuffer(options.secret) || options.secret.length === 0) throw new TypeError('workerCommand: options.secret must be the queue secret (readQueueSecret)');
  const secret = options.secret;
  const roots = resolveDataRoots(options.dataRoots ?? []);
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
  let stopping = false;
  const processRun = async (job: Job<QueueJobData, SignedResult>, token?: string): Promise<SignedResult> => {
    const key = String(job.id);
    let spec: RunSpec;
    try {
      spec = checkJob(key, job.data, { secret, roots, maxRunIter, maxRunSeconds });
    } catch (err) {
      log.warn({ key, err: (err as Error).message }, 'job refused');
      throw new UnrecoverableError(`refused by worker ${workerName}: ${(err as Error).message}`);
    }
    log.info({ key, run: spec.id, attempt: job.attemptsStarted }, 'run started');
    // the sweep's onStart hook (logged first: whoever hears of the start can find it in the log)
    const progress: QueueJobProgress = { worker: workerName };
    await job.updateProgress({ ...progress }).catch(() => undefined);
    const thread = idle.pop();
    if (!thread) throw new Error(`workerCommand: more runs at once than the ${concurrency} run thread(s)`);
    let result: RunResult;
    try {
      const outcome = await runWithin(thread, spec, maxRunSeconds);
      result = outcome.result;
      if (outcome.detail !== undefined) log.warn({ key, run: spec.id, detail: outcome.detail }, 'cannot build the problem (the result says so without the details)');
    } catch (err) {
      if (stopping) {
        // told to stop: the run goes back to the queue, first in line, for another worker
        await job.moveToWait(token);
        log.info({ key, run: spec.id }, 'run handed back to the queue');
        throw new WaitingError();
      }
      throw err;
    } finally {
      idle.push(thread);
    }
    log.info({ key, run: spec.id, status: result.status, iterations: result.iterations, wallSeconds: result.wallSeconds }, 'run finished');
    // the job's result is the original spec's (the thread ran the one with real data paths)
    return signResult(secret, key, { ...result, spec: job.data.spec });
  };
  const worker = new Worker<QueueJobData, SignedResult>(name, processRun, {
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
  worker.on('failed', (job, err) => {
    if (!(err instanceof UnrecoverableError)) log.warn({ key: job?.id, err: err.message }, 'run failed');
  });
  worker.on('ready', () => (lastError = ''));

  let stopRequested: (why: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stopRequested = resolve));
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    // end the running runs now: processRun hands each back to the queue
    for (const t of threads) void t.abort();
    stopRequested(why);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'stopping: the current run goes back to the queue (a second signal exits at once)');
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    const now = () => process.exit(EXIT.interrupted);
    process.once('SIGINT', now);
    process.once('SIGTERM', now);
    stop(signal);
  };
  if (io.signals ?? true) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  void io.stop?.then(() => stop('stop'));

  const running = worker.run();
  await worker.waitUntilReady();
  log.info({ redis: target.url, concurrency, lockMs, stalledMs, attempts, maxRunSeconds, maxRunIter, dataRoots: roots.map((r) => r.given) }, 'worker ready');
  io.onReady?.(workerName);
  const why = await Promise.race([stopped, running.then(() => 'closed')]);
  await worker.close();
  await running;
  await Promise.all(threads.map((t) => t.close()));
  log.info({ why }, 'worker stopped');
  return EXIT.ok;
}

/** What {@link checkJob} checks a job against. */
export interface JobPolicy {
  readonly secret: Buffer;
  readonly roots: readonly DataRoot[];
  readonly maxRunIter: number;
  readonly maxRunSeconds: number;
}

/**
 * The run a job asks for, if this worker may execute it: the job's tag is the secret's ({@link verifyJob}), its spec
 * is one a grid expands to ({@link parseRunSpec}) and its id that spec's run key, its budget within the worker's
 * limits, its data under the data roots ({@link confineDataPaths}: the returned spec has the real paths). Throws an
 * InputError naming the first reason; no message quotes a file.
 */
export function checkJob(key: string, data: unknown, policy: JobPolicy): RunSpec {
  const d = data as Partial<QueueJobData> | null | undefined;
  if (d === null || typeof d !== 'object' || !verifyJob(policy.secret, key, d.spec, d.tag)) {
    throw new InputError('the job is not signed with this worker\'s secret (queued by a sweep with another --secret-file / BILEVEL_QUEUE_SECRET, or by someone else); not run', `job ${key}`);
  }
  let spec: RunSpec;
  try {
    spec = parseRunSpec(d.spec);
  } catch (err) {
    if (err instanceof RunSpecError) throw new InputError(err.message, `job ${key}`);
    throw err;
  }
  if (runKey(spec) !== key) throw new InputError(`the job's id is not the run key of its spec (${runKey(spec)})`, `job ${key}`);
  if (spec.maxIter !== undefined && spec.maxIter > policy.maxRunIter) {
    throw new InputError(`maxIter ${spec.maxIter} is more than this worker allows (--max-run-iter ${policy.maxRunIter})`, `job ${key}`);
  }
  if (spec.maxSeconds !== undefined && spec.maxSeconds > policy.maxRunSeconds) {
    throw new InputError(`maxSeconds ${spec.maxSeconds} is more than this worker allows (--max-run-seconds ${policy.maxRunSeconds})`, `job ${key}`);
  }
  try {
    return confineDataPaths(spec, policy.roots);
  } catch (err) {
    if (err instanceof DataPathError) throw new InputError(err.message, `job ${key}`);
    throw err;
  }
}

/**
 * Runs `spec` on `thread` for at most `seconds` of wall time: past that the thread is ended and the run recorded as
 * an error saying so. Rejects when the thread dies or is aborted (a worker told to stop).
 */
async function runWithin(thread: RunThread, spec: RunSpec, seconds: number) {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const t0 = performance.now();
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      resolve();
    }, seconds * 1000);
  });
  try {
    const outcome = await Promise.race([thread.run(spec), limit]);
    if (outcome) return outcome;
  } catch (err) {
    if (!timedOut) throw err;
  } finally {
    clearTimeout(timer);
  }
  await thread.abort();
  const result: RunResult = {
    id: spec.id,
    spec,
    status: 'error',
    error: { name: 'RunTimeLimit', message: `ended after ${seconds} s of wall time, this worker's limit (--max-run-seconds)` },
    backend: 'none (the run was ended)',
    iterations: 0,
    solverSeconds: 0,
    oracleCalls: 0,
    evaluationSeconds: 0,
    wallSeconds: (performance.now() - t0) / 1000,
    points: [],
  };
  return { result };
}

function positiveInt(value: number, field: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InputError(`workerCommand: options.${field} is ${value}; expected an integer in [1, ${max}]`);
  }
  return value;
}
