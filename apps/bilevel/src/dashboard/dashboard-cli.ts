import { InputError } from '@bilevel/io';
import type { DashboardMessage, DashboardSession, DashboardSink } from '@bilevel/dashboard';
import { openDashboard } from '@bilevel/dashboard';
import type { RunDashboard, RunDashboardRequest } from './run-dashboard';
import { runDashboard, runMeta } from './run-dashboard';
import { replayRun } from './replay-run';
import type { SweepDashboard, SweepDashboardRequest } from './sweep-dashboard';
import { sweepDashboard, sweepMeta } from './sweep-dashboard';
import { sweepJobs } from '../sweep/sweep-engine';
import { EXIT } from '../exit-codes';

/** The options of `bilevel run` that open a dashboard. */
export interface DashboardCliOptions {
  readonly dashboard?: boolean;
  /** `--dashboard-linger S`: seconds the page is served after the run, at most. */
  readonly dashboardLinger?: number;
}

/** What `bilevel run --dashboard` needs from the program. */
export interface RunDashboardCliIo {
  readonly stderr: NodeJS.WritableStream;
  /** The program's Ctrl-C path (stop after the current step, checkpoint, summary, exit 130): the page's Stop. */
  readonly stop: () => void;
  /** Install a SIGINT handler that ends the lingering (the program's own handlers are gone by then). Default true. */
  readonly signals?: boolean;
}

/** `bilevel run --dashboard` as the program drives it: the run's request, and the end of the page. */
export interface RunDashboardCli {
  /** For `RunIo.dashboard`: the page opens once the run's input is validated (bad input never starts a server). */
  readonly request: RunDashboardRequest;
  /** The run is stopping (Ctrl-C): a pause is released and the page says so. */
  stopping(): void;
  /** The run ended with this exit code: the page gets it, and is served as long as `--dashboard-linger` says. */
  finish(exitCode: number): Promise<void>;
  /** The run failed with an error (exit code given): the page says so and closes at once, the error is printed. */
  fail(exitCode: number): Promise<void>;
}

/**
 * Checks the dashboard options of `bilevel run` against the problem: an InputError for `--dashboard-linger` without
 * `--dashboard`, and for the tasks that have no live page (the meta-learning problems and the fractional task run
 * their own loops, not the three streams).
 */
export function checkDashboardOptions(options: DashboardCliOptions, problem: string): void {
  if (options.dashboardLinger !== undefined && !options.dashboard) throw new InputError('sets how long the page of --dashboard is served; add --dashboard', '--dashboard-linger');
  if (options.dashboard && (problem === 'fewshot' || problem === 'sinusoid' || problem === 'fractional')) {
    throw new InputError(`the live page follows the three streams of a bilevel run; --problem ${problem} runs its own loop (its trace.jsonl is written as it goes)`, '--dashboard');
  }
}

/**
 * `bilevel run --dashboard`: once the run's input is validated, a {@link DashboardSession} on 127.0.0.1 (its address
 * with a one-time token on stderr) fed by {@link runDashboard}; its Stop button is the program's Ctrl-C path, its
 * Pause holds the run between stretches of work (no solver time passes). When the run ended, the page gets its exit
 * code and is served until it is closed, or `--dashboard-linger` seconds, or Ctrl-C.
 */
export function runDashboardCli(options: DashboardCliOptions, io: RunDashboardCliIo): RunDashboardCli | undefined {
  if (!options.dashboard) return undefined;
  let session: DashboardSession | undefined;
  let run: RunDashboard | undefined;
  const request: RunDashboardRequest = {
    async start(info) {
      session = await openDashboard({
        meta: runMeta(info),
        stderr: io.stderr,
        onStop: io.stop,
        ...(options.dashboardLinger !== undefined ? { linger: options.dashboardLinger } : {}),
      });
      const s = session;
      run = runDashboard(s.sink, info, { hold: () => s.hold() });
      return run;
    },
  };
  return {
    request,
    stopping: () => session?.stopping(),
    async finish(exitCode) {
      if (!session) return;
      let onSignal: (() => void) | undefined;
      const interrupt = new Promise<void>((r) => (onSignal = r));
      if (io.signals ?? true) process.once('SIGINT', onSignal as () => void);
      try {
        await session.finish({ exitCode }, interrupt);
      } finally {
        process.removeListener('SIGINT', onSignal as () => void);
      }
    },
    async fail(exitCode) {
      if (!session) return;
      session.hub.apply({ type: 'state', patch: { status: 'ended', outcome: 'failed', failed: true, paused: false, exitCode } });
      await session.close();
    },
  };
}

/** Options of {@link replayCommand}. */
export interface ReplayOptions {
  /** Seconds the page is served after the run ended, at most (as `--dashboard-linger`). */
  readonly linger?: number;
  /** Milliseconds between two reads of a running run's trace. Default 500. */
  readonly pollMs?: number;
}

/**
 * `bilevel dashboard DIR`: the page of a run folder written by `bilevel run`, finished or running (its trace is
 * followed until its summary is written; see {@link replayRun}). Served on 127.0.0.1 with a one-time token, without
 * Pause or Stop; once the run has ended, the page is served until a page has been opened and closed (or the linger
 * runs out, or Ctrl-C). Returns the exit code: 0, or 130 after Ctrl-C.
 */
export async function replayCommand(dir: string, options: ReplayOptions, io: { readonly stderr: NodeJS.WritableStream; readonly signals?: boolean }): Promise<number> {
  const buffered: DashboardMessage[] = [];
  let target: DashboardSink = (m) => void buffered.push(m);
  const replay = replayRun(dir, (m) => target(m));
  replay.poll(); // bad input (a trace that is not JSON) before any server starts
  let interrupted = false;
  let onSignal = () => undefined as void;
  const interrupt = new Promise<void>((r) => (onSignal = () => ((interrupted = true), r())));
  if (io.signals ?? true) process.once('SIGINT', onSignal);
  const session = await openDashboard({ meta: replay.meta, stderr: io.stderr, ...(options.linger !== undefined ? { linger: options.linger } : {}) });
  try {
    for (const m of buffered.splice(0)) session.sink(m);
    target = session.sink;
    const pollMs = options.pollMs ?? 500;
    while (!interrupted && !replay.poll()) {
      await Promise.race([interrupt, new Promise((r) => setTimeout(r, pollMs))]);
    }
    // a finished run's page is worth opening: wait for one (the linger, when given, bounds the wait); the server
    // does not keep the program alive by itself, this timer does meanwhile
    if (options.linger === undefined) {
      const alive = setInterval(() => undefined, 2 ** 30);
      try {
        await session.waitForPage(interrupt);
      } finally {
        clearInterval(alive);
      }
    }
    await session.finish({}, interrupt);
  } finally {
    process.removeListener('SIGINT', onSignal);
    await session.close();
  }
  return interrupted ? EXIT.interrupted : EXIT.ok;
}

/** `bilevel sweep --dashboard` as the program drives it (see {@link runDashboardCli}). */
export interface SweepDashboardCli {
  /** For `SweepIo.dashboard`: the page opens once the grid file is read. */
  readonly request: SweepDashboardRequest;
  /** The sweep is stopping (Ctrl-C or the page's Stop). */
  stopping(): void;
  finish(exitCode: number): Promise<void>;
  fail(exitCode: number): Promise<void>;
}

/**
 * `bilevel sweep --dashboard`: once the grid is read, a page of the grid's runs ({@link sweepDashboard}); its Stop
 * button is the sweep's Ctrl-C path (no new run starts, the report covers the runs that ended). After the sweep the
 * page is served as for a run (`--dashboard-linger`).
 */
export function sweepDashboardCli(options: DashboardCliOptions, io: RunDashboardCliIo): SweepDashboardCli | undefined {
  if (options.dashboardLinger !== undefined && !options.dashboard) throw new InputError('sets how long the page of --dashboard is served; add --dashboard', '--dashboard-linger');
  if (!options.dashboard) return undefined;
  let session: DashboardSession | undefined;
  let sweep: SweepDashboard | undefined;
  let interrupted = false;
  return {
    request: {
      async start(info) {
        let runs = 0;
        for (const _ of sweepJobs(info.grid)) runs++;
        session = await openDashboard({
          meta: sweepMeta(info, runs),
          stderr: io.stderr,
          onStop: () => ((interrupted = true), io.stop()),
          ...(options.dashboardLinger !== undefined ? { linger: options.dashboardLinger } : {}),
        });
        sweep = sweepDashboard(session.sink, info);
        return sweep;
      },
    },
    stopping: () => {
      interrupted = true;
      session?.stopping();
    },
    async finish(exitCode) {
      if (!session) return;
      sweep?.ended(interrupted);
      let onSignal: (() => void) | undefined;
      const interrupt = new Promise<void>((r) => (onSignal = r));
      if (io.signals ?? true) process.once('SIGINT', onSignal as () => void);
      try {
        await session.finish({ exitCode }, interrupt);
      } finally {
        process.removeListener('SIGINT', onSignal as () => void);
      }
    },
    async fail(exitCode) {
      if (!session) return;
      session.hub.apply({ type: 'state', patch: { status: 'ended', outcome: 'failed', failed: true, paused: false, exitCode } });
      await session.close();
    },
  };
}
