import { conjugateGradient, lbfgs, nrm2 } from '@bilevel/linalg';
import type { BilevelProblem, Hypergradient, InnerSolution, InnerSolveOptions } from './bilevel-problem';
import { INNER_TOL } from './bilevel-problem';

type Oracles = Pick<
  BilevelProblem,
  'dimZ' | 'dimX' | 'fullInner' | 'fullOuter' | 'innerValue' | 'innerGradZ' | 'innerHvp' | 'innerCross' | 'outerValue' | 'outerGradZ' | 'outerGradX'
>;

/** Newton–CG steps of the polish at most. */
const POLISH_MAX_STEPS = 20;
/** Step halvings per Newton–CG step at most. */
const POLISH_MAX_HALVINGS = 30;

/**
 * Evaluation-time inner solve for any problem from its full-batch oracles, to ‖∇_z G‖ ≤ tol (default
 * {@link INNER_TOL} = 1e-10), at most `maxIter` iterations in all (default 5000):
 * 1. L-BFGS (memory 20) on G(·, x). Its line search judges steps by the value of G, so it stops once the decrease
 *    it would need falls below the rounding of G (about ‖∇_z G‖²/μ < ε·|G|): on logistic HPO at ‖∇_z G‖ between
 *    2e-10 and 6e-9, short of 1e-10;
 * 2. then, while above tol, Newton–CG steps z ← z + t·p with ∇²_zz G·p = −∇_z G solved by CG on full-batch HVPs
 *    (relative residual min(1e-2, 0.1·tol/‖∇_z G‖), at least 1e-8), t ∈ {1, ½, ¼, …} the first that lowers ‖∇_z G‖: a
 *    gradient-norm test, which stays accurate to the rounding of the gradient, far below that of G.
 * Stops short only at the iteration cap or when no Newton step lowers ‖∇_z G‖, and then says so (`converged:
 * false`, with the norm reached). Problems with a closed form or a Newton solver override this.
 */
export function solveInnerLbfgs(problem: Oracles, x: Float64Array, options: InnerSolveOptions = {}): InnerSolution {
  const z = options.z0 ? Float64Array.from(options.z0) : new Float64Array(problem.dimZ);
  const tol = options.tol ?? INNER_TOL;
  const maxIter = options.maxIter ?? 5000;
  const res = lbfgs(
    (zz, g) => {
      problem.innerGradZ(zz, x, problem.fullInner, g);
      return problem.innerValue(zz, x, problem.fullInner);
    },
    z,
    { gtol: tol, maxIter, memory: 20 },
  );
  let { gradNorm, iterations } = res;
  if (gradNorm > tol && iterations < maxIter && Number.isFinite(gradNorm)) {
    const polished = newtonCgPolish(problem, x, z, tol, Math.min(POLISH_MAX_STEPS, maxIter - iterations));
    gradNorm = polished.gradNorm;
    iterations += polished.steps;
  }
  return { z, gradNorm, iterations, converged: gradNorm <= tol, tol };
}

/** Newton–CG steps on G(·, x) from z (updated in place), accepted when they lower ‖∇_z G‖, until ‖∇_z G‖ ≤ tol. */
function newtonCgPolish(problem: Oracles, x: Float64Array, z: Float64Array, tol: number, maxSteps: number): { gradNorm: number; steps: number } {
  const d = problem.dimZ;
  const full = problem.fullInner;
  const g = new Float64Array(d);
  const gTry = new Float64Array(d);
  const zTry = new Float64Array(d);
  const p = new Float64Array(d);
  const rhs = new Float64Array(d);
  problem.innerGradZ(z, x, full, g);
  let gradNorm = nrm2(g);
  let steps = 0;
  while (steps < maxSteps && gradNorm > tol) {
    p.fill(0);
    for (let i = 0; i < d; i++) rhs[i] = -g[i];
    const rtol = Math.min(1e-2, Math.max(1e-8, (0.1 * tol) / gradNorm));
    conjugateGradient((q, out) => problem.innerHvp(z, x, q, full, out), rhs, p, { rtol, maxIter: 10 * d });
    let accepted = false;
    for (let h = 0, t = 1; h <= POLISH_MAX_HALVINGS && !accepted; h++, t /= 2) {
      for (let i = 0; i < d; i++) zTry[i] = z[i] + t * p[i];
      problem.innerGradZ(zTry, x, full, gTry);
      const normTry = nrm2(gTry);
      if (normTry < gradNorm) {
        z.set(zTry);
        g.set(gTry);
        gradNorm = normTry;
        accepted = true;
      }
    }
    if (!accepted) break;
    steps++;
  }
  return { gradNorm, steps };
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
  return {
    value: problem.outerValue(z, x, problem.fullOuter),
    grad,
    z,
    v,
    innerGradNorm: inner.gradNorm,
    innerConverged: inner.converged,
    innerTol: inner.tol,
  };
}

/** Result of {@link referenceSolution}. */
export interface ReferenceSolution {
  readonly x: Float64Array;
  /** h* = h(x*). */
  readonly value: number;
  /** ‖∇h(x*)‖ reached. */
  readonly gradNorm: number;
  /** `closed-form` or `lbfgs` (full-batch L-BFGS on exact hypergradients). */
  readonly method: 'closed-form' | 'lbfgs';
  /** gradNorm ≤ gtol (always true for a closed form). */
  readonly converged: boolean;
  /** The target ‖∇h‖ ≤ gtol of the L-BFGS solve (0 for a closed form). */
  readonly gtol: number;
  /** The exact inner solve at x*: whether it reached its target, the ‖∇_z G‖ reached and the target. */
  readonly innerConverged: boolean;
  readonly innerGradNorm: number;
  readonly innerTol: number;
}

/**
 * The reference minimum h* that suboptimality is measured against: the problem's closed form when it has one,
 * otherwise full-batch L-BFGS on h with exact hypergradients (each from an exact inner solve), to ‖∇h‖ ≤ gtol
 * (default 1e-9, at most `maxIter` = 500 iterations). Whether either solve reached its target is in the result.
 * `onEvaluation` is called after each exact hypergradient of the L-BFGS solve with their count and h there (a
 * caller's progress report: on large data each one is an exact inner solve of seconds).
 */
export function referenceSolution(
  problem: BilevelProblem,
  options: { x0?: Float64Array; gtol?: number; maxIter?: number; onEvaluation?: (count: number, value: number) => void } = {},
): ReferenceSolution {
  if (problem.solution) {
    const s = problem.solution();
    const hg = problem.hypergradient(s.x);
    const inner = { innerConverged: hg.innerConverged, innerGradNorm: hg.innerGradNorm, innerTol: hg.innerTol };
    return { x: s.x, value: s.value, gradNorm: nrm2(hg.grad), method: 'closed-form', converged: true, gtol: 0, ...inner };
  }
  const gtol = options.gtol ?? 1e-9;
  const x = options.x0 ? Float64Array.from(options.x0) : new Float64Array(problem.dimX);
  let evaluations = 0;
  const res = lbfgs(
    (xx, g) => {
      // A trial point far out (e.g. exp(x) overflowing) counts as +∞, so the line search backtracks from it.
      let value = Infinity;
      try {
        const hg = problem.hypergradient(xx);
        g.set(hg.grad);
        if (Number.isFinite(hg.value)) value = hg.value;
      } catch {
        value = Infinity;
      }
      options.onEvaluation?.(++evaluations, value);
      return value;
    },
    x,
    { gtol, maxIter: options.maxIter ?? 500 },
  );
  let at: { innerConverged: boolean; innerGradNorm: number; innerTol: number };
  try {
    at = problem.hypergradient(x);
  } catch {
    at = { innerConverged: false, innerGradNorm: NaN, innerTol: NaN };
  }
  return {
    x,
    value: res.value,
    gradNorm: res.gradNorm,
    method: 'lbfgs',
    converged: res.converged,
    gtol,
    innerConverged: at.innerConverged,
    innerGradNorm: at.innerGradNorm,
    innerTol: at.innerTol,
  };
}
