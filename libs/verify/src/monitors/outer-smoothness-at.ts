import type { BilevelProblem } from '@bilevel/problems';
import { QuadraticProblem } from '@bilevel/problems';
import { matrix, nrm2, symEig } from '@bilevel/linalg';
import { outerSpectrum } from '../outer-spectrum';

/** Options of {@link outerSmoothnessAt}. */
export interface OuterSmoothnessOptions {
  /** Largest dim x for which L_h is estimated (each Hessian product costs two exact hypergradients). Default 50. */
  readonly maxDimX?: number;
  /** Hessian products at most (power iteration); the full Hessian is formed instead when dim x ≤ this. Default 10. */
  readonly iterations?: number;
  /** Warm start of the exact inner solve at x (e.g. the streams' current z). Default: zeros. */
  readonly z0?: Float64Array;
}

/** Relative change of the power-iteration estimate at which it stops. */
const POWER_RTOL = 1e-3;
/**
 * Forward-difference step, relative to max(1, ‖x‖∞): balances the O(ε) truncation and the error of the exact inner
 * solves (‖∇_z G‖ ≤ 1e-10) divided by ε, both about 1e-5 relative.
 */
const FD_STEP = 1e-5;

/**
 * L_h = ‖∇²h(x)‖, the smoothness of the value function at x: exact for a {@link QuadraticProblem} (the largest
 * eigenvalue of its constant outer Hessian), else from forward differences of the exact hypergradient,
 * ∇²h(x)·u ≈ (∇h(x + εu) − ∇h(x)) / ε (one exact inner solve per product, warm started from z*(x)): with dim x ≤
 * `iterations` the whole Hessian is formed from the coordinate directions, symmetrized, and its largest absolute
 * eigenvalue taken; above, power iteration with at most `iterations` products (approaches L_h from below).
 * Undefined when dim x > maxDimX. A local estimate, without certificate.
 */
export function outerSmoothnessAt(problem: BilevelProblem, x: Float64Array, options: OuterSmoothnessOptions = {}): { readonly L: number; readonly estimated: boolean } | undefined {
  if (problem instanceof QuadraticProblem) return { L: outerSpectrum(problem).L, estimated: false };
  const n = problem.dimX;
  if (n > (options.maxDimX ?? 50)) return undefined;
  const iterations = options.iterations ?? 10;
  let xInf = 1;
  for (let i = 0; i < n; i++) xInf = Math.max(xInf, Math.abs(x[i]));
  const eps = FD_STEP * xInf;
  const base = problem.hypergradient(x, options.z0 ? { z0: options.z0 } : {});
  const z0 = base.z;
  const xp = new Float64Array(n);
  /** out ← ∇²h(x)·u by forward differences. */
  const hvp = (u: Float64Array, out: Float64Array) => {
    for (let i = 0; i < n; i++) xp[i] = x[i] + eps * u[i];
    const gp = problem.hypergradient(xp, { z0 }).grad;
    for (let i = 0; i < n; i++) out[i] = (gp[i] - base.grad[i]) / eps;
  };
  if (n <= iterations) {
    const H = matrix(n, n);
    const e = new Float64Array(n);
    const col = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      e.fill(0);
      e[j] = 1;
      hvp(e, col);
      for (let i = 0; i < n; i++) H.data[i * n + j] = col[i];
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) H.data[i * n + j] = H.data[j * n + i] = (H.data[i * n + j] + H.data[j * n + i]) / 2;
    }
    const { values } = symEig(H);
    return { L: Math.max(Math.abs(values[0]), Math.abs(values[n - 1])), estimated: true };
  }
  let u = Float64Array.from({ length: n }, (_, i) => 1 + i / n);
  let norm = nrm2(u);
  for (let i = 0; i < n; i++) u[i] /= norm;
  let lambda = 0;
  for (let it = 0; it < iterations; it++) {
    const w = new Float64Array(n);
    hvp(u, w);
    norm = nrm2(w);
    if (!(norm > 0)) return { L: 0, estimated: true };
    const prev = lambda;
    lambda = norm;
    for (let i = 0; i < n; i++) w[i] /= norm;
    u = w;
    if (Math.abs(lambda - prev) <= POWER_RTOL * lambda) break;
  }
  return { L: lambda, estimated: true };
}
