import { Worker } from 'node:worker_threads';
import type { RunResult } from '../../bench/execute-run';
import type { RunSpec } from '../../bench/expand-grid';

/** A run sent to a run thread. */
export interface RunThreadRequest {
  readonly id: number;
  readonly spec: RunSpec;
}

/**
 * What a run thread sends back: once `ready`, then one result per request, with `detail`, the full message of a
 * problem that could not be built (it may quote the data: for the worker's log, not for the result).
 */
export type RunThreadReply = { readonly ready: true } | { readonly id: number; readonly result: RunResult; readonly detail?: string };

/** The outcome of {@link RunThread.run}. */
export interface RunThreadOutcome {
  readonly result: RunResult;
  readonly detail?: string;
}

/**
 * A worker thread that executes runs ({@link executeRun}, with a {@link ProblemCache} of its own) so that the
 * thread holding the queue connection stays free: BullMQ renews a run's lock from the event loop, and building a
 * problem or its reference h* is synchronous work of seconds that would otherwise let the lock expire and the run
 * be taken, and executed again, by another worker. The thread is started once and serves one run at a time; if it
 * dies (out of memory, a crash) or is ended by {@link abort} (a time limit, a worker told to stop), the run in
 * progress is rejected and the next one starts a fresh thread.
 *
 * @example
 * const thread = new RunThread();
 * const result = await thread.run(spec);
 * await thread.close();
 */
export class RunThread {
  private worker?: Worker;
  private ready?: Promise<void>;
  private nextId = 0;
  private current?: { readonly id: number; readonly resolve: (r: RunThreadOutcome) => void; readonly reject: (e: Error) => void };
  private closed = false;

  /** Executes one run in the thread (started on first use); rejects only if the thread died or was aborted. */
  async run(spec: RunSpec): Promise<RunThreadOutcome> {
    if (this.closed) throw new Error('RunThread.run: the thread is closed');
    if (this.current) throw new Error('RunThread.run: a run is in progress; a run thread executes one at a time');
    const worker = await this.start();
    const id = this.nextId++;
    return new Promise<RunThreadOutcome>((resolve, reject) => {
      this.current = { id, resolve, reject };
      worker.postMessage({ id, spec } satisfies RunThreadRequest);
    });
  }

  /** Starts the thread now (a worker does so before taking its first run). */
  async start(): Promise<Worker> {
    if (!this.worker) {
      const worker = new Worker(new URL('./run-thread-entry.mjs', import.meta.url));
      this.worker = worker;
      this.ready = new Promise<void>((resolve, reject) => {
        worker.on('message', (reply: RunThreadReply) => {
          if ('ready' in reply) return resolve();
          const current = this.current;
          if (current?.id !== reply.id) return;
          this.current = undefined;
          current.resolve({ result: reply.result, ...(reply.detail !== undefined ? { detail: reply.detail } : {}) });
        });
        const died = (err: Error) => {
          if (this.worker === worker) this.worker = undefined;
          reject(err);
          const current = this.current;
          this.current = undefined;
          current?.reject(err);
        };
        worker.on('error', died);
        worker.on('exit', (code) => died(new Error(`the run thread exited (code ${code})`)));
      });
    }
    await this.ready;
    return this.worker!;
  }

  /** Ends the thread now: the run in progress (if any) is rejected; the next run starts a fresh thread. */
  async abort(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  /** Stops the thread (a run in progress is abandoned). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
