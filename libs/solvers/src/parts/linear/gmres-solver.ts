import { gmres } from '@bilevel/linalg';
import { positiveInteger } from '../../validate-options';
import type { LinearSolver, Matvec } from './linear-solver';
import type { KrylovSolverOptions } from './krylov-options';
import { linalgOptions, resolveKrylov } from './krylov-options';

/** Options of {@link gmresSolver}, with their defaults. */
export interface GmresSolverOptions extends KrylovSolverOptions {
  /** m, the Krylov dimension between restarts. Default 30. */
  readonly restart?: number;
}

/**
 * Restarted GMRES(m) (Saad & Schultz, 1986) as an injectable linear solver: wraps `gmres` from `@bilevel/linalg`
 * (modified Gram-Schmidt, Givens rotations, right preconditioning), warm-started from `x`. For square systems that
 * need not be symmetric or definite; the residual norm never increases within a cycle. A deterministic `matvec` is
 * assumed. Each restart costs one product for the true residual.
 *
 * @example gmresSolver({ rtol: 1e-10, restart: 20 }).solve((p, out) => jacobianT(p, out), w, u)
 */
export function gmresSolver(options: GmresSolverOptions = {}): LinearSolver {
  const fn = 'gmresSolver';
  const k = resolveKrylov(fn, options, ['restart']);
  const restart = positiveInteger(fn, 'restart', options.restart ?? 30);
  return {
    name: 'gmres',
    options: { ...k.summary, restart },
    solve(matvec: Matvec, b: Float64Array, x: Float64Array) {
      const res = gmres(matvec, b, x, { ...linalgOptions(k, b.length), restart });
      return { iterations: res.iterations, matvecs: res.matvecs, residualNorm: res.residualNorm, converged: res.converged, stalled: res.stalled, reason: res.reason };
    },
  };
}
