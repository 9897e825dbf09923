import { conjugateGradient } from '@bilevel/linalg';
import { knownKeys, nonNegativeNumber, positiveInteger } from '../../validate-options';
import type { LinearSolver, Matvec } from './linear-solver';

/** Options of {@link cgSolver}, with their defaults. */
export interface CgSolverOptions {
  /** Stop when ‖b − A·x‖ ≤ max(rtol·‖b‖, atol). Default 1e-10. */
  readonly rtol?: number;
  /** Absolute floor of the residual test. Default 0. */
  readonly atol?: number;
  /** Iteration cap. Default 10·n for a system of size n. */
  readonly maxIter?: number;
}

const KEYS = ['rtol', 'atol', 'maxIter'] as const;

/**
 * Conjugate gradient (Hestenes & Stiefel, 1952) as an injectable linear solver: wraps `conjugateGradient` from
 * `@bilevel/linalg`, warm-started from the `x` passed in, and counts the products it makes. For SPD `A` the error
 * in the A-norm contracts by at least 2((√κ − 1)/(√κ + 1))^k after k steps, and with exact arithmetic CG ends in at
 * most as many steps as `A` has distinct eigenvalues. A deterministic `matvec` is assumed (CG's recursions rely on
 * one fixed operator). Starting at x costs one extra product for the initial residual b − A·x.
 *
 * @example const { iterations } = cgSolver({ rtol: 1e-8 }).solve((p, out) => problem.innerHvp(z, x, p, full, out), rhs, v)
 */
export function cgSolver(options: CgSolverOptions = {}): LinearSolver {
  const fn = 'cgSolver';
  knownKeys(fn, options, KEYS);
  const rtol = nonNegativeNumber(fn, 'rtol', options.rtol ?? 1e-10);
  const atol = nonNegativeNumber(fn, 'atol', options.atol ?? 0);
  const maxIter = options.maxIter === undefined ? undefined : positiveInteger(fn, 'maxIter', options.maxIter);
  if (rtol === 0 && atol === 0) throw new RangeError(`${fn}: rtol and atol are both 0, expected at least one positive tolerance`);
  return {
    name: 'cg',
    options: { rtol, atol, ...(maxIter !== undefined ? { maxIter } : {}) },
    solve(matvec: Matvec, b: Float64Array, x: Float64Array) {
      let matvecs = 0;
      const counted: Matvec = (p, out) => {
        matvecs++;
        matvec(p, out);
      };
      const res = conjugateGradient(counted, b, x, { rtol, atol, maxIter: maxIter ?? 10 * b.length });
      return { iterations: res.iterations, matvecs, residualNorm: res.residualNorm, converged: res.converged };
    },
  };
}
