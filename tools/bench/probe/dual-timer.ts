import { cpuSeconds } from './cpu-timer';
import { median } from './time-call';

/** Seconds per call of one timed block, on the process's CPU clock (user + system) and on the wall clock. */
export interface BlockTime {
  readonly cpu: number;
  readonly wall: number;
}

/**
 * Medians over blocks, in milliseconds per call, the number of blocks and calls per block (the median over the
 * merged runs) they come from, and every block's figure (to merge runs, and to show the spread).
 */
export interface DualMedians {
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly reps: number;
  readonly callsPerBlock: number;
  readonly cpuBlocksMs: readonly number[];
  readonly wallBlocksMs: readonly number[];
}

/**
 * Warms `fn` up (`warmup` calls), calibrates how many calls make a block of at least `blockMs` ms of CPU time
 * (doubling from 1; one call when a call alone takes that long), and returns a timer of such blocks giving CPU and
 * wall seconds per call: CPU time does not count the time this process spends descheduled on a shared machine, wall
 * time does (both are reported). The caller interleaves the blocks of several timers and takes medians
 * ({@link dualMedians}).
 */
export function dualTimer(fn: () => void, blockMs: number, warmup: number): { readonly calls: number; block(): BlockTime } {
  if (!(blockMs > 0 && Number.isFinite(blockMs))) throw new RangeError(`dualTimer: blockMs must be a positive number, received ${blockMs}`);
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new RangeError(`dualTimer: warmup must be a non-negative integer, received ${warmup}`);
  for (let i = 0; i < warmup; i++) fn();
  let calls = 1;
  for (;;) {
    const t0 = cpuSeconds();
    for (let i = 0; i < calls; i++) fn();
    const ms = (cpuSeconds() - t0) * 1000;
    if (ms >= blockMs || calls >= 1 << 30) break;
    calls = ms >= blockMs / 4 ? Math.ceil((calls * blockMs) / Math.max(ms, 1e-3)) : calls * 2;
  }
  return {
    calls,
    block(): BlockTime {
      const w0 = performance.now();
      const c0 = cpuSeconds();
      for (let i = 0; i < calls; i++) fn();
      const cpu = (cpuSeconds() - c0) / calls;
      const wall = (performance.now() - w0) / 1000 / calls;
      return { cpu, wall };
    },
  };
}

/** Medians (ms per call) of blocks timed by {@link dualTimer}. */
export function dualMedians(blocks: readonly BlockTime[], callsPerBlock: number): DualMedians {
  const cpuBlocksMs = blocks.map((b) => b.cpu * 1e3);
  const wallBlocksMs = blocks.map((b) => b.wall * 1e3);
  return { cpuMs: median(cpuBlocksMs), wallMs: median(wallBlocksMs), reps: blocks.length, callsPerBlock, cpuBlocksMs, wallBlocksMs };
}

/** The medians of the blocks of several runs of one timing taken together (runs alternated with other programs'). */
export function mergeMedians(runs: readonly DualMedians[]): DualMedians {
  if (runs.length === 0) throw new RangeError('mergeMedians: no runs, expected at least one');
  const cpuBlocksMs = runs.flatMap((r) => r.cpuBlocksMs);
  const wallBlocksMs = runs.flatMap((r) => r.wallBlocksMs);
  return {
    cpuMs: median(cpuBlocksMs),
    wallMs: median(wallBlocksMs),
    reps: cpuBlocksMs.length,
    callsPerBlock: median(runs.map((r) => r.callsPerBlock)),
    cpuBlocksMs,
    wallBlocksMs,
  };
}
