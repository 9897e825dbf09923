import { lbfgs } from '@bilevel/linalg';
import type { BilevelProblem } from './bilevel-problem';

/** Options of {@link lbfgsOnHypergradient}, with their defaults. */
export interface LbfgsOnHypergradientOptions {
  /** Starting x. Default zeros. */
  readonly x0?: Float64Array;
  /** Warm start of the first inner solve (e.g. z* of the grid point). Default zeros. */
  readonly z0?: Float64Array;
  /** Stop when ‖∇h‖ ≤ gtol. Default 1e-6. */
  readonly gtol?: number;
  /** Outer iteration cap. Default 100. */
  readonly maxIter?: number;
}

/** Result of {@link lbfgsOnHypergradient}. */
export interface LbfgsOnHypergradientResult {
  readonly x: Float64Array;
  /** h(x) and z*(x) at the final x. */
  readonly value: number;
  readonly z: Float64Array;
  readonly gradNorm: number;
  readonly iterations: number;
  /** Exact hypergradient evaluations (inner solve + implicit differentiation each). */
  readonly evaluations: number;
  readonly converged: boolean;
}

/**
 * Deterministic hyperparameter optimization: L-BFGS (memory 10, Armijo backtracking) on h with exact hypergradients
 * (the problem's `hypergradient`: exact inner solve, then implicit differentiation), each inner solve warm-started
 * at the z* of the previous evaluation, which saves most Newton steps next to `referenceSolution`'s cold starts. A
 * trial point where the evaluation fails or is not finite counts as +∞, so the line search backtracks from it.
 *
 * @example lbfgsOnHypergradient(problem, { x0: grid.x, z0: grid.z }) // per-class weights from the grid-best shared one
 */
export function lbfgsOnHypergradient(problem: BilevelProblem, options: LbfgsOnHypergradientOptions = {}): LbfgsOnHypergradientResult {
  const x = options.x0 ? Float64Array.from(options.x0) : new Float64Array(problem.dimX);
  let warm: Float64Array | undefined = options.z0 ? Float64Array.from(options.z0) : undefined;
  let evaluations = 0;
  let at: { x: Float64Array; value: number; z: Float64Array } | undefined;
  const res = lbfgs(
    (xx, g) => {
      evaluations++;
      try {
        const hg = problem.hypergradient(xx, warm ? { z0: warm } : {});
        if (!Number.isFinite(hg.value) || !hg.grad.every(Number.isFinite)) return Infinity;
        warm = hg.z;
        g.set(hg.grad);
        at = { x: Float64Array.from(xx), value: hg.value, z: hg.z };
        return hg.value;
      } catch {
        return Infinity;
      }
    },
    x,
    { gtol: options.gtol ?? 1e-6, maxIter: options.maxIter ?? 100 },
  );
  // the last evaluation may be a rejected trial: re-evaluate at the final x unless it was the last point seen
  const same = at !== undefined && at.x.every((e, i) => e === x[i]);
  const final = same && at ? at : problem.hypergradient(x, warm ? { z0: warm } : {});
  return { x, value: final.value, z: final.z, gradNorm: res.gradNorm, iterations: res.iterations, evaluations, converged: res.converged };
}
