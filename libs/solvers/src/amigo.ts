import { BlockSampler } from '@bilevel/linalg';
import type { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import { cgSolver } from './parts/linear/cg-solver';
import type { LinearSolver } from './parts/linear/linear-solver';
import { richardsonSolver } from './parts/linear/richardson-solver';
import { knownKeys, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link amigo}, with their defaults (the public benchmark's AmIGO unless said). */
export interface AmigoOptions {
  /** Minibatch size of every oracle (ignored when `deterministic`). Default 64. */
  readonly batchSize?: number;
  /** α, step of the T inner SGD steps; also β, the linear-system step, unless `linsysStep` is given. Default 0.1. */
  readonly innerStep?: number;
  /** β, step of the K linear-system steps. Default: `innerStep`. */
  readonly linsysStep?: number;
  /** γ, step of x. Default 0.1. */
  readonly outerStep?: number;
  /** T, inner SGD steps per outer step. Default 10. */
  readonly innerIters?: number;
  /** K, linear-system steps (or CG iterations) per outer step. Default 10. */
  readonly linsysIters?: number;
  /** Full-batch oracles everywhere (the deterministic variant). Default false. */
  readonly deterministic?: boolean;
  /** Linear-system method: `gd` (K steps of gradient descent on ½vᵀHv + bᵀv) or `cg` (K CG iterations, deterministic only). Default `gd`. */
  readonly linsysSolver?: 'gd' | 'cg';
  /** Warm-start z and v from the previous outer step (the point of AmIGO). `false` restarts both from 0. Default true. */
  readonly warmStart?: boolean;
}

const KEYS = ['batchSize', 'innerStep', 'linsysStep', 'outerStep', 'innerIters', 'linsysIters', 'deterministic', 'linsysSolver', 'warmStart'] as const;

/**
 * The batches a part draws: fresh minibatches of a block sampler, or the full sample set every time. An object
 * holding its sampler (not a closure over it), so the sampler's position is part of the state a checkpoint saves.
 */
class Draw {
  private readonly sampler: BlockSampler;
  constructor(
    n: number,
    private readonly full: Int32Array,
    batchSize: number,
    private readonly deterministic: boolean,
    rng: Rng,
  ) {
    this.sampler = new BlockSampler(n, batchSize, rng);
  }
  next(): Int32Array {
    return this.deterministic ? this.full : this.sampler.next().indices;
  }
}

function drawer(n: number, full: Int32Array, batchSize: number, deterministic: boolean, rng: Rng): Draw {
  return new Draw(n, full, batchSize, deterministic, rng);
}

function flag(fn: string, field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new RangeError(`${fn}: ${field} must be a boolean, received ${String(value)}`);
  return value;
}

interface InnerState {
  readonly problem: BilevelProblem;
  readonly draw: Draw;
  readonly g: Float64Array;
}
interface LinsysState {
  readonly problem: BilevelProblem;
  readonly drawInner: Draw;
  readonly drawOuter: Draw;
  readonly rhs: Float64Array;
  readonly solver: LinearSolver;
  lastMatvecs: number;
}
interface OuterState {
  readonly problem: BilevelProblem;
  readonly drawInner: Draw;
  readonly drawOuter: Draw;
  readonly cv: Float64Array;
  readonly fx: Float64Array;
}

/**
 * AmIGO, Amortized Implicit Gradient Optimization (Arbel & Mairal, "Amortized implicit differentiation for stochastic
 * bilevel optimization", ICLR 2022). Each outer step k, under the `gauss-seidel` schedule:
 *   1. T steps  z ← z − α ∇_z g_B(z, x_k)                                       (inner part, from z_k: warm start)
 *   2. b = ∇_z f_B(z_{k+1}, x_k);  K steps  v ← v − β (∇²_zz g_B(z_{k+1}, x_k)·v + b)  (linsys part, from v_k)
 *   3. x ← x − γ (∇_x f_B + ∇²_xz g_B·v_{k+1})                                   (outer part, at z_{k+1}, v_{k+1})
 * Every oracle call draws a fresh minibatch; v approximates v* = −H⁻¹∇_zF. Warm starts amortize the two inner
 * loops, so a small constant T and K suffice. Deterministic variant: full batches, and optionally K warm-started CG
 * iterations instead of gradient steps for v (BGS-opt's AmIGO-CG).
 *
 * @example run(problem, amigo({ innerIters: 10, linsysIters: 10, innerStep: 0.1, outerStep: 0.1 }), { maxIter: 2000 })
 */
export function amigo(options: AmigoOptions = {}): Solver {
  const fn = 'amigo';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const alpha = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const beta = positiveNumber(fn, 'linsysStep', options.linsysStep ?? alpha);
  const gamma = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const T = positiveInteger(fn, 'innerIters', options.innerIters ?? 10);
  const K = positiveInteger(fn, 'linsysIters', options.linsysIters ?? 10);
  const deterministic = flag(fn, 'deterministic', options.deterministic ?? false);
  const warm = flag(fn, 'warmStart', options.warmStart ?? true);
  const method = options.linsysSolver ?? 'gd';
  if (method !== 'gd' && method !== 'cg') throw new RangeError(`${fn}: linsysSolver must be "gd" or "cg", received ${String(method)}`);
  if (method === 'cg' && !deterministic) {
    throw new RangeError(`${fn}: linsysSolver "cg" needs deterministic: true (CG assumes one fixed operator, not fresh minibatch Hessians)`);
  }
  const makeSolver = () => (method === 'cg' ? cgSolver({ rtol: 1e-13, maxIter: K }) : richardsonSolver({ steps: K, step: beta }));

  const sampling = deterministic ? { estimator: 'full-batch' } : { estimator: 'sgd', batchSize };
  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    description: { ...sampling, step: { kind: 'constant', value: alpha } },
    init: (problem, rng) => ({
      problem,
      draw: drawer(problem.nInner, problem.fullInner, batchSize, deterministic, rng.split()),
      g: new Float64Array(problem.dimZ),
    }),
    step(s, { z, x }, _t, out) {
      if (warm) out.set(z);
      else out.fill(0);
      for (let i = 0; i < T; i++) {
        s.problem.innerGradZ(out, x, s.draw.next(), s.g);
        for (let k = 0; k < out.length; k++) out[k] -= alpha * s.g[k];
      }
    },
  };

  const linsys: StreamPart<LinsysState> = {
    stream: 'linsys',
    description: { ...sampling, linearSolver: method === 'cg' ? { kind: 'krylov', method: 'cg' } : { kind: 'richardson', step: beta, iterations: K } },
    init: (problem, rng) => ({
      problem,
      drawInner: drawer(problem.nInner, problem.fullInner, batchSize, deterministic, rng.split()),
      drawOuter: drawer(problem.nOuter, problem.fullOuter, batchSize, deterministic, rng.split()),
      rhs: new Float64Array(problem.dimZ),
      solver: makeSolver(),
      lastMatvecs: 0,
    }),
    step(s, { z, v, x }, _t, out) {
      const p = s.problem;
      p.outerGradZ(z, x, s.drawOuter.next(), s.rhs);
      for (let k = 0; k < s.rhs.length; k++) s.rhs[k] = -s.rhs[k];
      if (warm) out.set(v);
      else out.fill(0);
      const info = s.solver.solve((q, hq) => p.innerHvp(z, x, q, s.drawInner.next(), hq), s.rhs, out);
      s.lastMatvecs = info.matvecs;
    },
    diagnostics: (s) => ({ linsysMatvecs: s.lastMatvecs }),
  };

  const outer: StreamPart<OuterState> = {
    stream: 'outer',
    description: { ...sampling, step: { kind: 'constant', value: gamma } },
    init: (problem, rng) => ({
      problem,
      drawInner: drawer(problem.nInner, problem.fullInner, batchSize, deterministic, rng.split()),
      drawOuter: drawer(problem.nOuter, problem.fullOuter, batchSize, deterministic, rng.split()),
      cv: new Float64Array(problem.dimX),
      fx: new Float64Array(problem.dimX),
    }),
    step(s, { z, v, x }, _t, out) {
      s.problem.innerCross(z, x, v, s.drawInner.next(), s.cv);
      s.problem.outerGradX(z, x, s.drawOuter.next(), s.fx);
      for (let k = 0; k < out.length; k++) out[k] = x[k] - gamma * (s.cv[k] + s.fx[k]);
    },
  };

  return {
    name: 'amigo',
    citation: 'Arbel, Mairal. Amortized implicit differentiation for stochastic bilevel optimization. ICLR 2022.',
    schedule: 'gauss-seidel',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: {
      ...(deterministic ? {} : { batchSize }),
      innerStep: alpha,
      ...(method === 'gd' ? { linsysStep: beta } : {}),
      outerStep: gamma,
      innerIters: T,
      linsysIters: K,
      deterministic,
      linsysSolver: method,
      warmStart: warm,
    },
  };
}
