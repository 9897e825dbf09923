import { bicgstab } from '@bilevel/linalg';
import type { LinearSolver, Matvec } from './linear-solver';
import type { KrylovSolverOptions } from './krylov-options';
import { linalgOptions, resolveKrylov } from './krylov-options';

/** Options of {@link bicgstabSolver}, with their defaults (see {@link KrylovSolverOptions}). */
export type BicgstabSolverOptions = KrylovSolverOptions;

/**
 * BiCGSTAB (van der Vorst, 1992) as an injectable linear solver: wraps `bicgstab` from `@bilevel/linalg`, warm-started
 * from `x`. For square non-symmetric systems with short recurrences (two products per iteration, no growing basis);
 * its breakdowns are reported (`stalled: true, reason: 'breakdown'`), not thrown. A deterministic `matvec` is assumed.
 *
 * @example bicgstabSolver({ rtol: 1e-10 }).solve((p, out) => jacobianT(p, out), w, u)
 */
export function bicgstabSolver(options: BicgstabSolverOptions = {}): LinearSolver {
  const k = resolveKrylov('bicgstabSolver', options);
  return {
    name: 'bicgstab',
    options: k.summary,
    solve(matvec: Matvec, b: Float64Array, x: Float64Array) {
      const res = bicgstab(matvec, b, x, linalgOptions(k, b.length));
      return { iterations: res.iterations, matvecs: res.matvecs, residualNorm: res.residualNorm, converged: res.converged, stalled: res.stalled, reason: res.reason };
    },
  };
}
