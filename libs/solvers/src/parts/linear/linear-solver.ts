import type { SolveReason } from '@bilevel/linalg';

/** A linear operator given by its action: writes `A·p` into `out` (a buffer distinct from `p`). */
export type Matvec = (p: Float64Array, out: Float64Array) => void;

/** What one linear solve reports, as data (a solve that stops short is not an error). */
export interface LinearSolveInfo {
  /** Iterations of the method (CG steps, Richardson steps, Neumann terms beyond the first). */
  readonly iterations: number;
  /** Calls of `matvec` (and `rmatvec`) made, the cost in HVPs when `matvec` is a Hessian-vector product. */
  readonly matvecs: number;
  /** ‖b − A·x‖ at exit, when the method computes it (the Krylov methods); undefined otherwise. */
  readonly residualNorm?: number;
  /** Whether the method's stopping test was met (the Krylov methods); undefined for fixed-length methods. */
  readonly converged?: boolean;
  /** True when a stall, a breakdown or an indefinite curvature ended the solve (the methods of `@bilevel/linalg`). */
  readonly stalled?: boolean;
  /** Why the solve stopped (the methods of `@bilevel/linalg`; see `SolveReason`). */
  readonly reason?: SolveReason;
}

/**
 * An injectable solver of `A·x = b` for a square `A` given only through `matvec` (the optax / jaxopt convention
 * `solve(matvec, b, init)`); `A` is symmetric positive definite unless the solver's doc says it handles more
 * (`gmres`, `bicgstab`, `normal-cg`). `x` holds the warm start on entry (zeros: a cold start) and the solution on
 * exit, so a caller keeps its previous solution as the next warm start without allocating. `rmatvec` (Aᵀ·p) is read
 * by the solvers that need it (`normal-cg`); it defaults to `matvec`, right for the symmetric systems of the bilevel
 * solvers (Hessians).
 * A stochastic operator (a fresh minibatch Hessian on every call) is allowed for the fixed-length methods (Neumann,
 * Richardson): the solver then returns a random estimate, and the solver's doc says what its mean is. The Krylov
 * methods assume one fixed operator.
 */
export interface LinearSolver {
  readonly name: string;
  solve(matvec: Matvec, b: Float64Array, x: Float64Array, rmatvec?: Matvec): LinearSolveInfo;
  /** The settings in effect, for summaries. */
  readonly options: Readonly<Record<string, number | string | boolean>>;
}
