/** Options of {@link timeCall}. */
export interface TimeCallOptions {
  /** Wall time one timed block should last, in ms (the call count per block is calibrated to reach it). Default 20. */
  readonly blockMs?: number;
  /** Calls made before calibration, to let the JIT settle. Default 200. */
  readonly warmup?: number;
}

/** A calibrated timer of one call: `block()` runs `calls` calls and returns the seconds per call of that block. */
export interface CallTimer {
  readonly calls: number;
  block(): number;
}

/** Median of a non-empty list (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median: empty list, expected at least one value');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Warms `fn` up, then calibrates how many calls make a block of about `blockMs` (doubling from 1), and returns a
 * timer of such blocks. The caller takes the median over several `block()`s, alternating with other timers so
 * that the noise of a shared machine falls on every variant alike.
 */
export function timeCall(fn: () => void, options: TimeCallOptions = {}): CallTimer {
  const blockMs = options.blockMs ?? 20;
  const warmup = options.warmup ?? 200;
  if (!(blockMs > 0 && Number.isFinite(blockMs))) throw new RangeError(`timeCall: blockMs must be a positive number, received ${blockMs}`);
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new RangeError(`timeCall: warmup must be a non-negative integer, received ${warmup}`);
  for (let i = 0; i < warmup; i++) fn();
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    const ms = performance.now() - t0;
    if (ms >= blockMs / 2 || calls >= 1 << 30) {
      calls = Math.max(1, Math.round((calls * blockMs) / Math.max(ms, 1e-3)));
      break;
    }
    calls *= 2;
  }
  return {
    calls,
    block() {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) fn();
      return (performance.now() - t0) / 1000 / calls;
    },
  };
}
