/**
 * The contract every bilevel problem meets: `min_x h(x) = F(z*(x), x)` with `z*(x) = argmin_z G(z, x)`,
 * `G = (1/n) Σ_j g_j` (inner, n samples) and `F = (1/m) Σ_i f_i` (outer, m samples).
 *
 * Sample-wise oracles take a batch of sample indices and return the *mean* over that batch (so the full batch
 * gives G or F). They write into buffers the caller owns and must not keep references to their arguments.
 * They must not allocate per call on the hot path of the built-in problems.
 *
 * Numbers of batches: a problem has `nInner` and `nOuter` samples; a solver with batch size b sees
 * `ceil(nInner / b)` inner and `ceil(nOuter / b)` outer batches (see {@link batchCounts}).
 *
 * Hypergradient: `∇h(x) = ∇_x F(z*, x) + ∇²_xz G(z*, x)·v*`, `v* = −[∇²_zz G(z*, x)]⁻¹ ∇_z F(z*, x)`.
 */
export interface BilevelProblem {
  /** Short identifier, e.g. `logreg-hpo`. */
  readonly name: string;
  /** Dimension of the inner variable z. */
  readonly dimZ: number;
  /** Dimension of the outer variable x. */
  readonly dimX: number;
  /** Number of inner samples n (terms of G). */
  readonly nInner: number;
  /** Number of outer samples m (terms of F). */
  readonly nOuter: number;
  /** Arithmetic of the oracles: `float64` (analytic kernels) or `float32` (tfjs). Sets audit tolerances. */
  readonly precision: 'float64' | 'float32';

  /** g_B(z, x): mean of the inner sample losses over `batch`. */
  innerValue(z: Float64Array, x: Float64Array, batch: Int32Array): number;
  /** f_B(z, x): mean of the outer sample losses over `batch`. */
  outerValue(z: Float64Array, x: Float64Array, batch: Int32Array): number;
  /** out ← ∇_z g_B(z, x) (length dimZ). */
  innerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void;
  /** out ← ∇²_zz g_B(z, x)·v (length dimZ). */
  innerHvp(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void;
  /** out ← ∇²_xz g_B(z, x)·v (length dimX): the x-gradient of ⟨∇_z g_B(z, x), v⟩. */
  innerCross(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void;
  /** out ← ∇_z f_B(z, x) (length dimZ). */
  outerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void;
  /** out ← ∇_x f_B(z, x) (length dimX). */
  outerGradX(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void;

  /**
   * Optional oracles used by some solvers (fully first-order and penalty methods need ∇_x g; methods that mix F
   * into the lower level, such as sl-BAMM, need the outer second-order products). A solver that needs one checks
   * for it in `init` and names it when it is missing.
   */
  /** out ← ∇_x g_B(z, x) (length dimX). */
  innerGradX?(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void;
  /** out ← ∇²_zz f_B(z, x)·v (length dimZ). */
  outerHvp?(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void;
  /** out ← ∇²_xz f_B(z, x)·v (length dimX): the x-gradient of ⟨∇_z f_B(z, x), v⟩. */
  outerCross?(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void;
  /** out ← diag ∇²_zz g_B(z, x) (length dimZ): coordinate smoothness at the price of about one HVP (dp-cd uses it). */
  innerHessianDiagonal?(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void;
  /**
   * Optional hint: the fixed minibatches a solver will pass to the gradient and HVP oracles of the inner samples
   * (`side` 'inner': innerGradZ, innerHvp) or the outer ones ('outer': outerGradZ) for its whole run (a block
   * sampler's blocks, whose arrays and contents never change), given once in the solver's set-up, so that the problem
   * prepares what it keeps per batch then rather than at each batch's first use. Results must not depend on it.
   */
  prepareBatches?(side: 'inner' | 'outer', batches: readonly Int32Array[]): void;

  /** All inner sample indices 0..nInner-1 (the full batch). Read-only by convention. */
  readonly fullInner: Int32Array;
  /** All outer sample indices 0..nOuter-1. */
  readonly fullOuter: Int32Array;

  /** Exact inner solve for evaluation: z*(x) to ‖∇_z G‖ ≤ tol (default 1e-10), warm-started at `z0` if given. */
  solveInner(x: Float64Array, options?: InnerSolveOptions): InnerSolution;
  /** Exact value h(x) and hypergradient ∇h(x), for evaluation (never used by the stochastic solvers). */
  hypergradient(x: Float64Array, options?: InnerSolveOptions): Hypergradient;

  /** The closed-form minimizer of h, when the family has one (quadratic). */
  solution?(): { readonly x: Float64Array; readonly value: number };
  /** Smoothness and strong-convexity constants of the inner problem at x, when known or estimated. */
  innerConstants?(x: Float64Array): { readonly L: number; readonly mu: number; readonly LMaxSample?: number };
  /**
   * Problem-specific evaluation metrics at (x, z) for traces and summaries: held-out or test error, precision and
   * recall of a detector, PSNR… Keys are camelCase, values numbers. Called at evaluation time only, with z the exact
   * inner solution z*(x).
   */
  metrics?(x: Float64Array, z: Float64Array): Readonly<Record<string, number>>;
  /** Human-readable facts for logs and summaries (data sizes, options). */
  readonly info?: Readonly<Record<string, string | number | boolean>>;
}

/** The documented default target of every evaluation-time inner solve: ‖∇_z G‖ ≤ 1e-10. */
export const INNER_TOL = 1e-10;

/** Options for the evaluation-time inner solve. */
export interface InnerSolveOptions {
  /** Stop when ‖∇_z G(z, x)‖ ≤ tol. Default 1e-10. */
  readonly tol?: number;
  /** Warm start. Default: zeros. */
  readonly z0?: Float64Array;
  /** Iteration cap. */
  readonly maxIter?: number;
}

/**
 * Result of {@link BilevelProblem.solveInner}: z and what the solve reached. A solve that stops short of its
 * tolerance (iteration cap, or a method at its precision floor) says so with `converged: false`; it never throws
 * for that.
 */
export interface InnerSolution {
  readonly z: Float64Array;
  /** ‖∇_z G(z, x)‖ reached. */
  readonly gradNorm: number;
  readonly iterations: number;
  /** gradNorm ≤ tol. */
  readonly converged: boolean;
  /** The target ‖∇_z G‖ ≤ tol of this solve (the option, or the problem's default). */
  readonly tol: number;
}

/** Result of {@link BilevelProblem.hypergradient}. */
export interface Hypergradient {
  /** h(x) = F(z*(x), x). */
  readonly value: number;
  /** ∇h(x). */
  readonly grad: Float64Array;
  /** z*(x) used. */
  readonly z: Float64Array;
  /** v*(x) = −H⁻¹∇_z F. */
  readonly v: Float64Array;
  /** ‖∇_z G(z, x)‖ of the inner solve. */
  readonly innerGradNorm: number;
  /** Whether the inner solve reached its target (`innerGradNorm ≤ innerTol`); when false, h and ∇h are inexact. */
  readonly innerConverged: boolean;
  /** The target of the inner solve. */
  readonly innerTol: number;
}

/** The optional oracles of the contract. */
export type OptionalOracle = 'innerGradX' | 'outerHvp' | 'outerCross';

/** Throws a RangeError naming the solver and the missing oracles if the problem lacks any of `needed`. */
export function requireOracles(problem: BilevelProblem, needed: readonly OptionalOracle[], who: string): void {
  const missing = needed.filter((name) => typeof problem[name] !== 'function');
  if (missing.length > 0) {
    throw new RangeError(`${who}: problem "${problem.name}" does not provide the oracle${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  }
}

/** The indices 0..n-1. */
export function fullBatch(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** Numbers of inner and outer batches for a batch size (blocks of a `BlockSampler`). */
export function batchCounts(problem: BilevelProblem, batchSize: number): { inner: number; outer: number } {
  return {
    inner: Math.ceil(problem.nInner / Math.min(batchSize, problem.nInner)),
    outer: Math.ceil(problem.nOuter / Math.min(batchSize, problem.nOuter)),
  };
}
