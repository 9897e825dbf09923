import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { main } from './main';
import type { WorkerMessage, WorkerStart } from './run-in-worker';
import type { DashboardMessage, DashboardMeta } from '@bilevel/dashboard';

/**
 * The worker side of {@link runInWorker}: runs `main(argv)` with stdout and stderr relayed to the main thread (one
 * message per write, in order) and the interruption taken from it: the promise resolves when its message arrives,
 * the stop flag is read synchronously from shared memory. Posts the exit code last.
 */
export async function runCommandWorker(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('runCommandWorker: not in a worker thread');
  const { argv, flag, tty, columns } = workerData as WorkerStart;
  const relay = (stream: 'stdout' | 'stderr'): Writable => {
    const w = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        port.postMessage({ kind: 'write', stream, chunk: chunk.toString() } satisfies WorkerMessage);
        callback();
      },
    });
    // the progress bar draws on a terminal: the relay stands for the main thread's stderr
    if (tty) Object.assign(w, { isTTY: true, columns });
    return w;
  };
  let interrupt: ((signal: string) => void) | undefined;
  const interrupted = new Promise<string>((r) => (interrupt = r));
  port.on('message', (m: { kind?: string; signal?: string }) => {
    if (m?.kind === 'interrupt') interrupt?.(String(m.signal));
  });
  const stop = {
    get aborted(): boolean {
      return Atomics.load(flag, 0) !== 0;
    },
  };
  // train --dashboard: the page's messages go to the main thread, which serves the page (plain JSON, posted as is)
  const dashboardPort = {
    open: (meta: DashboardMeta, linger: number | undefined) => port.postMessage({ kind: 'dashboard-open', meta, linger } satisfies WorkerMessage),
    send: (message: DashboardMessage) => port.postMessage({ kind: 'dashboard', message } satisfies WorkerMessage),
  };
  const code = await main(argv, { stdout: relay('stdout'), stderr: relay('stderr'), tty, signals: false, interruption: { interrupted, stop }, dashboardPort });
  port.postMessage({ kind: 'done', code } satisfies WorkerMessage);
}
