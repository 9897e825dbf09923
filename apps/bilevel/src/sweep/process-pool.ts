import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../bench/execute-run';
import { FLOAT64_BACKEND } from '../bench/execute-run';
import type { SweepResultMessage, SweepRunMessage } from './sweep-child';
import type { SweepExecutor, SweepHooks, SweepJob } from './sweep-types';

/** Largest pool {@link ProcessPool} accepts. */
export const MAX_POOL_WORKERS = 256;

/** Characters of a child's stderr kept to explain its exit. */
const STDERR_TAIL = 2000;

/** Options of {@link ProcessPool}. */
export interface ProcessPoolOptions {
  /** Number of child processes, an integer from 1 to {@link MAX_POOL_WORKERS}. Default `os.availableParallelism()`. */
  readonly workers?: number;
  /** Module each child runs. Default sweep-child-entry.mjs beside this file (registers tsx, serves runs). */
  readonly entry?: string;
}

/** One child process of the pool and the run it is busy with. */
interface Slot {
  readonly name: string;
  readonly child: ChildProcess;
  job?: SweepJob;
  started: number;
  stderr: string;
}

/** The state of one {@link ProcessPool.execute} call. */
interface Execution {
  /** The runs not yet given to a child, taken one at a time. */
  readonly queue: Iterator<SweepJob>;
  /** The next run, taken from `queue` to learn whether one is left. */
  next?: SweepJob;
  readonly hooks: SweepHooks;
  inFlight: number;
  settle(error?: unknown): void;
}

/**
 * The embedded executor of `bilevel sweep`: N child processes (default: the machine's cores), each with its own
 * {@link ProblemCache}, fed one run at a time over IPC (structured-clone serialization, so results arrive exactly
 * as {@link executeRun} returned them, NaN included). Children are forked on first use and kept between
 * {@link execute} calls until {@link close}.
 *
 * A child that exits while it holds a run (crash, out of memory, kill -9) turns that run into a result with status
 * 'error' naming the exit code or signal and the end of the child's stderr; a new child takes its place while runs
 * remain. When `hooks.signal` aborts, no new run is started and the children holding a run are ended (SIGTERM): their
 * runs get no result (they stay pending and rerun next time), so an interrupted sweep stops at once, not after its
 * longest run.
 *
 * @example
 * const pool = new ProcessPool({ workers: 2 });
 * try { await pool.execute(jobs, { onResult: (job, r) => store.writeResult(job, r) }); } finally { await pool.close(); }
 */
export class ProcessPool implements SweepExecutor {
  readonly workers: number;
  readonly description: string;
  private readonly entry: string;
  private readonly slots = new Set<Slot>();
  private spawned = 0;
  private current: Execution | undefined;
  private closed = false;

  constructor(options: ProcessPoolOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`ProcessPool: options is ${options === null ? 'null' : typeof options}; expected an object`);
    const workers = options.workers ?? availableParallelism();
    if (!Number.isInteger(workers) || workers < 1 || workers > MAX_POOL_WORKERS) {
      throw new RangeError(`ProcessPool: options.workers is ${String(workers)}; expected an integer from 1 to ${MAX_POOL_WORKERS}`);
    }
    this.workers = workers;
    this.entry = options.entry ?? fileURLToPath(new URL('./sweep-child-entry.mjs', import.meta.url));
    this.description = `pool (${workers} process${workers === 1 ? '' : 'es'})`;
  }

  /** Process id of a worker named in {@link SweepHooks.onStart} (`pool-3`), while it lives. */
  pidOf(worker: string): number | undefined {
    for (const s of this.slots) if (s.name === worker) return s.child.pid;
    return undefined;
  }

  execute(jobs: Iterable<SweepJob>, hooks: SweepHooks): Promise<void> {
    if (this.closed) return Promise.reject(new Error('ProcessPool.execute: the pool is closed'));
    if (this.current) return Promise.reject(new Error('ProcessPool.execute: already executing; expected one call at a time'));
    if (!hooks || typeof hooks.onResult !== 'function') return Promise.reject(new TypeError('ProcessPool.execute: hooks.onResult must be a function'));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => this.abandon();
      const execution: Execution = {
        queue: jobs[Symbol.iterator](),
        hooks,
        inFlight: 0,
        settle: (error?: unknown) => {
          if (this.current !== execution) return;
          this.current = undefined;
          hooks.signal?.removeEventListener('abort', onAbort);
          if (error === undefined) resolve();
          else reject(error instanceof Error ? error : new Error(String(error)));
        },
      };
      this.current = execution;
      hooks.signal?.addEventListener('abort', onAbort);
      for (const slot of this.slots) this.dispatch(slot);
      // a child per run up to the pool's size: a sweep of 3 runs starts 3 children
      while (!hooks.signal?.aborted && this.slots.size < this.workers && this.hasNext(execution)) this.dispatch(this.spawn());
      this.drain();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const exits = [...this.slots].map((s) => new Promise<void>((resolve) => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
      s.child.once('close', () => resolve());
      s.child.kill('SIGTERM');
    }));
    await Promise.all(exits);
    this.current?.settle();
  }

  private spawn(): Slot {
    const name = `pool-${++this.spawned}`;
    const child = fork(this.entry, [], {
      // its own process group: a terminal's Ctrl-C reaches the parent, which stops the sweep cleanly
      detached: true,
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const slot: Slot = { name, child, started: 0, stderr: '' };
    this.slots.add(slot);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      slot.stderr = (slot.stderr + chunk).slice(-STDERR_TAIL);
    });
    child.on('message', (message: unknown) => this.onMessage(slot, message));
    // a failed send or spawn is followed by 'close', which records the run
    child.on('error', () => undefined);
    child.on('close', (code, signal) => this.onClose(slot, code, signal));
    return slot;
  }

  /** Whether the execution has a run left (taking it from the iterator into `next`). */
  private hasNext(ex: Execution): boolean {
    if (ex.next) return true;
    const step = ex.queue.next();
    if (step.done) return false;
    ex.next = step.value;
    return true;
  }

  /** Aborted: the children holding a run are ended; their runs get no result ({@link onClose}). */
  private abandon(): void {
    for (const slot of this.slots) if (slot.job) slot.child.kill('SIGTERM');
    this.drain();
  }

  /** Gives an idle child the next run, unless none is left or the sweep was aborted. */
  private dispatch(slot: Slot): void {
    const ex = this.current;
    if (!ex || slot.job || this.closed || ex.hooks.signal?.aborted || !this.hasNext(ex)) return;
    const job = ex.next!;
    ex.next = undefined;
    slot.job = job;
    slot.started = performance.now();
    ex.inFlight++;
    const message: SweepRunMessage = { type: 'run', key: job.key, spec: job.spec };
    slot.child.send(message, (err) => void err);
    try {
      ex.hooks.onStart?.(job, slot.name);
    } catch (err) {
      ex.settle(err);
    }
  }

  /** Resolves the execution once nothing runs and nothing more will start. */
  private drain(): void {
    const ex = this.current;
    if (!ex || ex.inFlight > 0) return;
    if (ex.hooks.signal?.aborted || this.closed || !this.hasNext(ex)) ex.settle();
  }

  private finish(slot: Slot, result: RunResult): void {
    const ex = this.current;
    const job = slot.job;
    slot.job = undefined;
    if (!ex || !job) return;
    ex.inFlight--;
    try {
      ex.hooks.onResult(job, result);
    } catch (err) {
      ex.settle(err);
      return;
    }
    if (this.slots.has(slot)) this.dispatch(slot);
    this.drain();
  }

  private onMessage(slot: Slot, message: unknown): void {
    const m = message as Partial<SweepResultMessage> | null;
    if (m === null || typeof m !== 'object' || m.type !== 'result' || !slot.job || m.key !== slot.job.key || !m.result) return;
    this.finish(slot, m.result);
  }

  private onClose(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    this.slots.delete(slot);
    const job = slot.job;
    const ex = this.current;
    if (job && ex?.hooks.signal?.aborted && !this.closed) {
      // ended by abandon(): the run stays pending, without a result
      slot.job = undefined;
      ex.inFlight--;
    } else if (job) {
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      const why = this.closed ? 'the pool was closed during the run' : `the worker process ${slot.name} (pid ${slot.child.pid}) ended during the run with ${how}`;
      const tail = slot.stderr.trim().split('\n').slice(-5).join(' | ');
      this.finish(slot, crashResult(job, `${why}${tail ? `; its stderr ended with: ${tail}` : ''}`, (performance.now() - slot.started) / 1000));
    }
    // every live child is busy when runs are queued: replace the one that ended
    if (ex && !this.closed && !ex.hooks.signal?.aborted && this.slots.size < this.workers && this.hasNext(ex)) {
      this.dispatch(this.spawn());
    }
    this.drain();
  }
}

/** The result recorded for a run whose child process ended before answering. */
function crashResult(job: SweepJob, message: string, wallSeconds: number): RunResult {
  return {
    id: job.spec.id,
    spec: job.spec,
    status: 'error',
    error: { name: 'WorkerExitError', message },
    backend: FLOAT64_BACKEND,
    iterations: 0,
    solverSeconds: 0,
    oracleCalls: 0,
    evaluationSeconds: 0,
    wallSeconds,
    points: [],
  };
}
