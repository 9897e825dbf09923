import { describeValue } from './describe-value';
import { errorCode } from './write-error';

/** Options of {@link WriteBackoff}. Times are in any one unit (seconds of solver time, wall seconds…). */
export interface WriteBackoffOptions {
  /** Time between writes while they succeed; > 0. */
  readonly period: number;
  /** Largest multiple of the period between two attempts after failures. Default 64. */
  readonly maxFactor?: number;
  /** Time of the last write: the run's start, or where a resumed run's checkpoint was taken. Default 0. */
  readonly start?: number;
}

/** What {@link WriteBackoff.failed} tells the caller. */
export interface WriteFailure {
  /** Consecutive failures, this one included. */
  readonly failures: number;
  /** Whether this kind of failure (its system error code) is new in this run of failures: warn then, not on repeats. */
  readonly newKind: boolean;
  /** Time until the next attempt is due. */
  readonly retryIn: number;
}

/**
 * When a periodic write (a checkpoint) is due, with exponential back-off after failures: while writes succeed
 * one is due every `period`; after k consecutive failures the next attempt waits period·2^k, at most
 * period·maxFactor. A full disk or a read-only folder then costs a handful of attempts over a run instead of one
 * per step (each attempt writes a whole checkpoint before it fails). {@link failed} also says whether the failure
 * is of a kind (ENOSPC, EROFS…) not seen since the last success, so the caller warns once per kind.
 *
 * @example
 * const backoff = new WriteBackoff({ period: 60 });
 * if (backoff.due(seconds)) {
 *   try { writeCheckpoint(path, state, opts); backoff.succeeded(seconds); }
 *   catch (err) { const f = backoff.failed(seconds, err); if (f.newKind) log.warn(...); }
 * }
 */
export class WriteBackoff {
  readonly period: number;
  readonly maxFactor: number;
  #last: number;
  #failures = 0;
  #kinds = new Set<string>();

  constructor(options: WriteBackoffOptions) {
    const { period, maxFactor = 64, start = 0 } = options ?? ({} as WriteBackoffOptions);
    if (!(period > 0) || !Number.isFinite(period)) throw new RangeError(`WriteBackoff: options.period is ${describeValue(period)}; expected a finite number > 0`);
    if (!(maxFactor >= 1) || !Number.isFinite(maxFactor)) throw new RangeError(`WriteBackoff: options.maxFactor is ${describeValue(maxFactor)}; expected a finite number ≥ 1`);
    if (!Number.isFinite(start)) throw new RangeError(`WriteBackoff: options.start is ${describeValue(start)}; expected a finite number`);
    this.period = period;
    this.maxFactor = maxFactor;
    this.#last = start;
  }

  /** Consecutive failures since the last success. */
  get failures(): number {
    return this.#failures;
  }

  /** The wait after the last attempt: period·min(2^failures, maxFactor). */
  get wait(): number {
    return this.period * Math.min(2 ** this.#failures, this.maxFactor);
  }

  /** Whether an attempt is due at time `now`. */
  due(now: number): boolean {
    return now - this.#last >= this.wait;
  }

  /** Records a successful write at `now`; returns the failures it ends (0 when the previous write succeeded too). */
  succeeded(now: number): number {
    const ended = this.#failures;
    this.#last = now;
    this.#failures = 0;
    this.#kinds.clear();
    return ended;
  }

  /** Records a failed write at `now`: the next attempt waits twice as long (up to the cap). */
  failed(now: number, err: unknown): WriteFailure {
    this.#last = now;
    this.#failures++;
    const kind = errorCode(err) ?? errorCode((err as { cause?: unknown } | null)?.cause) ?? 'other';
    const newKind = !this.#kinds.has(kind);
    this.#kinds.add(kind);
    return { failures: this.#failures, newKind, retryIn: this.wait };
  }
}
