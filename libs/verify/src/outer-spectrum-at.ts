import { matrix, symEig } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';

/** Options of {@link outerSpectrumAt}. */
export interface OuterSpectrumOptions {
  /** Warm start of the exact inner solves (e.g. z*(x)). Default: zeros. */
  readonly z0?: Float64Array;
}

/**
 * Forward-difference step, relative to max(1, ‖x‖∞): balances the O(ε) truncation and the error of the exact inner
 * solves (‖∇_z G‖ ≤ 1e-10) divided by ε, both about 1e-5 relative (as in {@link outerSmoothnessAt}).
 */
const FD_STEP = 1e-5;

/**
 * μ_h and L_h at x: the smallest and largest eigenvalues of ∇²h(x), h(x) = F(z*(x), x), formed column by column from
 * forward differences of exact hypergradients, ∇²h(x)·e_j ≈ (∇h(x + εe_j) − ∇h(x)) / ε (dim x + 1 hypergradients,
 * warm-started), then symmetrized. A local estimate, without certificate (μ_h ≤ 0: h is not strongly convex at x).
 */
export function outerSpectrumAt(problem: BilevelProblem, x: Float64Array, options: OuterSpectrumOptions = {}): { readonly mu: number; readonly L: number } {
  const n = problem.dimX;
  let xInf = 1;
  for (let i = 0; i < n; i++) xInf = Math.max(xInf, Math.abs(x[i]));
  const eps = FD_STEP * xInf;
  const base = problem.hypergradient(x, options.z0 ? { z0: options.z0 } : {});
  const H = matrix(n, n);
  const xp = Float64Array.from(x);
  for (let j = 0; j < n; j++) {
    xp[j] = x[j] + eps;
    const gp = problem.hypergradient(xp, { z0: base.z }).grad;
    xp[j] = x[j];
    for (let i = 0; i < n; i++) H.data[i * n + j] = (gp[i] - base.grad[i]) / eps;
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) H.data[i * n + j] = H.data[j * n + i] = (H.data[i * n + j] + H.data[j * n + i]) / 2;
  }
  const { values } = symEig(H);
  return { mu: values[0], L: values[n - 1] };
}
