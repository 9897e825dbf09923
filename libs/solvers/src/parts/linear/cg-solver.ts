import { conjugateGradient } from '@bilevel/linalg';
import type { LinearSolver, Matvec } from './linear-solver';
import type { KrylovSolverOptions } from './krylov-options';
import { linalgOptions, resolveKrylov } from './krylov-options';

/** Options of {@link cgSolver}, with their defaults (see {@link KrylovSolverOptions}; the stall test is off by default). */
export type CgSolverOptions = KrylovSolverOptions;

/**
 * Conjugate gradient (Hestenes & Stiefel, 1952) as an injectable linear solver: wraps `conjugateGradient` from
 * `@bilevel/linalg`, warm-started from the `x` passed in, and counts the products it makes. For SPD `A` the error
 * in the A-norm contracts by at least 2((√κ − 1)/(√κ + 1))^k after k steps, and with exact arithmetic CG ends in at
 * most as many steps as `A` has distinct eigenvalues. A deterministic `matvec` is assumed (CG's recursions rely on
 * one fixed operator). Starting at x costs one extra product for the initial residual b − A·x. An indefinite
 * curvature (A not positive definite) ends the solve with `stalled: true, reason: 'indefinite'`.
 *
 * @example const { iterations } = cgSolver({ rtol: 1e-8 }).solve((p, out) => problem.innerHvp(z, x, p, full, out), rhs, v)
 */
export function cgSolver(options: CgSolverOptions = {}): LinearSolver {
  const fn = 'cgSolver';
  const k = resolveKrylov(fn, options);
  return {
    name: 'cg',
    options: k.summary,
    solve(matvec: Matvec, b: Float64Array, x: Float64Array) {
      let matvecs = 0;
      const counted: Matvec = (p, out) => {
        matvecs++;
        matvec(p, out);
      };
      const res = conjugateGradient(counted, b, x, linalgOptions(k, b.length));
      return { iterations: res.iterations, matvecs, residualNorm: res.residualNorm, converged: res.converged, stalled: res.stalled, reason: res.reason };
    },
  };
}
