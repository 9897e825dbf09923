import { cholesky, choleskySolve } from './cholesky';
import type { Matrix } from './matrix';
import { nrm2 } from './nrm2';

/** A smooth strongly convex function for {@link dampedNewton}: value, gradient and Hessian, each written in place. */
export interface NewtonObjective {
  value(z: Float64Array): number;
  gradient(z: Float64Array, out: Float64Array): void;
  /** Writes ∇²f(z) into H (the full symmetric matrix). */
  hessian(z: Float64Array, H: Matrix): void;
}

/** Result of {@link dampedNewton}: z is the iterate it was given, updated in place. */
export interface DampedNewtonResult {
  readonly z: Float64Array;
  readonly gradNorm: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/**
 * Newton's method with dense Cholesky steps and Armijo backtracking (sufficient decrease 1e-4, halving, at most 50
 * trials), until ‖∇f(z)‖ ≤ tol or maxIter steps. A trial is also accepted when the value changes by no more than its
 * round-off (1e-15 relative), so the method does not stall once the decrease is at the precision of f. Stops early
 * if no trial is accepted. Updates `z` in place and uses `H` (dim × dim) as its Hessian buffer.
 *
 * @example dampedNewton({ value, gradient, hessian }, z, matrix(d, d), { tol: 1e-10, maxIter: 100 })
 */
export function dampedNewton(f: NewtonObjective, z: Float64Array, H: Matrix, options: { tol: number; maxIter: number }): DampedNewtonResult {
  const { tol, maxIter } = options;
  const d = z.length;
  const g = new Float64Array(d);
  const step = new Float64Array(d);
  const zTry = new Float64Array(d);
  let value = f.value(z);
  f.gradient(z, g);
  let gn = nrm2(g);
  let it = 0;
  while (gn > tol && it < maxIter) {
    f.hessian(z, H);
    cholesky(H, H);
    for (let q = 0; q < d; q++) step[q] = -g[q];
    choleskySolve(H, step);
    let slope = 0;
    for (let q = 0; q < d; q++) slope += g[q] * step[q];
    let alpha = 1;
    let accepted = false;
    for (let ls = 0; ls < 50; ls++) {
      for (let q = 0; q < d; q++) zTry[q] = z[q] + alpha * step[q];
      const vTry = f.value(zTry);
      if (vTry <= value + 1e-4 * alpha * slope || Math.abs(vTry - value) <= 1e-15 * Math.abs(value)) {
        value = vTry;
        accepted = true;
        break;
      }
      alpha *= 0.5;
    }
    if (!accepted) break;
    z.set(zTry);
    f.gradient(z, g);
    gn = nrm2(g);
    it++;
  }
  return { z, gradNorm: gn, iterations: it, converged: gn <= tol };
}
