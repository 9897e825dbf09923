import { referenceSolution } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import { innerConstantsAt } from './monitors/inner-constants-at';
import type { BilevelConstants } from './problem-constants';
import { outerSpectrumAt } from './outer-spectrum-at';
import { knownKeys, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link estimateConstants}, with their defaults. */
export interface EstimateConstantsOptions {
  /**
   * The points x at which to measure. Default: {@link ESTIMATE_POINTS} points evenly spaced on the segment from `x0`
   * to the reference minimizer x* (`referenceSolution` of @bilevel/problems, from x0): where a run from x0 goes.
   */
  readonly points?: readonly Float64Array[];
  /** Start of the default segment. Default zeros (the start of the property kit's runs). */
  readonly x0?: Float64Array;
  /** Power iterations per eigenvalue of the inner Hessian. Default 100. */
  readonly iterations?: number;
  /** S: the bounds are max·S for L, L_max, L_h and min/S for μ, μ_h. Default {@link ESTIMATE_SAFETY} = 1.5. */
  readonly safety?: number;
  /** Largest dim x (∇²h is formed whole, from dim x + 1 exact hypergradients per point). Default 20. */
  readonly maxDimX?: number;
}

/** Default number of points on the segment x0 → x*. */
export const ESTIMATE_POINTS = 5;

/**
 * Default safety factor S of {@link estimateConstants}. Two errors it covers: the constants change between the
 * points measured and the iterates a run visits (z away from z*(x), x between the points), and power iteration
 * approaches λ_max from below. Measured on a family of smooth logistic-ridge problems built from oracles only
 * (`test/src/property-kit/logistic-ridge-family.ts`, 200 problems, SABA with the safe steps, 20 snapshots per run):
 * the largest ratio of a constant at a snapshot's (z, x) to its estimate (S = 1) was 1.18 for L_max, 1.0004 for L_h,
 * and μ, μ_h never fell below 0.9998 of theirs; with S = 1.5, the iterations the linear-convergence property needed
 * were at most 0.21 of its budget (median 0.15). S = 1.5 leaves a factor 1.27 on the worst constant measured.
 */
export const ESTIMATE_SAFETY = 1.5;

/**
 * Estimates the constants of any problem from its oracles ({@link BilevelConstants}), for a
 * {@link ProblemWithConstants} that has no closed form: at each point x,
 *   z*(x) by `problem.solveInner(x)`; L, μ and L_max by power iteration on HVPs at (z*, x) ({@link innerConstantsAt},
 *   every sample for L_max); μ_h and L_h as the extreme eigenvalues of ∇²h(x) formed from forward differences of
 *   exact hypergradients ({@link outerSpectrumAt}),
 * then the bounds over the points with the safety factor S: L·S, L_max·S, L_h·S, μ/S, μ_h/S. An estimate, not a
 * certificate: it holds where the points represent the region a run visits. Throws a RangeError when h is not
 * strongly convex at a point (λ_min(∇²h) ≤ 0: no linear rate to promise) or an inner solve does not converge.
 * Cost: per point one inner solve, 2·iterations full-batch and n·iterations single-sample HVPs, dim x + 1
 * hypergradients; plus the reference solve for the default points.
 *
 * @example bilevelConstants() { return (this.#constants ??= estimateConstants(this)); }
 */
export function estimateConstants(problem: BilevelProblem, options: EstimateConstantsOptions = {}): BilevelConstants {
  const fn = 'estimateConstants';
  knownKeys(fn, options, ['points', 'x0', 'iterations', 'safety', 'maxDimX']);
  const iterations = positiveInteger(fn, 'iterations', options.iterations ?? 100);
  const safety = positiveNumber(fn, 'safety', options.safety ?? ESTIMATE_SAFETY);
  if (safety < 1) throw new RangeError(`${fn}: safety must be ≥ 1, received ${safety}`);
  const maxDimX = positiveInteger(fn, 'maxDimX', options.maxDimX ?? 20);
  if (problem.dimX > maxDimX) throw new RangeError(`${fn}: problem "${problem.name}" has dim x = ${problem.dimX} > maxDimX = ${maxDimX} (∇²h is formed whole)`);
  const points = options.points ?? segment(problem, options.x0 ?? new Float64Array(problem.dimX));
  if (points.length === 0) throw new RangeError(`${fn}: points must hold at least one x`);
  let mu = Infinity;
  let L = 0;
  let LMaxSample = 0;
  let muOuter = Infinity;
  let LOuter = 0;
  for (const x of points) {
    if (x.length !== problem.dimX) throw new RangeError(`${fn}: a point has length ${x.length}, expected dim x = ${problem.dimX}`);
    const inner = problem.solveInner(x);
    if (!inner.converged) {
      throw new RangeError(`${fn}: the inner solve at x = [${Array.from(x, (v) => v.toPrecision(4)).join(', ')}] stopped at ‖∇_z G‖ = ${inner.gradNorm.toExponential(2)} > ${inner.tol}`);
    }
    const c = innerConstantsAt(problem, inner.z, x, { iterations, maxSamples: Infinity });
    const h = outerSpectrumAt(problem, x, { z0: inner.z });
    if (!(h.mu > 0)) {
      throw new RangeError(
        `${fn}: h is not strongly convex at x = [${Array.from(x, (v) => v.toPrecision(4)).join(', ')}] (λ_min(∇²h) = ${h.mu.toExponential(3)}): ` +
          'no linear rate to promise there',
      );
    }
    mu = Math.min(mu, c.mu);
    L = Math.max(L, c.L);
    LMaxSample = Math.max(LMaxSample, c.LMaxSample!);
    muOuter = Math.min(muOuter, h.mu);
    LOuter = Math.max(LOuter, h.L);
  }
  return { mu: mu / safety, L: L * safety, LMaxSample: LMaxSample * safety, muOuter: muOuter / safety, LOuter: LOuter * safety };
}

/** {@link ESTIMATE_POINTS} points evenly spaced from x0 to the reference minimizer. */
function segment(problem: BilevelProblem, x0: Float64Array): Float64Array[] {
  const xs = referenceSolution(problem, { x0 }).x;
  return Array.from({ length: ESTIMATE_POINTS }, (_, k) => {
    const t = k / (ESTIMATE_POINTS - 1);
    return Float64Array.from(x0, (v, i) => v + t * (xs[i] - v));
  });
}
