import { Worker } from 'node:worker_threads';
import type { DashboardMessage, DashboardMeta } from '@bilevel/dashboard';
import { EXIT } from './exit-codes';
import { DashboardHost } from './dashboard/dashboard-host';

/** Where {@link runInWorker} writes, and whether it handles the signals. */
export interface WorkerIo {
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  /** Whether stderr is a terminal (progress bar, pretty logs). Default: process.stderr.isTTY. */
  readonly tty?: boolean;
  /** Install the SIGINT/SIGTERM handlers. Default true. */
  readonly signals?: boolean;
}

/** What the command's thread posts: its output, in order, then its exit code. */
export type WorkerMessage =
  | { readonly kind: 'write'; readonly stream: 'stdout' | 'stderr'; readonly chunk: string }
  | { readonly kind: 'done'; readonly code: number }
  | { readonly kind: 'dashboard-open'; readonly meta: DashboardMeta; readonly linger: number | undefined }
  | { readonly kind: 'dashboard'; readonly message: DashboardMessage };

/** The data a command worker starts with (see runCommandWorker). */
export interface WorkerStart {
  readonly argv: readonly string[];
  /** Int32Array over a SharedArrayBuffer: element 0 becomes 1 when the user interrupts. */
  readonly flag: Int32Array;
  readonly tty: boolean;
  readonly columns: number;
}

/**
 * Runs `safe-control ARGV` (the program of main.ts) in a worker thread while this thread only relays its output and
 * receives the signals. A training step is synchronous and can last seconds (branch and bound, a long lower fit);
 * a signal handler of the thread that computes runs only between steps, so here the handler sets a flag in shared
 * memory that the LP, the verifiers and the neural fit read between units of work (`CommandIo.stop`), and the step
 * in progress is abandoned at once: the training stops within a fraction of a second of Ctrl-C, saving its last
 * completed step. A second SIGINT exits at once (130). Returns the program's exit code; a crash of the worker is an
 * internal error (1) with its stack.
 *
 * @example
 * process.exitCode = await runInWorker(process.argv.slice(2));
 */
export function runInWorker(argv: readonly string[], io: WorkerIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const tty = io.tty ?? Boolean(process.stderr.isTTY);
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const start: WorkerStart = { argv: [...argv], flag, tty, columns: (stderr as { columns?: number }).columns ?? 80 };
  const worker = new Worker(new URL('../bin/command-worker.mjs', import.meta.url), { workerData: start, stdout: false, stderr: false });
  return new Promise<number>((resolve) => {
    let done = false;
    /** The command's thread posted its exit code: its own end is expected. */
    let ending = false;
    const exitNow = () => process.exit(EXIT.interrupted);
    const onSignal = (signal: string) => {
      stderr.write(`\nreceived ${signal}: stopping now, the step in progress is dropped and the last completed one saved (press again to exit at once)\n`);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      process.once('SIGINT', exitNow);
      Atomics.store(flag, 0, 1);
      worker.postMessage({ kind: 'interrupt', signal });
      dashboard.stopping();
    };
    // train --dashboard: this thread serves the page; its Stop is the Ctrl-C path (the flag, then the message)
    const dashboard = new DashboardHost(stderr, () => {
      stderr.write('\nstop from the dashboard: stopping now, the step in progress is dropped and the last completed one saved\n');
      Atomics.store(flag, 0, 1);
      worker.postMessage({ kind: 'interrupt', signal: 'dashboard' });
    });
    const finish = (code: number) => {
      if (done) return;
      done = true;
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', exitNow);
      resolve(code);
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'write') (m.stream === 'stdout' ? stdout : stderr).write(m.chunk);
      else if (m.kind === 'dashboard-open') dashboard.open(m.meta, m.linger);
      else if (m.kind === 'dashboard') dashboard.send(m.message);
      else {
        ending = true;
        void worker.terminate();
        // the page is served after the training as --dashboard-linger says (at once when there is none)
        void dashboard.finish(m.code, io.signals ?? true).then(() => finish(m.code));
      }
    });
    worker.on('error', (err) => {
      stderr.write(`safe-control: internal error: ${err?.stack ?? String(err)}\n`);
      finish(EXIT.internal);
    });
    worker.on('exit', (code) => {
      if (ending) return;
      if (!done) stderr.write(`safe-control: internal error: the command's thread ended (code ${code}) without a result\n`);
      finish(EXIT.internal);
    });
    if (io.signals ?? true) {
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }
  });
}
