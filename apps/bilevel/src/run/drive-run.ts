import type { Subscription } from 'rxjs';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver } from '@bilevel/solvers';
import type { Finding, Monitor, RunOptions, Snapshot } from '@bilevel/streams';
import { DivergenceError, findingLogLevel, MonitorViolationError, monitorContext, run, withMonitors } from '@bilevel/streams';
import type { Logger } from '@bilevel/telemetry';
import { WriteError } from '@bilevel/telemetry';
import type { RunSession } from './run-session';

/** How a run ended. */
export type RunStatus = 'finished' | 'diverged' | 'interrupted' | 'violation' | 'write-failed';

/** What {@link driveRun} saw; `writeFailure` is also set by the steps after it (the trace's close, the summary). */
export interface RunOutcome {
  status: RunStatus;
  /** The last snapshot handled (before an evaluation that failed). */
  lastSnapshot: Snapshot | undefined;
  divergence: DivergenceError | undefined;
  violation: MonitorViolationError | undefined;
  /** The first output file that could not be written (full disk, read-only folder): the run stops there. */
  writeFailure: WriteError | undefined;
  /** An evaluation that threw at a finite iterate (e.g. an inner problem no longer positive definite). */
  evaluationFailure: { iteration: number; message: string } | undefined;
}

/** What a command does with each snapshot, and how the run ends early. */
export interface RunSnapshots {
  /**
   * Handles a snapshot (evaluates it, writes its trace row, updates the progress bar). A WriteError it throws stops
   * the run as `write-failed`; an evaluation that cannot be done at a finite iterate calls `end.evaluationFailed`.
   */
  onSnapshot(s: Snapshot, end: { evaluationFailed(iteration: number, message: string): void }): void;
  /** Sees each finding first (the dashboard). */
  onFinding?(f: Finding): void;
  /** Monitors whose findings go to the debug log only (the defaults' quiet ones; see run-monitors.ts). */
  readonly quietMonitors?: ReadonlySet<string>;
  /** The warning logged when the user interrupts (Ctrl-C, the dashboard's Stop): what the run does next. */
  interruptMessage(): string;
}

/** What {@link driveRun} runs: the problem, the solver and `run()`'s options, with the monitors watching. */
export interface DriveRunOptions extends RunSnapshots {
  readonly problem: BilevelProblem;
  readonly solver: Solver;
  /** `run()`'s options; `stop` is the session's. */
  readonly runOptions: Omit<RunOptions, 'stop'>;
  readonly monitors: readonly Monitor[];
  readonly strict?: boolean;
  /** Resolves when the user interrupts: the run then completes its step, saves a checkpoint and ends. */
  readonly interrupted?: Promise<string>;
  readonly log: Logger;
}

/**
 * Runs the solver on the problem to its end, through the session's trace, checkpoints and progress bar: findings
 * are written to the trace and logged; each snapshot goes to `onSnapshot`; a divergence, a strict monitor's
 * violation, a trace that cannot be written, an evaluation that fails and an interruption each end the run with
 * their status (nothing is thrown for them). Stops the progress bar; the trace stays open.
 */
export async function driveRun<Row>(session: RunSession<Row>, options: DriveRunOptions): Promise<RunOutcome> {
  const { trace, findings, stop } = session;
  const { log, monitors } = options;
  const outcome: RunOutcome = { status: 'finished', lastSnapshot: undefined, divergence: undefined, violation: undefined, writeFailure: undefined, evaluationFailure: undefined };
  await new Promise<void>((resolveRun, rejectRun) => {
    const runOptions: RunOptions = { ...options.runOptions, stop };
    const runs$ = run(options.problem, options.solver, runOptions);
    const monitored = monitors.length ? withMonitors(runs$, monitorContext(options.problem, options.solver, runOptions), [...monitors], { strict: options.strict }) : undefined;
    // `next` may run before subscribe returns: it reaches the subscription through this holder
    const handle: { sub?: Subscription } = {};
    const end = (status: RunStatus) => {
      outcome.status = status;
      handle.sub?.unsubscribe();
      resolveRun();
    };
    /** A trace line that could not be written: the run stops there (not a divergence), the checkpoint is kept. */
    const stopOnWriteFailure = (err: WriteError) => {
      outcome.writeFailure ??= err;
      end('write-failed');
    };
    monitored?.findings$.subscribe((f) => {
      findings.push(f);
      options.onFinding?.(f);
      if (outcome.writeFailure) return;
      if (options.quietMonitors?.has(f.monitor)) return void log.debug({ monitor: f.monitor, iteration: f.iteration }, `${f.monitor}: ${f.message}`);
      try {
        trace.write({ finding: { ...f } });
      } catch (err) {
        if (!(err instanceof WriteError)) throw err;
        stopOnWriteFailure(err);
      }
      log[findingLogLevel(f)]({ monitor: f.monitor, iteration: f.iteration, value: f.value, bound: f.bound, stream: f.stream, oracle: f.oracle }, `${f.monitor}: ${f.message}`);
    });
    const evaluationEnd = {
      evaluationFailed: (iteration: number, message: string) => {
        // the iterate is finite but the problem cannot be evaluated there: the run ends as diverged, with the last
        // evaluated state reported (an error thrown here would escape RxJS asynchronously)
        outcome.evaluationFailure = { iteration, message };
        end('diverged');
      },
    };
    handle.sub = (monitored?.snapshots$ ?? runs$).subscribe({
      next: (s) => {
        if (outcome.evaluationFailure || outcome.writeFailure) return;
        const previous = outcome.lastSnapshot;
        outcome.lastSnapshot = s;
        try {
          options.onSnapshot(s, evaluationEnd);
        } catch (err) {
          if (err instanceof WriteError) return stopOnWriteFailure(err);
          throw err;
        }
        if (outcome.evaluationFailure) outcome.lastSnapshot = previous;
      },
      error: (err: unknown) => {
        if (err instanceof DivergenceError) {
          outcome.divergence = err;
          end('diverged');
        } else if (err instanceof MonitorViolationError) {
          outcome.violation = err;
          end('violation');
        } else rejectRun(err);
      },
      complete: () => resolveRun(),
    });
    if (outcome.evaluationFailure || outcome.writeFailure) handle.sub.unsubscribe();
    options.interrupted?.then((signal) => {
      if (!handle.sub || handle.sub.closed) return;
      outcome.status = 'interrupted';
      log.warn({ signal }, options.interruptMessage());
      // the run completes the current period, saves a checkpoint and ends with a final snapshot ('stopped')
      stop.next();
    });
  });
  session.progress.stop();
  return outcome;
}

/**
 * Does a write after the run (the trace's close, the summary, the parameters); one that fails is kept as the run's
 * first write failure (reported when the run ends, see finishRun) instead of thrown. Other errors are thrown.
 */
export function keepWriteFailure(outcome: RunOutcome, write: () => void): void {
  try {
    write();
  } catch (err) {
    if (!(err instanceof WriteError)) throw err;
    outcome.writeFailure ??= err;
  }
}
