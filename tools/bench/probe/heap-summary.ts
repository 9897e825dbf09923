/** A heap sample of heap-child.ts: outer steps done, heapUsed after a forced full GC, time (performance.now ms). */
export interface HeapSample {
  readonly step: number;
  readonly heapUsed: number;
  readonly at: number;
}

/** A GC reported by PerformanceObserver('gc'): start time, kind (perf_hooks constants) and whether gc() forced it. */
export interface GcEvent {
  readonly at: number;
  readonly kind: number;
  readonly forced: boolean;
  readonly ms: number;
}

/** What {@link heapSummary} derives from a run. */
export interface HeapSummary {
  /** Least-squares slope of heapUsed against steps over the steady state, in bytes per 10⁵ steps. */
  readonly slopePer1e5: number;
  /** max − min of heapUsed over the steady state, bytes. */
  readonly range: number;
  /** Unforced GCs during the steady state, scaled to 10⁶ steps, by kind. */
  readonly minorPer1e6: number;
  readonly majorPer1e6: number;
  readonly otherPer1e6: number;
  /** Steps in the steady state. */
  readonly steadySteps: number;
}

/** perf_hooks `NODE_PERFORMANCE_GC_MINOR` and `NODE_PERFORMANCE_GC_MAJOR`. */
const GC_MINOR = 1;
const GC_MAJOR = 4;

/**
 * Steady state = from the second sample on (the first `every` steps let the JIT settle). The slope is the ordinary
 * least-squares fit heapUsed ≈ a + b·step over those samples, b scaled to 10⁵ steps; GCs are counted when they start
 * after the second sample and were not forced by the sampler's own `gc()`.
 */
export function heapSummary(samples: readonly HeapSample[], events: readonly GcEvent[]): HeapSummary {
  const steady = samples.slice(1);
  if (steady.length < 2) throw new RangeError(`heapSummary: ${samples.length} samples, expected at least 3`);
  const n = steady.length;
  const mx = steady.reduce((s, p) => s + p.step, 0) / n;
  const my = steady.reduce((s, p) => s + p.heapUsed, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of steady) {
    sxy += (p.step - mx) * (p.heapUsed - my);
    sxx += (p.step - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const heaps = steady.map((p) => p.heapUsed);
  const from = steady[0].at;
  const to = steady[n - 1].at;
  const steadySteps = steady[n - 1].step - steady[0].step;
  const counted = events.filter((e) => !e.forced && e.at >= from && e.at <= to);
  const per = (k: (e: GcEvent) => boolean) => (counted.filter(k).length * 1e6) / steadySteps;
  return {
    slopePer1e5: slope * 1e5,
    range: Math.max(...heaps) - Math.min(...heaps),
    minorPer1e6: per((e) => e.kind === GC_MINOR),
    majorPer1e6: per((e) => e.kind === GC_MAJOR),
    otherPer1e6: per((e) => e.kind !== GC_MINOR && e.kind !== GC_MAJOR),
    steadySteps,
  };
}
