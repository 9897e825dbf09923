import type { RunState } from '@bilevel/streams';
import type { CheckpointValue, Logger } from '@bilevel/telemetry';
import { errorCode, TraceWriter, WriteBackoff, WriteError, writeCheckpoint } from '@bilevel/telemetry';
import { InputError } from '@bilevel/io';

/** Options of {@link runCheckpoints}. */
export interface RunCheckpointsOptions {
  readonly path: string;
  /** Kind tag of the checkpoint file. */
  readonly kind: string;
  /** Seconds of solver time between checkpoints; 0: only when the run is stopped. */
  readonly every: number;
  /** Solver seconds at the start (a resumed run's checkpoint time). */
  readonly start: number;
  /** The trace whose position each checkpoint records. */
  readonly trace: TraceWriter;
  readonly log: Logger;
  /**
   * Iterations between checkpoints instead of `every` seconds (`start` is then an iteration): positions that do not
   * depend on the machine's speed, for tests and embedders ({@link RunCheckpointHooks}).
   */
  readonly everyIterations?: number;
  /** Called after each checkpoint written, with its iteration and the count so far. */
  readonly onSaved?: (iteration: number, written: number) => void;
  /**
   * Numbers of the program's own kept in each checkpoint beside the run state (a meta-learning run's solver CPU
   * seconds, which its trace continues from on --resume); read back in `ResumeInfo.extra`.
   */
  readonly extra?: () => Readonly<Record<string, number>>;
}

/** Hooks of an embedding program (and of tests) into `bilevel run`'s checkpoints: see {@link RunCheckpointsOptions}. */
export interface RunCheckpointHooks {
  readonly everyIterations?: number;
  readonly onSaved?: (iteration: number, written: number) => void;
}

/** The checkpoint hooks of `run()` and what they did. */
export interface RunCheckpoints {
  due(iteration: number, seconds: number): boolean;
  save(state: RunState): void;
  /** Checkpoints written, and the iteration of the latest. */
  readonly written: number;
  readonly lastIteration: number | undefined;
  /** Failed attempts, with the code and message of the latest (undefined when none failed). */
  readonly failures: { readonly count: number; readonly code: string; readonly message: string } | undefined;
}

/**
 * The checkpoints of `bilevel run`: one every `every` seconds of solver time, each holding the run state and the
 * trace position. A write that fails (full disk, read-only folder) leaves the previous checkpoint intact and the
 * run goes on; the next attempt backs off ({@link WriteBackoff}: every·2^k after k failures, at most 64·every), and
 * each kind of failure is warned about once (repeats go to the debug log), so a full disk costs a few attempts
 * and warnings instead of one per step.
 */
export function runCheckpoints(options: RunCheckpointsOptions): RunCheckpoints {
  const { path, kind, every, start, trace, log, everyIterations, onSaved, extra } = options;
  // the back-off runs on one monotone clock: solver seconds, or iterations when checkpoints are counted in them
  const period = everyIterations ?? every;
  const backoff = period > 0 ? new WriteBackoff({ period, start }) : undefined;
  const clock = (iteration: number, seconds: number) => (everyIterations !== undefined ? iteration : seconds);
  let written = 0;
  let lastIteration: number | undefined;
  let failures: { count: number; code: string; message: string } | undefined;
  return {
    due: (iteration, seconds) => backoff?.due(clock(iteration, seconds)) ?? false,
    save(state) {
      const iteration = state.versions.x.k;
      try {
        const kept = extra?.();
        writeCheckpoint(path, { run: state as unknown as CheckpointValue, trace: { bytes: trace.bytes, lines: trace.lines }, ...(kept ? { extra: { ...kept } } : {}) }, {
          kind,
          createdAt: new Date().toISOString(),
          meta: { iteration, solverSeconds: state.solverSeconds },
        });
      } catch (err) {
        if (!(err instanceof WriteError)) throw err;
        failures = { count: (failures?.count ?? 0) + 1, code: err.code, message: err.message };
        const f = backoff?.failed(clock(iteration, state.solverSeconds), err);
        const fields = { err: err.message, code: err.code, file: path, iteration, failures: f?.failures ?? 1, ...(f ? { retryInSeconds: f.retryIn } : {}) };
        if (!f || f.newKind) log.warn(fields, 'could not write the checkpoint; the previous one (if any) is kept; later attempts back off');
        else log.debug(fields, 'could not write the checkpoint again');
        return;
      }
      const ended = backoff?.succeeded(clock(iteration, state.solverSeconds)) ?? 0;
      written++;
      lastIteration = iteration;
      onSaved?.(iteration, written);
      if (ended > 0) log.info({ iteration, file: path, failedAttempts: ended }, 'checkpoint written again');
      else log.debug({ iteration, file: path }, 'checkpoint written');
    },
    get written() {
      return written;
    },
    get lastIteration() {
      return lastIteration;
    },
    get failures() {
      return failures;
    },
  };
}

/**
 * Opens the trace of a resumed run at its checkpoint's position: later lines are cut, and so is a partial last
 * line (a write cut short), with a warning. A folder that refuses writes, or a trace shorter than the position
 * (not the trace the checkpoint was taken with), is bad input naming the file.
 */
export function resumeTrace(path: string, position: { readonly bytes: number; readonly lines: number }, log: Logger): TraceWriter {
  let trace: TraceWriter;
  try {
    trace = TraceWriter.resume(path, position);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') throw new InputError(`not writable (${(err as Error).message}); nothing was written`, path);
    throw new InputError((err as Error).message.replace(/^TraceWriter\.resume: \S+ /, 'the trace '), path);
  }
  if (trace.droppedBytes > 0) {
    log.warn({ file: path, droppedBytes: trace.droppedBytes }, 'the trace ended inside a line (a write cut short): that partial line was dropped');
  }
  return trace;
}

/**
 * The one line that ends a run whose trace or summary could not be written: the file and the cause, where the run
 * stopped, and the last good checkpoint to continue from.
 */
export function writeFailureMessage(failure: WriteError, at: { status: string; iteration: number; checkpoint?: { file: string; iteration: number }; outDir: string }): string {
  const cause = failure.cause instanceof Error ? failure.cause.message : failure.code;
  const where = at.status === 'write-failed' ? `the run stopped at iteration ${at.iteration}` : `the run ended (${at.status}) at iteration ${at.iteration}`;
  const next = at.checkpoint
    ? `the last good checkpoint (iteration ${at.checkpoint.iteration}) is kept in ${at.checkpoint.file}: free space, then continue with bilevel run --resume ${at.outDir}`
    : 'no checkpoint was written';
  return `could not write ${failure.path} (${cause}); ${where}; ${next}`;
}
