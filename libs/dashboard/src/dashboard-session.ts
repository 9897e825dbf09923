import type { DashboardHubOptions } from './dashboard-hub';
import { DashboardHub } from './dashboard-hub';
import type { DashboardJson, DashboardMeta, DashboardSink } from './dashboard-message';
import type { DashboardAction, DashboardServer } from './dashboard-server';
import { startDashboardServer } from './dashboard-server';

/** Options of {@link openDashboard}. */
export interface DashboardSessionOptions {
  readonly meta: DashboardMeta;
  /** Where the address and the lingering notes are written (the program's stderr). */
  readonly stderr: NodeJS.WritableStream;
  /**
   * Seconds the page is served after the run ended, at most (it also ends when the last page is closed or its
   * Close button is pressed; with no page open, it waits this long for one). Default: until the last open page is
   * closed, and not at all when none is open. 0: the server stops with the run.
   */
  readonly linger?: number;
  /** The page's Stop button: the program's Ctrl-C path (stop after the current step, checkpoint, exit 130). */
  readonly onStop?: () => void;
  /** Seconds a page may take to come back (a reload) before its leaving counts as closing. Default 1.5. */
  readonly reconnectSeconds?: number;
  readonly hub?: DashboardHubOptions;
  /** Port on 127.0.0.1 (tests); default a free one. */
  readonly port?: number;
}

/**
 * A dashboard for the length of one run: a {@link DashboardHub} served by {@link startDashboardServer}, the address
 * printed on stderr, the page's buttons wired (Stop calls `onStop`, the program's own Ctrl-C path; Pause holds the
 * run through {@link DashboardSession.hold}; Close ends the lingering), and the end of the run
 * ({@link DashboardSession.finish}): the last state pushed, then the page served until it is closed or `linger`
 * seconds have passed.
 */
export class DashboardSession {
  readonly hub: DashboardHub;
  /** Sends a message to the page (records it in the hub). */
  readonly sink: DashboardSink;
  #server: DashboardServer | undefined;
  #paused: { promise: Promise<void>; release: () => void } | undefined;
  #ended = false;
  #stopRequested = false;
  #closeWaiters: (() => void)[] = [];
  #connectionWaiters: (() => void)[] = [];

  private constructor(readonly options: DashboardSessionOptions) {
    this.hub = new DashboardHub(options.hub);
    this.sink = (m) => this.hub.apply(m);
    this.hub.apply({ type: 'meta', meta: options.meta });
    this.hub.apply({ type: 'state', patch: { status: 'running' } });
  }

  /** Starts the server and prints its address. */
  static async open(options: DashboardSessionOptions): Promise<DashboardSession> {
    if (options.linger !== undefined && !(options.linger >= 0 && Number.isFinite(options.linger))) {
      throw new RangeError(`openDashboard: linger must be a finite number of seconds ≥ 0, received ${options.linger}`);
    }
    const session = new DashboardSession(options);
    session.#server = await startDashboardServer({
      hub: session.hub,
      ...(options.port !== undefined ? { port: options.port } : {}),
      onAction: (a) => session.#act(a),
      onConnections: () => {
        for (const w of session.#connectionWaiters.splice(0)) w();
      },
    });
    options.stderr.write(`dashboard: ${session.#server.url}\n`);
    return session;
  }

  /** The page's address, with its token. */
  get url(): string {
    return this.#server?.url ?? '';
  }

  /** Pages connected now. */
  get connections(): number {
    return this.#server?.connections ?? 0;
  }

  /** Resolves once a page is connected (at once if one is), or when `interrupt` settles (e.g. Ctrl-C). */
  async waitForPage(interrupt?: Promise<unknown>): Promise<void> {
    let stopped = false;
    void interrupt?.then(() => (stopped = true));
    while (this.connections === 0 && !stopped && this.#server) {
      const change = new Promise<void>((r) => this.#connectionWaiters.push(r));
      await (interrupt ? Promise.race([change, interrupt]) : change);
    }
  }

  /** Whether the run is held by the page's Pause button. */
  get paused(): boolean {
    return this.#paused !== undefined;
  }

  /** While paused, a promise that settles on Resume or Stop (a run's `onYield` returns it); otherwise undefined. */
  hold(): Promise<void> | undefined {
    return this.#paused?.promise;
  }

  /** The run is stopping (Ctrl-C or the page): a pause is released and the page says so. */
  stopping(): void {
    this.#stopRequested = true;
    this.#release();
    if (!this.#ended) this.hub.apply({ type: 'state', patch: { status: 'stopping', paused: false } });
  }

  #release(): void {
    const p = this.#paused;
    this.#paused = undefined;
    p?.release();
  }

  #act(action: DashboardAction): boolean {
    const controls = this.options.meta.controls;
    switch (action) {
      case 'stop':
        if (!controls.stop || this.#ended || this.#stopRequested || !this.options.onStop) return false;
        this.stopping();
        this.options.onStop();
        return true;
      case 'pause': {
        if (!controls.pause || this.#ended || this.#stopRequested || this.#paused) return false;
        let release = () => undefined as void;
        const promise = new Promise<void>((r) => (release = r));
        this.#paused = { promise, release };
        this.hub.apply({ type: 'state', patch: { status: 'paused', paused: true } });
        return true;
      }
      case 'resume':
        if (!this.#paused) return false;
        this.#release();
        this.hub.apply({ type: 'state', patch: { status: 'running', paused: false } });
        return true;
      case 'close':
        if (!this.#ended) return false;
        for (const w of this.#closeWaiters.splice(0)) w();
        return true;
    }
  }

  /**
   * The run ended: its last state is pushed to the pages (`status: 'ended'` and the given facts), then the page is
   * served as {@link DashboardSessionOptions.linger} says, and the server closes. `interrupt` (e.g. Ctrl-C while
   * lingering) ends the wait at once.
   */
  async finish(patch: Record<string, DashboardJson>, interrupt?: Promise<unknown>): Promise<void> {
    this.#ended = true;
    this.#release();
    this.hub.apply({ type: 'state', patch: { ...patch, status: 'ended', paused: false } });
    this.hub.flush();
    const { linger, stderr } = this.options;
    try {
      if (linger === 0) return;
      if (linger === undefined && this.connections === 0) {
        stderr.write('dashboard: the run ended and no page is open; the server stops (replay the run folder with `bilevel dashboard DIR`)\n');
        return;
      }
      stderr.write(
        linger === undefined
          ? 'dashboard: the run ended; the page stays served until it is closed (or its Close button, or Ctrl-C)\n'
          : `dashboard: the run ended; the page stays served for at most ${linger} s (until it is closed, its Close button, or Ctrl-C)\n`,
      );
      await this.#linger(linger, interrupt);
    } finally {
      await this.close();
    }
  }

  async #linger(linger: number | undefined, interrupt?: Promise<unknown>): Promise<void> {
    const timers: NodeJS.Timeout[] = [];
    const waits: Promise<unknown>[] = [new Promise<void>((r) => this.#closeWaiters.push(r))];
    if (interrupt) waits.push(interrupt);
    if (linger !== undefined) waits.push(new Promise<void>((r) => timers.push(setTimeout(r, linger * 1000))));
    // the pages all closed, and none came back within the reconnection time (a reload), once one had been open
    const reconnectMs = (this.options.reconnectSeconds ?? 1.5) * 1000;
    const change = () => new Promise<boolean>((r) => this.#connectionWaiters.push(() => r(true)));
    let done = false;
    waits.push(
      (async () => {
        let seen = this.connections > 0;
        for (;;) {
          if (done) return;
          if (this.connections > 0 || !seen) {
            seen ||= this.connections > 0;
            await change();
            continue;
          }
          const back = await Promise.race([change(), new Promise<boolean>((r) => timers.push(setTimeout(() => r(false), reconnectMs)))]);
          if (!back) return;
        }
      })(),
    );
    try {
      await Promise.race(waits);
    } finally {
      done = true;
      for (const t of timers) clearTimeout(t);
      for (const w of this.#connectionWaiters.splice(0)) w();
    }
  }

  /** Tells the pages the dashboard is closing, ends their streams and stops the server. */
  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    this.hub.apply({ type: 'state', patch: { closing: true } });
    this.hub.flush();
    await server.close();
  }
}

/** Opens a {@link DashboardSession}: starts the server on 127.0.0.1 and prints its address on `stderr`. */
export function openDashboard(options: DashboardSessionOptions): Promise<DashboardSession> {
  return DashboardSession.open(options);
}
