/**
 * A stop request that long synchronous loops read between units of work (a box, an Adam step, a block of samples).
 * An `AbortSignal` satisfies it, and so does an object whose `aborted` getter reads a flag that another thread sets
 * (a SharedArrayBuffer): that is how a Ctrl-C reaches a loop that runs without yielding to the event loop.
 */
export interface StopSignal {
  readonly aborted: boolean;
  /** What {@link throwIfStopped} throws; default an `AbortError`. */
  readonly reason?: unknown;
}

/**
 * Throws once `signal` is aborted: its `reason`, else a `DOMException` named `AbortError` (what
 * `AbortSignal.throwIfAborted` throws). The caller abandons the unit of work in progress; what it had completed
 * before stays valid.
 *
 * @example
 * for (const box of boxes) { throwIfStopped(options.signal); bound(box); }
 */
export function throwIfStopped(signal: StopSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('stopped by the signal', 'AbortError');
}

/** Whether `err` is a stop thrown by {@link throwIfStopped} (an `AbortError`). */
export function isStopError(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'AbortError';
}

/**
 * Validates an optional `signal` option: undefined, or an object with an `aborted` property (checked without
 * reading it, so a signal that counts its reads is not disturbed).
 */
export function checkedStopSignal(fn: string, signal: unknown): StopSignal | undefined {
  if (signal === undefined) return undefined;
  if (signal === null || typeof signal !== 'object' || !('aborted' in signal)) {
    throw new RangeError(`${fn}: signal must be an AbortSignal or an object with an 'aborted' property, received ${signal === null ? 'null' : typeof signal}`);
  }
  return signal as StopSignal;
}
