import { cholesky, choleskySolve, matrix, nrm2 } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import { linearSolverDescription } from './part-description';
import { fullBatchOuter } from './parts/full-batch-outer';
import type { LinearSolveInfo, LinearSolver } from './parts/linear/linear-solver';
import type { LinearSolverName } from './parts/linear/linear-solvers';
import { LINEAR_SOLVERS, createLinearSolver } from './parts/linear/linear-solvers';
import { solveDiagnostics } from './parts/linear/solve-diagnostics';
import { LbfgsMinimizer } from './parts/linear/lbfgs-minimizer';
import { knownKeys, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link implicitDiff}, with their defaults. */
export interface ImplicitDiffOptions {
  /** Accepted for the common interface and ignored: every oracle is full batch. */
  readonly batchSize?: number;
  /** Step of the inner gradient descent (`inner: 'gd'` only). Default 0.1. */
  readonly innerStep?: number;
  /** γ, step of x. Default 0.1. */
  readonly outerStep?: number;
  /**
   * Inner solve, warm-started at the previous z: `exact` (the problem's own solveInner, e.g. closed form or Newton),
   * `lbfgs` (full-batch L-BFGS, memory 10 kept across outer steps, scaled H₀) or `gd` (full-batch gradient descent with `innerStep`). Default `exact`.
   */
  readonly inner?: 'exact' | 'lbfgs' | 'gd';
  /**
   * Linear system H v = −∇_z F: `exact` (dense H from dimZ HVPs, Cholesky) or a named linear solver on full-batch
   * HVPs, warm-started at the previous v: `cg`, `normal-cg`, `gmres`, `bicgstab` (to `linsysTol`), `neumann` (to
   * `linsysTol`, at most `linsysMaxIter` terms, step `linsysStep`) or `richardson` (`linsysMaxIter` steps of size
   * `linsysStep`, default 10). Default `cg`.
   */
  readonly linsys?: 'exact' | LinearSolverName;
  /** Inner stopping test ‖∇_z G(z, x)‖ ≤ innerTol. Default 1e-10. */
  readonly innerTol?: number;
  /** Stopping test of the linear solver (CG, …) ‖H v + ∇_z F‖ ≤ linsysTol·‖∇_z F‖. Default 1e-10. */
  readonly linsysTol?: number;
  /** Iteration cap of the iterative inner solves. Default 10000. */
  readonly innerMaxIter?: number;
  /** Iteration cap of the linear solver (CG, …; the number of Neumann terms). Default 10·dimZ. */
  readonly linsysMaxIter?: number;
  /** η, the step of `neumann` and `richardson` (needs η ≤ 1/L). Default 0.1. */
  readonly linsysStep?: number;
}

const KEYS = ['batchSize', 'innerStep', 'outerStep', 'inner', 'linsys', 'innerTol', 'linsysTol', 'innerMaxIter', 'linsysMaxIter', 'linsysStep'] as const;

function oneOf<T extends string>(fn: string, field: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new RangeError(`${fn}: ${field} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, received ${String(value)}`);
  return value as T;
}

interface InnerState {
  readonly problem: BilevelProblem;
  readonly g: Float64Array;
  readonly qn: LbfgsMinimizer;
  iterations: number;
  gradNorm: number;
}
interface LinsysState {
  readonly problem: BilevelProblem;
  readonly rhs: Float64Array;
  readonly solver: LinearSolver | undefined;
  readonly unit: Float64Array;
  readonly hessian: Matrix;
  iterations: number;
  residual: number;
  info: LinearSolveInfo | undefined;
}

/**
 * Implicit differentiation, the deterministic baseline of bilevel optimization (approximate implicit
 * differentiation as in Pedregosa, "Hyperparameter optimization with approximate gradient", ICML 2016, and
 * Ghadimi & Wang 2018; the implicit function theorem for the hypergradient). Each outer step, `gauss-seidel`:
 *   1. z_{k+1} ≈ argmin_z G(z, x_k), solved to ‖∇_z G‖ ≤ innerTol from z_k                (inner part)
 *   2. v_{k+1}: H v = −∇_z F(z_{k+1}, x_k), H = ∇²_zz G(z_{k+1}, x_k), by a linear solver from v_k (CG by default;
 *      a stall or breakdown shows in the diagnostics `linsysStalled`, `linsysReason`) or exactly          (linsys)
 *   3. x_{k+1} = x_k − γ (∇_x F + ∇²_xz G·v_{k+1})                                        (outer part)
 * All oracles are full batch, so step 3 is gradient descent on h with the hypergradient accurate to the two
 * tolerances; with γ ≤ 1/L_h it converges linearly on a strongly convex h (the quadratic) to that accuracy.
 *
 * @example run(problem, implicitDiff({ inner: 'exact', linsys: 'cg', outerStep: 0.5 }), { maxIter: 200 })
 */
export function implicitDiff(options: ImplicitDiffOptions = {}): Solver {
  const fn = 'implicitDiff';
  knownKeys(fn, options, KEYS);
  if (options.batchSize !== undefined) positiveInteger(fn, 'batchSize', options.batchSize);
  const innerStep = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const gamma = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const innerMethod = oneOf(fn, 'inner', options.inner ?? 'exact', ['exact', 'lbfgs', 'gd'] as const);
  const linsysMethod = oneOf(fn, 'linsys', options.linsys ?? 'cg', ['exact', ...(Object.keys(LINEAR_SOLVERS) as LinearSolverName[])]);
  const innerTol = positiveNumber(fn, 'innerTol', options.innerTol ?? 1e-10);
  const linsysTol = positiveNumber(fn, 'linsysTol', options.linsysTol ?? 1e-10);
  const innerMaxIter = positiveInteger(fn, 'innerMaxIter', options.innerMaxIter ?? 10_000);
  const linsysMaxIter = options.linsysMaxIter === undefined ? undefined : positiveInteger(fn, 'linsysMaxIter', options.linsysMaxIter);
  const linsysStep = positiveNumber(fn, 'linsysStep', options.linsysStep ?? 0.1);
  const stepped = linsysMethod === 'neumann' || linsysMethod === 'richardson';
  const makeSolver = (dimZ: number): LinearSolver | undefined => {
    if (linsysMethod === 'exact') return undefined;
    if (linsysMethod === 'richardson') return createLinearSolver('richardson', { eta: linsysStep, ...(linsysMaxIter !== undefined ? { maxIter: linsysMaxIter } : {}) });
    if (linsysMethod === 'neumann') return createLinearSolver('neumann', { eta: linsysStep, rtol: linsysTol, maxIter: linsysMaxIter ?? 10 * dimZ });
    return createLinearSolver(linsysMethod, { rtol: linsysTol, ...(linsysMaxIter !== undefined ? { maxIter: linsysMaxIter } : {}) });
  };

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    description: { estimator: 'full-batch', step: innerMethod === 'gd' ? { kind: 'constant', value: innerStep } : { kind: 'other', rule: innerMethod === 'exact' ? 'exact solve' : 'lbfgs' } },
    init: (problem) => ({ problem, g: new Float64Array(problem.dimZ), qn: new LbfgsMinimizer(problem.dimZ, { memory: 10, h0: 'scaled' }), iterations: 0, gradNorm: NaN }),
    step(s, { z, x }, _t, out) {
      const p = s.problem;
      const full = p.fullInner;
      if (innerMethod === 'exact') {
        const r = p.solveInner(x, { z0: z, tol: innerTol, maxIter: innerMaxIter });
        out.set(r.z);
        s.iterations = r.iterations;
        s.gradNorm = r.gradNorm;
        return;
      }
      out.set(z);
      if (innerMethod === 'lbfgs') {
        const r = s.qn.minimize(
          (w, g) => {
            p.innerGradZ(w, x, full, g);
            return p.innerValue(w, x, full);
          },
          out,
          { gtol: innerTol, maxIter: innerMaxIter },
        );
        s.iterations = r.iterations;
        s.gradNorm = r.gradNorm;
        return;
      }
      let it = 0;
      p.innerGradZ(out, x, full, s.g);
      while (nrm2(s.g) > innerTol && it < innerMaxIter) {
        for (let k = 0; k < out.length; k++) out[k] -= innerStep * s.g[k];
        p.innerGradZ(out, x, full, s.g);
        it++;
      }
      s.iterations = it;
      s.gradNorm = nrm2(s.g);
    },
    diagnostics: (s) => ({ innerIterations: s.iterations, innerGradNorm: s.gradNorm }),
  };

  const linsys: StreamPart<LinsysState> = {
    stream: 'linsys',
    description: { estimator: 'full-batch', linearSolver: linearSolverDescription(linsysMethod, linsysStep, linsysMaxIter) },
    init: (problem) => ({
      problem,
      rhs: new Float64Array(problem.dimZ),
      solver: makeSolver(problem.dimZ),
      unit: new Float64Array(linsysMethod === 'exact' ? problem.dimZ : 0),
      hessian: matrix(linsysMethod === 'exact' ? problem.dimZ : 0, linsysMethod === 'exact' ? problem.dimZ : 0),
      iterations: 0,
      residual: NaN,
      info: undefined,
    }),
    step(s, { z, v, x }, _t, out) {
      const p = s.problem;
      const d = p.dimZ;
      p.outerGradZ(z, x, p.fullOuter, s.rhs);
      for (let k = 0; k < d; k++) s.rhs[k] = -s.rhs[k];
      if (s.solver) {
        out.set(v);
        const info = s.solver.solve((q, hq) => p.innerHvp(z, x, q, p.fullInner, hq), s.rhs, out);
        s.iterations = info.iterations;
        s.residual = info.residualNorm ?? NaN;
        s.info = info;
        return;
      }
      // dense H, column by column (H is symmetric, so row j = column j), then a Cholesky solve
      const col = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        s.unit.fill(0);
        s.unit[j] = 1;
        p.innerHvp(z, x, s.unit, p.fullInner, col);
        s.hessian.data.set(col, j * d);
      }
      out.set(s.rhs);
      choleskySolve(cholesky(s.hessian), out);
      s.iterations = d;
      s.residual = NaN;
    },
    diagnostics: (s) => ({ linsysIterations: s.iterations, linsysResidual: s.residual, ...solveDiagnostics(s.info) }),
  };

  const outer = fullBatchOuter(gamma);

  return {
    name: 'implicit-diff',
    citation:
      'Pedregosa. Hyperparameter optimization with approximate gradient. ICML 2016 (implicit differentiation; the deterministic baseline).',
    schedule: 'gauss-seidel',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: {
      outerStep: gamma,
      inner: innerMethod,
      linsys: linsysMethod,
      innerTol,
      ...(innerMethod === 'gd' ? { innerStep } : {}),
      innerMaxIter,
      ...(linsysMethod !== 'exact' && linsysMethod !== 'richardson' ? { linsysTol } : {}),
      ...(linsysMethod !== 'exact' && linsysMaxIter !== undefined ? { linsysMaxIter } : {}),
      ...(stepped ? { linsysStep } : {}),
    },
  };
}
