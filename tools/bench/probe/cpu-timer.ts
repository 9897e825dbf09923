/** CPU seconds of this process (user + system): time spent descheduled on a busy machine does not count. */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Warms `fn` up, then calibrates how many calls make a block of about `blockMs` ms of CPU time (doubling from 1), and
 * returns a timer of such blocks giving CPU seconds per call: time-call.ts on the process's CPU clock, for
 * comparisons on a machine other programs share (the caller takes the median of several blocks).
 */
export function cpuTimer(fn: () => void, blockMs: number, warmup: number): () => number {
  if (!(blockMs > 0 && Number.isFinite(blockMs))) throw new RangeError(`cpuTimer: blockMs must be a positive number, received ${blockMs}`);
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new RangeError(`cpuTimer: warmup must be a non-negative integer, received ${warmup}`);
  for (let i = 0; i < warmup; i++) fn();
  let calls = 1;
  for (;;) {
    const t0 = cpuSeconds();
    for (let i = 0; i < calls; i++) fn();
    const ms = (cpuSeconds() - t0) * 1000;
    if (ms >= blockMs / 2 || calls >= 1 << 30) {
      calls = Math.max(1, Math.round((calls * blockMs) / Math.max(ms, 1e-3)));
      break;
    }
    calls *= 2;
  }
  return () => {
    const t0 = cpuSeconds();
    for (let i = 0; i < calls; i++) fn();
    return (cpuSeconds() - t0) / calls;
  };
}
