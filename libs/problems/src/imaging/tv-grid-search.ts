import { InputError } from '@bilevel/io';
import type { ImagingProblem } from './imaging-problem';

/** One point of a {@link tvGridSearch}. */
export interface TvGridPoint {
  readonly theta0: number;
  readonly theta1: number;
  /** Mean PSNR (dB) of the held-out reconstructions at (θ₀, θ₁). */
  readonly psnrHeldOut: number;
}

/** Result of {@link tvGridSearch}. */
export interface TvGridSearchResult {
  readonly points: readonly TvGridPoint[];
  /** The point with the highest held-out PSNR. */
  readonly best: TvGridPoint;
}

/**
 * Grid search of the smoothed-TV parameters by held-out PSNR, the baseline a learned TV denoiser is compared with:
 * every (θ₀, θ₁) of the product grid is evaluated by reconstructing the held-out images at it
 * ({@link ImagingProblem.heldOutPsnr}, warm-started from the previous point; the grid is walked in a snake order so
 * neighbours follow each other). The problem must use the smoothed-TV regularizer and have held-out images.
 *
 * @example tvGridSearch(problem, [-3, -2.5, -2, -1.5, -1], [-7, -6, -5, -4, -3]).best
 */
export function tvGridSearch(problem: ImagingProblem, theta0: readonly number[], theta1: readonly number[]): TvGridSearchResult {
  const fn = 'tvGridSearch';
  if (problem.regularizer.name !== 'tv') throw new InputError(`the problem's regularizer is "${problem.regularizer.name}"; the grid search is over the two smoothed-TV parameters`, fn);
  if (!problem.heldOut) throw new InputError('the problem has no held-out images to score the grid by', fn);
  if (theta0.length === 0 || theta1.length === 0) throw new InputError('each axis of the grid needs at least one value', fn);
  if (![...theta0, ...theta1].every(Number.isFinite)) throw new InputError('grid values must be finite numbers', fn);
  const points: TvGridPoint[] = [];
  theta0.forEach((a, i) => {
    const row = i % 2 === 0 ? theta1 : [...theta1].reverse();
    for (const b of row) points.push({ theta0: a, theta1: b, psnrHeldOut: problem.heldOutPsnr(Float64Array.of(a, b)) });
  });
  const best = points.reduce((m, p) => (p.psnrHeldOut > m.psnrHeldOut ? p : m));
  return { points, best };
}
