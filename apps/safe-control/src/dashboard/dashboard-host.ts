import type { DashboardMessage, DashboardMeta, DashboardSession } from '@bilevel/dashboard';
import { openDashboard } from '@bilevel/dashboard';
import type { DashboardPort } from './train-dashboard';

/**
 * The page of a training, served by the thread that receives the signals (the main thread when the training runs in
 * a worker, see runInWorker): the worker posts {@link DashboardPort} calls, this host opens the session at the first
 * `open` (messages sent meanwhile are kept and applied once it listens), its Stop button calls `onStop` (the
 * program's Ctrl-C path), and {@link DashboardHost.finish} serves the page after the training as `--dashboard-linger`
 * says.
 */
export class DashboardHost implements DashboardPort {
  #session: DashboardSession | undefined;
  #opening: Promise<void> | undefined;
  readonly #pending: DashboardMessage[] = [];

  constructor(
    private readonly stderr: NodeJS.WritableStream,
    private readonly onStop: () => void,
  ) {}

  open(meta: DashboardMeta, linger: number | undefined): void {
    if (this.#opening) return;
    this.#opening = openDashboard({ meta, stderr: this.stderr, onStop: this.onStop, ...(linger !== undefined ? { linger } : {}) }).then(
      (s) => {
        this.#session = s;
        for (const m of this.#pending.splice(0)) s.sink(m);
      },
      (err: unknown) => void this.stderr.write(`safe-control: the dashboard could not start: ${(err as Error).message}\n`),
    );
  }

  send(message: DashboardMessage): void {
    if (this.#session) this.#session.sink(message);
    else if (this.#opening) this.#pending.push(message);
  }

  /** The training is stopping (Ctrl-C): the page says so. */
  stopping(): void {
    this.#session?.stopping();
  }

  /** The training ended with this exit code: the page gets it, then is served until closed (or the linger, or Ctrl-C). */
  async finish(exitCode: number, signals: boolean): Promise<void> {
    await this.#opening;
    const session = this.#session;
    if (!session) return;
    let onSignal = () => undefined as void;
    const interrupt = new Promise<void>((r) => (onSignal = r));
    if (signals) process.once('SIGINT', onSignal);
    try {
      await session.finish({ exitCode }, interrupt);
    } finally {
      process.removeListener('SIGINT', onSignal);
    }
  }
}
