import { SOLVE_REASONS } from '@bilevel/linalg';
import type { LinearSolveInfo } from './linear-solver';

/**
 * The outcome of a linear solve as numeric diagnostics of the linear-system stream (snapshots carry numbers only):
 * `linsysStalled` (1 when a stall, breakdown or indefinite curvature ended the solve, else 0) and `linsysReason`
 * (the index of the reason in `SOLVE_REASONS`, NaN when the method reports none). The streams' `linearSolveMonitor`
 * turns them into findings.
 */
export function solveDiagnostics(info: LinearSolveInfo | undefined): { linsysStalled: number; linsysReason: number } {
  if (!info) return { linsysStalled: 0, linsysReason: NaN };
  return { linsysStalled: info.stalled ? 1 : 0, linsysReason: info.reason === undefined ? NaN : SOLVE_REASONS.indexOf(info.reason) };
}
