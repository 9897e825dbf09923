import { Worker } from 'node:worker_threads';
import type { ThreadSource, WorkerMessage, WorkerStart } from './thread-layout';

/** Options of {@link ThreadPool}. */
export interface ThreadPoolOptions {
  /** Threads of each run, this one included: 2 or 3 (one per stream at most); the pool holds threads − 1 workers. */
  readonly threads: number;
  /** How each worker rebuilds the problem and solver (once, when the pool starts). */
  readonly rebuild: ThreadSource;
}

/**
 * The worker threads of threaded runs (`run(…, { pool })`), kept from one run to the next: each rebuilds the problem
 * and solver once, and every run then binds fresh stream states in them (the same seeds and results as a run that
 * starts its own workers). For many runs on one problem in one process (seeds of a sweep, a benchmark's warm-up and
 * timed runs): the rebuild is paid once, and the workers' compiled code stays warm. One run at a time; a run that
 * starts while another holds the pool fails with an error. Workers start at the first run (or {@link ThreadPool.start});
 * {@link ThreadPool.close} ends them (a pool is not closed by its runs); until then they keep the process alive, as
 * any Worker does.
 *
 * @example
 * const pool = new ThreadPool({ threads: 2, rebuild: { module: import.meta.resolve('./my-problem.js'), name: 'rebuild' } });
 * for (const seed of [0, 1, 2]) await lastValueFrom(run(problem, solver, { seed, pool }));
 * await pool.close();
 */
export class ThreadPool {
  readonly threads: 2 | 3;
  readonly rebuild: ThreadSource;
  private started: Promise<readonly Worker[]> | undefined;
  private rejectStart: ((err: Error) => void) | undefined;
  private workers: Worker[] = [];
  private holder: object | undefined;
  private onClose: (() => void) | undefined;
  private failure: Error | undefined;
  private closed = false;

  constructor(options: ThreadPoolOptions) {
    const { threads, rebuild } = options ?? ({} as ThreadPoolOptions);
    if (threads !== 2 && threads !== 3) throw new RangeError(`ThreadPool: threads must be 2 or 3 (one per stream at most), received ${String(threads)}`);
    if (!rebuild || typeof rebuild.module !== 'string' || typeof rebuild.name !== 'string') {
      throw new RangeError('ThreadPool: rebuild must be { module, name, args? } (a module and the name of its function that rebuilds the problem and solver)');
    }
    this.threads = threads;
    this.rebuild = rebuild;
  }

  /**
   * Starts the workers if they are not started, and resolves once each has rebuilt the problem and solver; rejects
   * with the rebuild's error (the pool is then of no use) or when the pool is closed.
   */
  start(): Promise<readonly Worker[]> {
    if (this.closed) return Promise.reject(new Error('the thread pool is closed'));
    if (this.failure) return Promise.reject(this.failure);
    this.started ??= new Promise<readonly Worker[]>((resolve, reject) => {
      this.rejectStart = reject;
      const bootstrap = workerBootstrap(this.rebuild);
      const data: WorkerStart = { source: this.rebuild };
      let pending = this.threads - 1;
      const fail = (err: Error) => {
        this.failure ??= err;
        reject(this.failure);
      };
      for (let i = 0; i < this.threads - 1; i++) {
        const w = new Worker(bootstrap, { eval: true, workerData: data, execArgv: [] });
        this.workers.push(w);
        const onStart = (m: WorkerMessage) => {
          if ('error' in m) fail(new Error(`a worker thread could not rebuild the problem from ${this.rebuild.module}#${this.rebuild.name}: ${m.error}`));
          else if ('ready' in m) {
            w.off('message', onStart);
            if (--pending === 0) {
              this.rejectStart = undefined;
              resolve(this.workers);
            }
          }
        };
        w.on('message', onStart);
        // a worker that dies (an uncaught error, out of memory) breaks the pool: later runs get this error
        w.on('error', (err) => fail(err));
        w.on('exit', (code) => {
          if (!this.closed) fail(new Error(`a worker thread exited (code ${code})`));
        });
      }
    });
    return this.started;
  }

  /**
   * @internal Takes the pool for one run (`holder`), whose `onClose` ends it if the pool is closed meanwhile; throws
   * when another run holds the pool or it is closed.
   */
  acquire(holder: object, onClose: () => void): void {
    if (this.closed) throw new Error('the thread pool is closed');
    if (this.holder !== undefined && this.holder !== holder) throw new Error('the thread pool is in use by another run (one run at a time)');
    this.holder = holder;
    this.onClose = onClose;
  }

  /** @internal Gives the pool back after a run (its workers leave the run's loop on its exit operation). */
  release(holder: object): void {
    if (this.holder !== holder) return;
    this.holder = undefined;
    this.onClose = undefined;
  }

  /** Ends the workers. A run on the pool at that moment ends with an error; later runs fail at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const onClose = this.onClose;
    this.holder = undefined;
    this.onClose = undefined;
    onClose?.();
    this.rejectStart?.(new Error('the thread pool is closed'));
    this.rejectStart = undefined;
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * The worker's entry script. Loader hooks of the parent (tsx, when this runs from TypeScript source or the rebuild
 * module is TypeScript) do not reach worker threads in Node 20, so the script registers tsx itself before importing.
 */
function workerBootstrap(source: ThreadSource): string {
  const fromSource = import.meta.url.endsWith('.ts');
  const worker = new URL(`./thread-worker${fromSource ? '.ts' : '.js'}`, import.meta.url).href;
  const needsTsx = fromSource || /\.[cm]?tsx?$/.test(source.module) || process.execArgv.some((a) => a.includes('tsx'));
  const tsx = needsTsx ? import.meta.resolve('tsx/esm/api') : undefined;
  return `(async () => { ${tsx ? `(await import(${JSON.stringify(tsx)})).register();` : ''} await import(${JSON.stringify(worker)}); })().catch((err) => { require('node:worker_threads').parentPort.postMessage({ error: String(err && err.message || err), phase: 'rebuild' }); });`;
}
