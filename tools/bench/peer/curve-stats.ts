/** One evaluated checkpoint of a run: outer iteration, solver seconds (evaluation excluded), the metric (lower is better). */
export interface CurvePoint {
  readonly iter: number;
  readonly seconds: number;
  readonly metric: number;
}

/** Median of a list; Infinity entries (a target not reached) count as the largest values; NaN for an empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Solver seconds and iteration of the first checkpoint whose metric is ≤ target, or Infinity for both when none is.
 * The resolution is the checkpoint spacing, the same for every implementation compared.
 */
export function firstReach(curve: readonly CurvePoint[], target: number): { seconds: number; iter: number } {
  for (const p of curve) if (p.metric <= target) return { seconds: p.seconds, iter: p.iter };
  return { seconds: Infinity, iter: Infinity };
}

/**
 * Solver seconds and iteration of the first checkpoint from which the metric stays ≤ target up to the end of the run,
 * or Infinity for both when the last checkpoint is above it. SABA's constant steps make h oscillate around its
 * minimum on the way (on the logistic task h(x_t) first dips below 1e-4 relative at ~2,800 iterations, is back at
 * 7e-3 at 5,000), so a first crossing can be a transient; this is the time after which stopping is safe.
 */
export function reachAndStay(curve: readonly CurvePoint[], target: number): { seconds: number; iter: number } {
  let k = curve.length;
  while (k > 0 && curve[k - 1].metric <= target) k--;
  if (k === curve.length) return { seconds: Infinity, iter: Infinity };
  return { seconds: curve[k].seconds, iter: curve[k].iter };
}

/** Microseconds per iteration over a whole run (its last checkpoint). */
export function microsPerIter(curve: readonly CurvePoint[]): number {
  const last = curve[curve.length - 1];
  return last && last.iter > 0 ? (last.seconds * 1e6) / last.iter : NaN;
}
