import { conjugateGradient, lbfgs, nrm2 } from '@bilevel/linalg';
import type { BilevelProblem, Hypergradient, InnerSolution, InnerSolveOptions } from './bilevel-problem';

type Oracles = Pick<
  BilevelProblem,
  'dimZ' | 'dimX' | 'fullInner' | 'fullOuter' | 'innerValue' | 'innerGradZ' | 'innerHvp' | 'innerCross' | 'outerValue' | 'outerGradZ' | 'outerGradX'
>;

/**
 * Evaluation-time inner solve for any problem from its full-batch oracles: L-BFGS (memory 20) on G(·, x) to
 * ‖∇_z G‖ ≤ tol (default 1e-10). Problems with a closed form or a Newton solver override this.
 */
export function solveInnerLbfgs(problem: Oracles, x: Float64Array, options: InnerSolveOptions = {}): InnerSolution {
  const z = options.z0 ? Float64Array.from(options.z0) : new Float64Array(problem.dimZ);
  const tol = options.tol ?? 1e-10;
  const res = lbfgs(
    (zz, g) => {
      problem.innerGradZ(zz, x, problem.fullInner, g);
      return problem.innerValue(zz, x, problem.fullInner);
    },
    z,
    { gtol: tol, maxIter: options.maxIter ?? 5000, memory: 20 },
  );
  return { z, gradNorm: res.gradNorm, iterations: res.iterations, converged: res.converged };
}

/**
 * Exact hypergradient from oracles: z* by `solveInner`, v* by conjugate gradient on the full-batch HVP to relative
 * residual 1e-12, then ∇h = ∇_x F + ∇²_xz G·v*.
 */
export function hypergradientCg(
  problem: Oracles,
  x: Float64Array,
  solveInner: (x: Float64Array, options?: InnerSolveOptions) => InnerSolution,
  options: InnerSolveOptions = {},
): Hypergradient {
  const inner = solveInner(x, options);
  const { z } = inner;
  const b = new Float64Array(problem.dimZ);
  problem.outerGradZ(z, x, problem.fullOuter, b);
  const rhs = Float64Array.from(b, (e) => -e);
  const v = new Float64Array(problem.dimZ);
  conjugateGradient((p, out) => problem.innerHvp(z, x, p, problem.fullInner, out), rhs, v, {
    rtol: 1e-12,
    atol: 1e-300,
    maxIter: 50 * problem.dimZ,
  });
  const grad = new Float64Array(problem.dimX);
  const cross = new Float64Array(problem.dimX);
  problem.outerGradX(z, x, problem.fullOuter, grad);
  problem.innerCross(z, x, v, problem.fullInner, cross);
  for (let k = 0; k < problem.dimX; k++) grad[k] += cross[k];
  return { value: problem.outerValue(z, x, problem.fullOuter), grad, z, v, innerGradNorm: inner.gradNorm };
}

/** Result of {@link referenceSolution}. */
export interface ReferenceSolution {
  readonly x: Float64Array;
  /** h* = h(x*). */
  readonly value: number;
  readonly gradNorm: number;
  /** `closed-form` or `lbfgs` (full-batch L-BFGS on exact hypergradients). */
  readonly method: 'closed-form' | 'lbfgs';
}

/**
 * The reference minimum h* that suboptimality is measured against: the problem's closed form when it has one,
 * otherwise full-batch L-BFGS on h with exact hypergradients (each from an exact inner solve), to ‖∇h‖ ≤ gtol.
 */
export function referenceSolution(problem: BilevelProblem, options: { x0?: Float64Array; gtol?: number; maxIter?: number } = {}): ReferenceSolution {
  if (problem.solution) {
    const s = problem.solution();
    return { x: s.x, value: s.value, gradNorm: nrm2(problem.hypergradient(s.x).grad), method: 'closed-form' };
  }
  const x = options.x0 ? Float64Array.from(options.x0) : new Float64Array(problem.dimX);
  const res = lbfgs(
    (xx, g) => {
      // A trial point far out (e.g. exp(x) overflowing) counts as +∞, so the line search backtracks from it.
      try {
        const hg = problem.hypergradient(xx);
        g.set(hg.grad);
        return Number.isFinite(hg.value) ? hg.value : Infinity;
      } catch {
        return Infinity;
      }
    },
    x,
    { gtol: options.gtol ?? 1e-9, maxIter: options.maxIter ?? 500 },
  );
  return { x, value: res.value, gradNorm: res.gradNorm, method: 'lbfgs' };
}
