// The figures a soak run is judged by: heap growth over the steady state and the tensor counts after warm-up.
import type { SoakResult, SoakSample } from './soak-types';

const MiB = 1 << 20;

/**
 * Heap growth allowed from the 2nd sample to the last: 1 MiB. The run's state (data, SAGA tables of SABA, iterates)
 * is allocated before the first step and never resized, so a steady state retains nothing per step. A leak of one
 * object per step (≥ 16 bytes in V8) over the 9 × 10⁴ steps of the fast run or the 9 × 10⁵ of the slow one would
 * retain ≥ 1.4 MiB resp. ≥ 14 MiB; 1 MiB leaves room for what is legitimately not flat (optimized code, inline
 * caches and feedback vectors compiled after warm-up: a few hundred KiB measured) while catching that.
 */
export const HEAP_GROWTH_BOUND_BYTES = MiB;

/**
 * Samples before the steady state, by default: the first sample is taken before any step (JIT and lazy setup
 * still ahead). The autodiff soak of the slow run leaves out its first 1,000 steps (tfjs compiles and caches its
 * kernels over the first few hundred: +1.7 MiB over steps 0–800, flat within ±0.2 MiB after).
 */
export const WARM_UP_SAMPLES = 1;

/** What the specs assert on and print. */
export interface SoakFigures {
  /** heapUsed of the last sample minus that of the 2nd, bytes (negative when it shrank). */
  readonly heapGrowth: number;
  /** max − min of heapUsed over the steady state, bytes. */
  readonly heapRange: number;
  /** heapUsed per sample, MiB, 2 decimals. */
  readonly heapMiB: readonly number[];
  /** Distinct `numTensors` over the steady state (one value when constant). */
  readonly tensorCounts: readonly number[];
  /** Outer steps per second of the run. */
  readonly stepsPerSecond: number;
}

/**
 * The figures of a run, the steady state starting after `warmUp` samples; throws a RangeError when fewer than 2
 * samples are left to judge.
 */
export function soakFigures(result: SoakResult, warmUp: number = WARM_UP_SAMPLES): SoakFigures {
  const s: readonly SoakSample[] = result.samples;
  if (s.length < warmUp + 2) throw new RangeError(`soakFigures: ${s.length} samples, expected at least ${warmUp + 2}`);
  const steady = s.slice(warmUp);
  const heaps = steady.map((p) => p.heapUsed);
  return {
    heapGrowth: steady[steady.length - 1].heapUsed - steady[0].heapUsed,
    heapRange: Math.max(...heaps) - Math.min(...heaps),
    heapMiB: s.map((p) => +(p.heapUsed / MiB).toFixed(2)),
    tensorCounts: [...new Set(steady.map((p) => p.numTensors))],
    stepsPerSecond: result.steps / result.seconds,
  };
}

/** One line for the closing note. */
export function formatSoak(result: SoakResult, f: SoakFigures): string {
  return (
    `soak ${result.oracles} (${result.backend}): ${result.steps} SABA steps in ${result.seconds.toFixed(1)} s (${Math.round(f.stepsPerSecond)} steps/s), ` +
    `${result.samples.length} samples every ${result.every}; heap MiB ${f.heapMiB.join(' ')}; growth steady state→last ${(f.heapGrowth / 1024).toFixed(1)} KiB ` +
    `(bound ${HEAP_GROWTH_BOUND_BYTES / 1024} KiB), range ${(f.heapRange / 1024).toFixed(1)} KiB; numTensors ${[...new Set(result.samples.map((p) => p.numTensors))].join('→')}` +
    ` (after warm-up: ${f.tensorCounts.join(', ')}), after dispose ${result.tensorsAfterDispose}`
  );
}
