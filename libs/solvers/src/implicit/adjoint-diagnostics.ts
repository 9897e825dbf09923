import { SOLVE_REASONS } from '@bilevel/linalg';
import type { ImplicitSolveDiagnostics } from './implicit-vjp';

/**
 * An adjoint solve's diagnostics as the numbers a linear-system stream part reports (snapshots carry numbers only):
 * `linsysStalled` and `linsysFellBack` (0 or 1), `linsysConverged` (0 or 1), `linsysReason` (the index of the
 * returned attempt's reason in `SOLVE_REASONS`), `linsysIterations` (all attempts), `linsysResidual` and
 * `linsysRidge`. The streams' `linearSolveMonitor` turns them into findings on `findings$`.
 *
 * @example diagnostics: (s) => adjointDiagnostics(s.last.diagnostics)
 */
export function adjointDiagnostics(d: ImplicitSolveDiagnostics): Record<string, number> {
  return {
    linsysStalled: d.stalled ? 1 : 0,
    linsysFellBack: d.fellBack ? 1 : 0,
    linsysConverged: d.converged ? 1 : 0,
    linsysReason: SOLVE_REASONS.indexOf(d.reason),
    linsysIterations: d.iterations,
    linsysResidual: d.residualNorm,
    linsysRidge: d.ridge,
  };
}
