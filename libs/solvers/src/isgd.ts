import { BlockSampler, conjugateGradient } from '@bilevel/linalg';
import type { Batch } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import type { InnerCurvature } from './maid';
import { innerCurvature, innerMethod, LowerLevelSolver } from './maid';
import type { InnerMethod } from './maid';
import { powerDecay } from './power-decay';
import { knownKeys, nonNegativeNumber, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link isgd}, with their defaults. */
export interface IsgdOptions {
  /** Outer samples per step (the upper-level minibatch). Default 64 (the authors' `train.py`). */
  readonly batchSize?: number;
  /** Step τ of the `gd` / `fista` lower-level solver. Default 1/L of G (known or estimated). */
  readonly innerStep?: number;
  /** α₀ in α_k = α₀ (k+1)^−q. Default 0.1 (the authors tuned 1e-4…3e-4 for image denoising). */
  readonly outerStep?: number;
  /** ε₀ in ε_k = ε₀ (k+1)^−p, the lower-level tolerance on ‖∇_zG‖. Default 0.1 (the authors' 10 is for per-image sums of gradients, scaled by the batch). */
  readonly epsilon0?: number;
  /** p. Default 0.5 (algorithms.md B2 (e)①; the authors' last commit uses 0, a constant bias floor). */
  readonly innerDecay?: number;
  /** δ₀ in δ_k = δ₀ (k+1)^−r, the CG residual tolerance. Default 0.1 (`hg.py`). */
  readonly delta0?: number;
  /** r. Default: p (`hg.py` keeps δ fixed, which leaves a bias floor). */
  readonly deltaDecay?: number;
  /** q. Default 0.6 (algorithms.md B2 (e)①; a code comment asks for q ∈ (0.5, 1)). */
  readonly outerDecay?: number;
  /** Outer update: `sgd` or `adam` (β₁ = 0.9, β₂ = 0.999, ϵ = 1e-8, torch's defaults). Default `sgd` (`train.py`). */
  readonly optimizer?: 'sgd' | 'adam';
  /** Visit the minibatches in a reshuffled order each epoch (true) or cyclically in a fixed order (false). Default false (`train.py`: shuffle=False). */
  readonly shuffle?: boolean;
  /** Lower-level solver: `fista`, `gd` or `lbfgs`. Default `fista` (`hg.py`). */
  readonly innerSolver?: InnerMethod;
  /** Iteration cap of one lower-level solve. Default 200 (`hg.py`). */
  readonly innerMaxIter?: number;
  /** Iteration cap of one CG solve. Default 200 (`hg.py`). */
  readonly cgMaxIter?: number;
  /** μ of G, overriding `problem.innerConstants` and the estimate (sets FISTA's momentum). Default: known or estimated. */
  readonly strongConvexity?: number;
}

const KEYS = [
  'batchSize',
  'innerStep',
  'outerStep',
  'epsilon0',
  'innerDecay',
  'delta0',
  'deltaDecay',
  'outerDecay',
  'optimizer',
  'shuffle',
  'innerSolver',
  'innerMaxIter',
  'cgMaxIter',
  'strongConvexity',
] as const;

/** Published by the linear-system stream with v: the upper-level minibatch this v belongs to. */
interface IsgdBatch {
  readonly indices: Int32Array;
}

interface InnerState {
  readonly problem: BilevelProblem;
  readonly solver: LowerLevelSolver;
  readonly eps: (k: number) => number;
  curvature?: InnerCurvature;
  tolerance: number;
  iterations: number;
  totalIterations: number;
  gradNorm: number;
}

interface LinsysState {
  readonly problem: BilevelProblem;
  readonly sampler: BlockSampler;
  /** Per-block warm starts of v (the solution of the block's last linear system), keyed by block id. */
  readonly warm: Float64Array[];
  readonly b: Float64Array;
  readonly delta: (k: number) => number;
  tolerance: number;
  iterations: number;
  totalIterations: number;
  residual: number;
}

interface OuterState {
  readonly problem: BilevelProblem;
  readonly p: Float64Array;
  readonly cv: Float64Array;
  readonly m: Float64Array;
  readonly s: Float64Array;
  readonly alpha: (k: number) => number;
  step: number;
}

/** The next minibatch: cyclic over the blocks in a fixed order, or the sampler's reshuffled order. */
function nextBatch(sampler: BlockSampler, shuffle: boolean, k: number): Batch {
  return shuffle ? sampler.next() : sampler.block(k % sampler.nBlocks);
}

/**
 * Inexact stochastic bilevel learning, "ISGD" (Salehi, Mukherjee, Roberts, Ehrhardt, "Bilevel learning with
 * inexact stochastic gradients", SSVM 2025, arXiv 2412.12049): SGD (or Adam) on h = (1/m) Σ_i h_i
 * with minibatch hypergradients computed to tolerances that tighten over the steps.
 *
 * Mapping to the project's finite-sum problems. In the paper each upper-level sample i (an image) has its own lower
 * level z_i*(x); here F = (1/m) Σ f_i(z, x) and every h_i(x) = f_i(z*(x), x) shares the one lower level
 * z*(x) = argmin G. So the per-sample lower-level solves become one warm-started full-batch solve per step (its
 * warm start is trivially "keyed by sample"), and the stochasticity is in the upper-level minibatch B. Step k:
 *   inner:  z ← warm-started full-batch solve of min_z G(z, x) until ‖∇_zG(z, x)‖ ≤ ε_k = ε₀ (k+1)^−p
 *   linsys: B ← next outer block; v ← CG on ∇²_zzG(z, x) v = −∇_z f_B(z, x) to residual ≤ δ_k = δ₀ (k+1)^−r,
 *           warm-started from the v last computed for block B (the per-sample warm start of the paper)
 *   outer:  p = ∇_x f_B(z, x) + ∇²_xzG(z, x) v;  x ← x − α_k p (SGD) or an Adam step with rate α_k, α_k = α₀ (k+1)^−q
 * under the `gauss-seidel` schedule (the outer stream reads the block from `reads.aux.v`). The tolerances are not
 * scaled by the batch size (the authors' code does, for its per-image solves). With ε, δ → 0 this is exact
 * minibatch SGD on h.
 *
 * Diagnostics: (inner) tolerance ε_k, iterations, gradNorm; (linsys) tolerance δ_k, iterations, residual;
 * (outer) step α_k.
 *
 * @example runLoop(problem, isgd({ batchSize: 8, outerStep: 0.5, epsilon0: 0.1, innerDecay: 0.5 }), { maxIter: 2000 })
 */
export function isgd(options: IsgdOptions = {}): Solver {
  const fn = 'isgd';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const innerStep = options.innerStep === undefined ? undefined : positiveNumber(fn, 'innerStep', options.innerStep);
  const alpha0 = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const eps0 = positiveNumber(fn, 'epsilon0', options.epsilon0 ?? 0.1);
  const p = nonNegativeNumber(fn, 'innerDecay', options.innerDecay ?? 0.5);
  const delta0 = positiveNumber(fn, 'delta0', options.delta0 ?? 0.1);
  const r = nonNegativeNumber(fn, 'deltaDecay', options.deltaDecay ?? p);
  const q = nonNegativeNumber(fn, 'outerDecay', options.outerDecay ?? 0.6);
  const optimizer = options.optimizer ?? 'sgd';
  if (optimizer !== 'sgd' && optimizer !== 'adam') throw new RangeError(`${fn}: optimizer must be "sgd" or "adam", received ${String(optimizer)}`);
  const shuffle = options.shuffle ?? false;
  if (typeof shuffle !== 'boolean') throw new RangeError(`${fn}: shuffle must be a boolean, received ${String(shuffle)}`);
  const method = innerMethod(fn, options.innerSolver ?? 'fista');
  const innerMaxIter = positiveInteger(fn, 'innerMaxIter', options.innerMaxIter ?? 200);
  const cgMaxIter = positiveInteger(fn, 'cgMaxIter', options.cgMaxIter ?? 200);
  const muFixed = options.strongConvexity === undefined ? undefined : positiveNumber(fn, 'strongConvexity', options.strongConvexity);

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    init: (problem) => ({
      problem,
      solver: new LowerLevelSolver(problem, method, innerMaxIter),
      eps: powerDecay(eps0, p),
      tolerance: eps0,
      iterations: 0,
      totalIterations: 0,
      gradNorm: NaN,
    }),
    step(s, { z, x }, t, out) {
      out.set(z);
      const needs = method === 'fista' ? innerStep === undefined || muFixed === undefined : method === 'gd' && innerStep === undefined;
      if (needs) {
        // known constants may depend on x: ask every time; an estimate is made once, at the first point
        if (s.problem.innerConstants || !s.curvature) s.curvature = innerCurvature(fn, s.problem, out, x);
      }
      const mu = muFixed ?? s.curvature?.mu ?? 0;
      const step = innerStep ?? 1 / (s.curvature?.L ?? 1);
      s.tolerance = s.eps(t);
      const res = s.solver.solve(x, out, s.tolerance, step, mu);
      s.iterations = res.iterations;
      s.totalIterations += res.iterations;
      s.gradNorm = res.gradNorm;
    },
    diagnostics: (s) => ({ tolerance: s.tolerance, iterations: s.iterations, totalIterations: s.totalIterations, gradNorm: s.gradNorm }),
  };

  const linsys: StreamPart<LinsysState> = {
    stream: 'linsys',
    init(problem, rng) {
      const sampler = new BlockSampler(problem.nOuter, batchSize, rng.split(), shuffle);
      return {
        problem,
        sampler,
        warm: Array.from({ length: sampler.nBlocks }, () => new Float64Array(problem.dimZ)),
        b: new Float64Array(problem.dimZ),
        delta: powerDecay(delta0, r),
        tolerance: delta0,
        iterations: 0,
        totalIterations: 0,
        residual: NaN,
      };
    },
    step(s, { z, x }, t, out) {
      const { problem, b } = s;
      const batch = nextBatch(s.sampler, shuffle, t);
      problem.outerGradZ(z, x, batch.indices, b);
      for (let i = 0; i < b.length; i++) b[i] = -b[i];
      const warm = s.warm[batch.block];
      out.set(warm);
      s.tolerance = s.delta(t);
      const res = conjugateGradient((u, hu) => problem.innerHvp(z, x, u, problem.fullInner, hu), b, out, { rtol: 0, atol: s.tolerance, maxIter: cgMaxIter });
      warm.set(out);
      s.iterations = res.iterations;
      s.totalIterations += res.iterations;
      s.residual = res.residualNorm;
      const published: IsgdBatch = { indices: batch.indices };
      return published;
    },
    diagnostics: (s) => ({ tolerance: s.tolerance, iterations: s.iterations, totalIterations: s.totalIterations, residual: s.residual }),
  };

  const outer: StreamPart<OuterState> = {
    stream: 'outer',
    init: (problem) => ({
      problem,
      p: new Float64Array(problem.dimX),
      cv: new Float64Array(problem.dimX),
      m: new Float64Array(problem.dimX),
      s: new Float64Array(problem.dimX),
      alpha: powerDecay(alpha0, q),
      step: alpha0,
    }),
    step(s, reads, t, out) {
      const { problem, p, cv } = s;
      const { z, v, x } = reads;
      const batch = reads.aux?.v as IsgdBatch | undefined;
      if (!batch) throw new Error('isgd: the outer step found no minibatch published with v; run isgd with the gauss-seidel schedule');
      problem.outerGradX(z, x, batch.indices, p);
      problem.innerCross(z, x, v, problem.fullInner, cv);
      for (let k = 0; k < p.length; k++) p[k] += cv[k];
      const a = s.alpha(t);
      s.step = a;
      if (optimizer === 'sgd') {
        for (let k = 0; k < out.length; k++) out[k] = x[k] - a * p[k];
        return;
      }
      // Adam (Kingma & Ba), bias-corrected moments, torch's defaults
      const b1 = 0.9;
      const b2 = 0.999;
      const c1 = 1 - Math.pow(b1, t + 1);
      const c2 = 1 - Math.pow(b2, t + 1);
      for (let k = 0; k < out.length; k++) {
        s.m[k] = b1 * s.m[k] + (1 - b1) * p[k];
        s.s[k] = b2 * s.s[k] + (1 - b2) * p[k] * p[k];
        out[k] = x[k] - (a * (s.m[k] / c1)) / (Math.sqrt(s.s[k] / c2) + 1e-8);
      }
    },
    diagnostics: (s) => ({ step: s.step }),
  };

  return {
    name: 'isgd',
    citation: 'Salehi, Mukherjee, Roberts, Ehrhardt. Bilevel learning with inexact stochastic gradients. SSVM 2025 (arXiv 2412.12049).',
    schedule: 'gauss-seidel',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: {
      batchSize,
      innerStep: innerStep ?? 'auto (1/L)',
      outerStep: alpha0,
      epsilon0: eps0,
      innerDecay: p,
      delta0,
      deltaDecay: r,
      outerDecay: q,
      optimizer,
      shuffle,
      innerSolver: method,
      innerMaxIter,
      cgMaxIter,
      strongConvexity: muFixed ?? 'auto',
    },
  };
}
