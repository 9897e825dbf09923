import { BlockSampler } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import { linearSolverDescription } from './part-description';
import { IndependentBatches } from './parts/linear/independent-batches';
import type { LinearSolveInfo, LinearSolver } from './parts/linear/linear-solver';
import type { LinearSolverName } from './parts/linear/linear-solvers';
import { LINEAR_SOLVERS, createLinearSolver } from './parts/linear/linear-solvers';
import { solveDiagnostics } from './parts/linear/solve-diagnostics';
import { enumOption, knownKeys, nonNegativeNumber, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link stocbio}, with their defaults (the public benchmark's StocBiO). */
export interface StocbioOptions {
  /** Minibatch size of every oracle. Default 64. */
  readonly batchSize?: number;
  /** α, step of the T inner SGD steps; also η, the Neumann step, unless `neumannStep` is given. Default 0.1. */
  readonly innerStep?: number;
  /** η, step of the Neumann series (needs η ≤ 1/L). Default: `innerStep`. */
  readonly neumannStep?: number;
  /** γ, step of x. Default 0.1. */
  readonly outerStep?: number;
  /** T, inner SGD steps per outer step (warm-started). Default 10. */
  readonly innerIters?: number;
  /** N, Hessian products of the truncated Neumann series (terms q = 0..N). Default 10. */
  readonly neumannTerms?: number;
  /**
   * The linear solver: `neumann` (StocBiO's, a fresh independent minibatch Hessian per product), `richardson` (N
   * steps of size η, likewise), or a Krylov method (`cg`, `normal-cg`, `gmres`, `bicgstab`: at most N iterations to
   * relative residual 1e-10 on one minibatch Hessian drawn per solve, since their recursions need one fixed
   * operator; the mean of v is then no longer the truncated series). Default `neumann`.
   */
  readonly linsysSolver?: LinearSolverName;
}

const KEYS = ['batchSize', 'innerStep', 'neumannStep', 'outerStep', 'innerIters', 'neumannTerms', 'linsysSolver'] as const;

interface InnerState {
  readonly problem: BilevelProblem;
  readonly sampler: BlockSampler;
  readonly g: Float64Array;
}
interface LinsysState {
  readonly problem: BilevelProblem;
  readonly hessianBatches: IndependentBatches;
  readonly outerSampler: BlockSampler;
  readonly rhs: Float64Array;
  readonly solver: LinearSolver;
  info: LinearSolveInfo | undefined;
}
interface OuterState {
  readonly problem: BilevelProblem;
  readonly innerSampler: BlockSampler;
  readonly outerSampler: BlockSampler;
  readonly cv: Float64Array;
  readonly fx: Float64Array;
}

/**
 * StocBiO, the stochastic bilevel optimizer of Ji, Yang, Liang ("Bilevel optimization: convergence analysis and
 * enhanced design", ICML 2021). Each outer step k, under the `gauss-seidel` schedule:
 *   1. T steps  z ← z − α ∇_z g_B(z, x_k)  from z_k (warm start)                          (inner part)
 *   2. b = ∇_z f_B(z_{k+1}, x_k);  p = s = b;  for q = 1..N: p ← p − η ∇²_zz g_{B_q}·p, s += p;  v = −η s  (linsys)
 *   3. x ← x − γ (∇_x f_B + ∇²_xz g_{B'}·v)                                                (outer part)
 * The Hessian batches B_q of step 2 are independent draws (with replacement, {@link IndependentBatches}), so the
 * mean of v is the truncated series −η Σ_{q≤N} (I − ηH)^q b exactly, whose bias is at most (1 − ημ)^{N+1}‖v*‖.
 * v is rebuilt from zero at every outer step (no warm start: the series is StocBiO's estimator).
 *
 * @example run(problem, stocbio({ innerIters: 10, neumannTerms: 10, innerStep: 0.1, outerStep: 0.1 }), { maxIter: 2000 })
 */
export function stocbio(options: StocbioOptions = {}): Solver {
  const fn = 'stocbio';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const alpha = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const eta = positiveNumber(fn, 'neumannStep', options.neumannStep ?? alpha);
  const gamma = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const T = positiveInteger(fn, 'innerIters', options.innerIters ?? 10);
  const N = nonNegativeNumber(fn, 'neumannTerms', options.neumannTerms ?? 10);
  if (!Number.isInteger(N)) throw new RangeError(`${fn}: neumannTerms must be an integer ≥ 0, received ${N}`);
  const linsysSolver = enumOption(fn, 'linsysSolver', options.linsysSolver ?? 'neumann', Object.keys(LINEAR_SOLVERS) as LinearSolverName[]);
  const fixedOperator = LINEAR_SOLVERS[linsysSolver].fixedOperator;
  if ((fixedOperator || linsysSolver === 'richardson') && N < 1) throw new RangeError(`${fn}: neumannTerms must be ≥ 1 with linsysSolver ${linsysSolver}, received ${N}`);
  const makeSolver = () =>
    fixedOperator ? createLinearSolver(linsysSolver, { rtol: 1e-10, maxIter: N }) : createLinearSolver(linsysSolver, { maxIter: N, eta });

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    description: { estimator: 'sgd', batchSize, step: { kind: 'constant', value: alpha } },
    init: (problem, rng) => ({ problem, sampler: new BlockSampler(problem.nInner, batchSize, rng.split()), g: new Float64Array(problem.dimZ) }),
    step(s, { z, x }, _t, out) {
      out.set(z);
      for (let i = 0; i < T; i++) {
        s.problem.innerGradZ(out, x, s.sampler.next().indices, s.g);
        for (let k = 0; k < out.length; k++) out[k] -= alpha * s.g[k];
      }
    },
  };

  const linsys: StreamPart<LinsysState> = {
    stream: 'linsys',
    description: { estimator: 'sgd', batchSize, linearSolver: linearSolverDescription(linsysSolver, eta, N) },
    init: (problem, rng) => ({
      problem,
      hessianBatches: new IndependentBatches(problem.nInner, batchSize, rng.split()),
      outerSampler: new BlockSampler(problem.nOuter, batchSize, rng.split()),
      rhs: new Float64Array(problem.dimZ),
      solver: makeSolver(),
      info: undefined,
    }),
    step(s, { z, x }, _t, out) {
      const p = s.problem;
      p.outerGradZ(z, x, s.outerSampler.next().indices, s.rhs);
      for (let k = 0; k < s.rhs.length; k++) s.rhs[k] = -s.rhs[k];
      out.fill(0);
      if (fixedOperator) {
        const batch = s.hessianBatches.next().indices;
        s.info = s.solver.solve((q, hq) => p.innerHvp(z, x, q, batch, hq), s.rhs, out);
      } else {
        s.info = s.solver.solve((q, hq) => p.innerHvp(z, x, q, s.hessianBatches.next().indices, hq), s.rhs, out);
      }
    },
    // the Krylov choices report their outcome (a stall or breakdown); the fixed-length series has none to report
    ...(fixedOperator ? { diagnostics: (s: LinsysState) => ({ linsysIterations: s.info?.iterations ?? 0, ...solveDiagnostics(s.info) }) } : {}),
  };

  const outer: StreamPart<OuterState> = {
    stream: 'outer',
    description: { estimator: 'sgd', batchSize, step: { kind: 'constant', value: gamma } },
    init: (problem, rng) => ({
      problem,
      innerSampler: new BlockSampler(problem.nInner, batchSize, rng.split()),
      outerSampler: new BlockSampler(problem.nOuter, batchSize, rng.split()),
      cv: new Float64Array(problem.dimX),
      fx: new Float64Array(problem.dimX),
    }),
    step(s, { z, v, x }, _t, out) {
      s.problem.innerCross(z, x, v, s.innerSampler.next().indices, s.cv);
      s.problem.outerGradX(z, x, s.outerSampler.next().indices, s.fx);
      for (let k = 0; k < out.length; k++) out[k] = x[k] - gamma * (s.cv[k] + s.fx[k]);
    },
  };

  return {
    name: 'stocbio',
    citation: 'Ji, Yang, Liang. Bilevel optimization: convergence analysis and enhanced design. ICML 2021.',
    schedule: 'gauss-seidel',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: { batchSize, innerStep: alpha, neumannStep: eta, outerStep: gamma, innerIters: T, neumannTerms: N, ...(linsysSolver !== 'neumann' ? { linsysSolver } : {}) },
  };
}
