/** A linear operator given by its action: writes `A·p` into `out` (a buffer distinct from `p`). */
export type Matvec = (p: Float64Array, out: Float64Array) => void;

/** What one linear solve reports, as data (a solve that stops short is not an error). */
export interface LinearSolveInfo {
  /** Iterations of the method (CG steps, Richardson steps, Neumann terms beyond the first). */
  readonly iterations: number;
  /** Calls of `matvec` made, the cost in HVPs when `matvec` is a Hessian-vector product. */
  readonly matvecs: number;
  /** ‖b − A·x‖ at exit, when the method computes it (CG); undefined otherwise. */
  readonly residualNorm?: number;
  /** Whether the method's stopping test was met (CG); undefined for fixed-length methods. */
  readonly converged?: boolean;
}

/**
 * An injectable solver of `A·x = b` for symmetric positive definite `A` given only through `matvec` (the optax /
 * jaxopt convention `solve(matvec, b, init)`). `x` holds the warm start on entry (zeros: a cold start) and the
 * solution on exit, so a caller keeps its previous solution as the next warm start without allocating.
 * A stochastic operator (a fresh minibatch Hessian on every call) is allowed: the solver then returns a random
 * estimate, and the solver's doc says what its mean is.
 */
export interface LinearSolver {
  readonly name: string;
  solve(matvec: Matvec, b: Float64Array, x: Float64Array): LinearSolveInfo;
  /** The settings in effect, for summaries. */
  readonly options: Readonly<Record<string, number | string | boolean>>;
}
