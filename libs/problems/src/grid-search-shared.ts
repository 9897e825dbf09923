import type { BilevelProblem } from './bilevel-problem';
import { InputError } from '@bilevel/io';

/** One point of {@link gridSearchShared}'s curve. */
export interface GridPoint {
  /** The shared value t (x = t·1). */
  readonly t: number;
  /** h(t·1), the outer (validation) loss at the exact inner solution. */
  readonly value: number;
  /** The problem's metrics at (t·1, z*), when it has any. */
  readonly metrics?: Readonly<Record<string, number>>;
}

/** Result of {@link gridSearchShared}. */
export interface GridSearchResult {
  /** The best shared value and x = t·1 (length dimX). */
  readonly t: number;
  readonly x: Float64Array;
  /** h at the best point, and its z*, v* (a warm start for a solver). */
  readonly value: number;
  readonly z: Float64Array;
  readonly v: Float64Array;
  readonly metrics?: Readonly<Record<string, number>>;
  /** Every grid point in the order evaluated. */
  readonly curve: readonly GridPoint[];
}

/**
 * Grid search over one hyperparameter value shared by every coordinate of x: evaluates h(t·1) exactly (the problem's
 * `hypergradient`, each inner solve warm-started at the previous point's z*) for each t of `values`, in the order
 * given, and returns the t of smallest h (the first on ties). For a problem whose x weighs groups of z (per class,
 * per feature), x = t·1 is the single-shared-weight baseline that per-group hyperparameter optimization must beat.
 * Order `values` from strong to weak regularization so that the warm starts move from easy to hard inner problems.
 *
 * `onPoint` is called after each point with its index, the grid's length and h there (a caller's progress report).
 *
 * @example gridSearchShared(problem, Array.from({ length: 41 }, (_, k) => 4 - 0.4 * k)) // x ∈ {4, 3.6, …, −12}
 */
export function gridSearchShared(problem: BilevelProblem, values: readonly number[], options: { onPoint?: (index: number, of: number, value: number) => void } = {}): GridSearchResult {
  if (values.length === 0) throw new InputError('the grid is empty; expected at least one value', 'gridSearchShared');
  for (const t of values) if (!Number.isFinite(t)) throw new InputError(`grid value ${t} is not a finite number`, 'gridSearchShared');
  const curve: GridPoint[] = [];
  let best: GridSearchResult | undefined;
  let warm: Float64Array | undefined;
  for (const t of values) {
    const x = new Float64Array(problem.dimX).fill(t);
    const hg = problem.hypergradient(x, warm ? { z0: warm } : {});
    warm = hg.z;
    const metrics = problem.metrics?.(x, hg.z);
    curve.push({ t, value: hg.value, ...(metrics ? { metrics } : {}) });
    if (!best || hg.value < best.value) best = { t, x, value: hg.value, z: hg.z, v: hg.v, ...(metrics ? { metrics } : {}), curve };
    options.onPoint?.(curve.length - 1, values.length, hg.value);
  }
  return best as GridSearchResult;
}

/** The default shared-weight grid: t = 4, 3.6, …, −12 (41 values; for exp-parametrized L2 weights, e^t from 55 to 6e-6). */
export const SHARED_WEIGHT_GRID: readonly number[] = Array.from({ length: 41 }, (_, k) => +(4 - 0.4 * k).toFixed(10));
