import { normalCg } from '@bilevel/linalg';
import type { LinearSolver, Matvec } from './linear-solver';
import type { KrylovSolverOptions } from './krylov-options';
import { linalgOptions, resolveKrylov } from './krylov-options';

/** Options of {@link normalCgSolver}, with their defaults (see {@link KrylovSolverOptions}). */
export type NormalCgSolverOptions = KrylovSolverOptions;

/**
 * CG on the normal equations (CGLS) as an injectable linear solver: wraps `normalCg` from `@bilevel/linalg`, which
 * solves (A + λI)ᵀ(A + λI)x = (A + λI)ᵀb with `matvec` and `rmatvec` (Aᵀ·p; `matvec` itself when none is passed,
 * right for a symmetric A). Works for any square system, indefinite or non-symmetric, at the price of κ² and two
 * products per iteration; on an inconsistent singular system it stops at a least-squares solution (`reason:
 * 'least-squares'`, not converged). A deterministic `matvec` is assumed.
 *
 * @example normalCgSolver({ rtol: 1e-10 }).solve(jvp, w, u, vjp)
 */
export function normalCgSolver(options: NormalCgSolverOptions = {}): LinearSolver {
  const k = resolveKrylov('normalCgSolver', options);
  return {
    name: 'normal-cg',
    options: k.summary,
    solve(matvec: Matvec, b: Float64Array, x: Float64Array, rmatvec?: Matvec) {
      const res = normalCg(matvec, rmatvec ?? matvec, b, x, linalgOptions(k, b.length));
      return { iterations: res.iterations, matvecs: res.matvecs, residualNorm: res.residualNorm, converged: res.converged, stalled: res.stalled, reason: res.reason };
    },
  };
}
