import { nrm2 } from '@bilevel/linalg';

/** Options of {@link fista}. */
export interface FistaOptions {
  /** Lipschitz constant of ∇f (the step is 1/L). */
  readonly L: number;
  /** Strong convexity μ ≥ 0 of f (sets the momentum; 0 gives plain FISTA). */
  readonly mu: number;
  /** Stop when ‖∇f‖ ≤ tol at the extrapolated point. */
  readonly tol: number;
  /** Iteration cap. */
  readonly maxIter: number;
}

/** What {@link fista} reached. */
export interface FistaResult {
  /** Gradient evaluations after the first (= iterations of the method). */
  readonly iterations: number;
  /** ‖∇f‖ at the returned point. */
  readonly gradNorm: number;
  readonly converged: boolean;
}

/** Scratch vectors of {@link fista}, of the length of z, reusable across calls. */
export interface FistaWorkspace {
  readonly y: Float64Array;
  readonly zPrev: Float64Array;
  readonly g: Float64Array;
}

/** Scratch of length n for {@link fista}. */
export function fistaWorkspace(n: number): FistaWorkspace {
  return { y: new Float64Array(n), zPrev: new Float64Array(n), g: new Float64Array(n) };
}

/**
 * FISTA for a smooth μ-strongly convex f with the strongly convex momentum of the MAID authors' code (the same
 * recursion as the solvers' LowerLevelSolver), warm-started at `z` (updated in place):
 *   q = μ/L,  t⁺ = (1 − qt² + √((1 − qt²)² + 4t²))/2,  β = (t − 1)(1 − t⁺q)/(t⁺(1 − q)),
 *   y = z + β(z − z_prev),  stop if ‖∇f(y)‖ ≤ tol (return y),  z ← y − ∇f(y)/L.
 * Linear rate (1 − √q) for q > 0. `grad(u, g)` writes ∇f(u) into g.
 *
 * @example fista((u, g) => { for (let i = 0; i < u.length; i++) g[i] = u[i] - 1; }, new Float64Array(3), fistaWorkspace(3), { L: 1, mu: 1, tol: 1e-12, maxIter: 10 })
 */
export function fista(grad: (u: Float64Array, g: Float64Array) => void, z: Float64Array, work: FistaWorkspace, options: FistaOptions): FistaResult {
  const { y, zPrev, g } = work;
  const n = z.length;
  const step = 1 / options.L;
  const q = Math.min(options.mu / options.L, 1);
  zPrev.set(z);
  let t = 1;
  let gn = Infinity;
  let it = 0;
  for (;;) {
    const tNew = (1 - q * t * t + Math.sqrt((1 - q * t * t) ** 2 + 4 * t * t)) / 2;
    const beta = q >= 1 ? 0 : ((t - 1) * (1 - tNew * q)) / (tNew * (1 - q));
    t = tNew;
    for (let i = 0; i < n; i++) y[i] = z[i] + beta * (z[i] - zPrev[i]);
    grad(y, g);
    gn = nrm2(g, n);
    if (gn <= options.tol || it >= options.maxIter || !Number.isFinite(gn)) break;
    zPrev.set(z);
    for (let i = 0; i < n; i++) z[i] = y[i] - step * g[i];
    it++;
  }
  z.set(y);
  return { iterations: it, gradNorm: gn, converged: gn <= options.tol };
}
