import { knownKeys, positiveInteger, positiveNumber } from '../../validate-options';
import type { LinearSolver, Matvec } from './linear-solver';

/** Options of {@link richardsonSolver}, with their defaults. */
export interface RichardsonSolverOptions {
  /** K, the number of steps (= products). Default 10 (the public benchmark's AmIGO). */
  readonly steps?: number;
  /** β, the step; converges for 0 < β < 2/L. Default 0.1 (the public benchmark). */
  readonly step?: number;
}

const KEYS = ['steps', 'step'] as const;

/**
 * Richardson iteration, i.e. gradient descent on the quadratic ½xᵀAx − bᵀx, from the warm start in `x`:
 *
 *   repeat K times:  x ← x − β (A·x − b)
 *
 * so x_K − A⁻¹b = (I − βA)^K (x₀ − A⁻¹b). AmIGO's linear-system loop (Arbel & Mairal, ICLR 2022) with b = −∇_z F:
 * warm-started from the previous outer step's v, a small constant K suffices. With a stochastic `matvec` (a fresh
 * minibatch Hessian per call) it is SGD on the quadratic. From x = 0, K steps equal the Neumann series with K − 1
 * products plus one wasted product at zero (see {@link neumannSolver}).
 *
 * @example richardsonSolver({ steps: 10, step: 0.1 }).solve((p, out) => problem.innerHvp(z, x, p, batch, out), rhs, v)
 */
export function richardsonSolver(options: RichardsonSolverOptions = {}): LinearSolver {
  const fn = 'richardsonSolver';
  knownKeys(fn, options, KEYS);
  const steps = positiveInteger(fn, 'steps', options.steps ?? 10);
  const beta = positiveNumber(fn, 'step', options.step ?? 0.1);
  return {
    name: 'richardson',
    options: { steps, step: beta },
    solve(matvec: Matvec, b: Float64Array, x: Float64Array) {
      const n = b.length;
      const ax = new Float64Array(n);
      for (let k = 0; k < steps; k++) {
        matvec(x, ax);
        for (let i = 0; i < n; i++) x[i] -= beta * (ax[i] - b[i]);
      }
      return { iterations: steps, matvecs: steps };
    },
  };
}
