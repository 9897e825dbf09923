import { BlockSampler } from '@bilevel/linalg';
import type { Batch } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import type { InnerCurvature } from './maid';
import { innerCurvature, innerMethod, LowerLevelSolver } from './maid';
import type { InnerMethod, LowerLevelResult } from './maid';
import { powerDecay } from './power-decay';
import type { LinearSolveInfo } from './parts/linear/linear-solver';
import { createLinearSolver } from './parts/linear/linear-solvers';
import { solveDiagnostics } from './parts/linear/solve-diagnostics';
import { enumOption, knownKeys, nonNegativeNumber, positiveInteger, positiveNumber } from './validate-options';

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
  /**
   * `shared` (default): one lower level z*(x) shared by all samples, solved on the full batch every step.
   * `per-sample`: the lower level separates over samples, as in the paper (one lower-level problem per training
   * image); each step solves and differentiates only the minibatch's problems (see {@link isgd}). Requires
   * nInner = nOuter and z made of nInner equal blocks, block j used by inner sample j and outer sample j only.
   */
  readonly lowerLevel?: 'shared' | 'per-sample';
  /** The linear solver of the shared lower level, to the residual δ_k with `cgMaxIter` iterations: `cg`, `normal-cg`, `gmres` or `bicgstab` (`per-sample` solves its blocks by CG). Default `cg`. */
  readonly linsysSolver?: 'cg' | 'normal-cg' | 'gmres' | 'bicgstab';
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
  'lowerLevel',
  'linsysSolver',
] as const;

/** Published by the linear-system stream with v: the upper-level minibatch this v belongs to. */
interface IsgdBatch {
  readonly indices: Int32Array;
}

interface InnerState {
  readonly problem: BilevelProblem;
  readonly solver: LowerLevelSolver;
  readonly eps: (k: number) => number;
  /** Per-sample mode: the minibatch sampler, the block size and the scratch. */
  readonly sampler?: BlockSampler;
  readonly blockSize: number;
  readonly work?: BlockWork;
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
  readonly blockSize: number;
  readonly work?: BlockWork;
  tolerance: number;
  iterations: number;
  totalIterations: number;
  residual: number;
  info: LinearSolveInfo | undefined;
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

/** Scratch of the per-sample mode: full-length vectors of which only the minibatch's blocks are used. */
interface BlockWork {
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly c: Float64Array;
}

/** ‖u‖ over the blocks of `batch` (block j = [j·size, (j+1)·size)). */
function blockNorm(u: Float64Array, batch: Int32Array, size: number): number {
  let ss = 0;
  for (let k = 0; k < batch.length; k++) {
    for (let i = batch[k] * size, end = i + size; i < end; i++) ss += u[i] * u[i];
  }
  return Math.sqrt(ss);
}

/**
 * FISTA (the LowerLevelSolver's recursion) on the minibatch's lower-level problems only: min over the blocks of
 * `batch` of g_B(z, x), the other blocks of z untouched; vector work is restricted to those blocks.
 */
function blockFista(
  problem: BilevelProblem,
  x: Float64Array,
  z: Float64Array,
  batch: Int32Array,
  size: number,
  tol: number,
  step: number,
  mu: number,
  maxIter: number,
  work: BlockWork,
): LowerLevelResult {
  const { a: y, b: zPrev, c: g } = work;
  const q = Math.min(step * mu, 1);
  for (let k = 0; k < batch.length; k++) {
    const o = batch[k] * size;
    zPrev.set(z.subarray(o, o + size), o);
  }
  let t = 1;
  let gn = Infinity;
  let it = 0;
  for (;;) {
    const tNew = (1 - q * t * t + Math.sqrt((1 - q * t * t) ** 2 + 4 * t * t)) / 2;
    const beta = q >= 1 ? 0 : ((t - 1) * (1 - tNew * q)) / (tNew * (1 - q));
    t = tNew;
    for (let k = 0; k < batch.length; k++) {
      for (let i = batch[k] * size, end = i + size; i < end; i++) y[i] = z[i] + beta * (z[i] - zPrev[i]);
    }
    problem.innerGradZ(y, x, batch, g);
    gn = blockNorm(g, batch, size);
    if (gn <= tol || it >= maxIter) break;
    for (let k = 0; k < batch.length; k++) {
      for (let i = batch[k] * size, end = i + size; i < end; i++) {
        zPrev[i] = z[i];
        z[i] = y[i] - step * g[i];
      }
    }
    it++;
  }
  for (let k = 0; k < batch.length; k++) {
    const o = batch[k] * size;
    z.set(y.subarray(o, o + size), o);
  }
  return { gradNorm: gn, iterations: it };
}

/**
 * Conjugate gradient on ∇²_zz g_B(z, x) v = b over the blocks of `batch` (warm start: v's blocks; the other
 * blocks of v untouched), to residual ‖r‖ ≤ atol.
 */
function blockCg(
  problem: BilevelProblem,
  z: Float64Array,
  x: Float64Array,
  b: Float64Array,
  v: Float64Array,
  batch: Int32Array,
  size: number,
  atol: number,
  maxIter: number,
  work: BlockWork,
): { iterations: number; residualNorm: number } {
  const { a: r, b: p, c: ap } = work;
  problem.innerHvp(z, x, v, batch, ap);
  let rr = 0;
  for (let k = 0; k < batch.length; k++) {
    for (let i = batch[k] * size, end = i + size; i < end; i++) {
      r[i] = b[i] - ap[i];
      p[i] = r[i];
      rr += r[i] * r[i];
    }
  }
  let it = 0;
  while (Math.sqrt(rr) > atol && it < maxIter) {
    problem.innerHvp(z, x, p, batch, ap);
    let pap = 0;
    for (let k = 0; k < batch.length; k++) for (let i = batch[k] * size, end = i + size; i < end; i++) pap += p[i] * ap[i];
    if (!(pap > 0)) break;
    const alpha = rr / pap;
    let rrNew = 0;
    for (let k = 0; k < batch.length; k++) {
      for (let i = batch[k] * size, end = i + size; i < end; i++) {
        v[i] += alpha * p[i];
        r[i] -= alpha * ap[i];
        rrNew += r[i] * r[i];
      }
    }
    const beta = rrNew / rr;
    rr = rrNew;
    for (let k = 0; k < batch.length; k++) for (let i = batch[k] * size, end = i + size; i < end; i++) p[i] = r[i] + beta * p[i];
    it++;
  }
  return { iterations: it, residualNorm: Math.sqrt(rr) };
}

/** Block size of a per-sample lower level, after checking the problem's shape allows one. */
function sampleBlockSize(fn: string, problem: BilevelProblem): number {
  if (problem.nInner !== problem.nOuter || problem.dimZ % problem.nInner !== 0) {
    throw new RangeError(
      `${fn}: lowerLevel "per-sample" needs paired samples and equal blocks (nInner = nOuter, dimZ a multiple of nInner); problem "${problem.name}" has nInner = ${problem.nInner}, nOuter = ${problem.nOuter}, dimZ = ${problem.dimZ}`,
    );
  }
  return problem.dimZ / problem.nInner;
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
 * `lowerLevel: 'per-sample'` is the paper's own setting, for problems whose lower level separates over samples
 * (bilevel learning for imaging: one reconstruction per training image): z = (z_1 … z_n) in n equal blocks,
 * g_j and f_j depend on block j only (nInner = nOuter). Then z*(x) = (z_1*(x) … z_n*(x)) and each step works on
 * the minibatch's problems alone, drawn by the inner stream and published with z:
 *   inner:  B ← next block of samples; z_B ← FISTA on g_B = (1/|B|) Σ_{j∈B} g_j(z_j, x), warm-started from each
 *           sample's last solution (the other blocks of z keep theirs), until ‖∇_z g_B‖ ≤ ε_k
 *   linsys: v_B ← CG on ∇²_zz g_B v = −∇_z f_B over the blocks of B to residual ≤ δ_k, warm-started from each
 *           sample's last v_j (kept in v itself)
 *   outer:  p = ∇_x f_B + ∇²_xz g_B v  (an unbiased estimate of ∇h, as v_j = −[∇²g_j]⁻¹∇f_j)
 * so a step costs (inner + CG iterations) × |B| per-sample oracle evaluations, the paper's measure of
 * computation, instead of scaling with n. FISTA's step and momentum use G's constants (known, estimated or
 * `innerStep` / `strongConvexity`) times n/|B|, which bound G_B's for a separable lower level.
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
  const lowerLevel = options.lowerLevel ?? 'shared';
  if (lowerLevel !== 'shared' && lowerLevel !== 'per-sample') throw new RangeError(`${fn}: lowerLevel must be "shared" or "per-sample", received ${String(lowerLevel)}`);
  if (lowerLevel === 'per-sample' && method !== 'fista') throw new RangeError(`${fn}: lowerLevel "per-sample" solves with fista, received innerSolver ${method}`);
  const perSample = lowerLevel === 'per-sample';
  const linsysSolver = enumOption(fn, 'linsysSolver', options.linsysSolver ?? 'cg', ['cg', 'normal-cg', 'gmres', 'bicgstab'] as const);
  if (perSample && linsysSolver !== 'cg') throw new RangeError(`${fn}: lowerLevel "per-sample" solves its blocks by cg, received linsysSolver ${linsysSolver}`);
  const blockWork = (n: number): BlockWork => ({ a: new Float64Array(n), b: new Float64Array(n), c: new Float64Array(n) });

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    init: (problem, rng) => ({
      problem,
      solver: new LowerLevelSolver(problem, method, innerMaxIter),
      eps: powerDecay(eps0, p),
      ...(perSample
        ? { sampler: new BlockSampler(problem.nInner, batchSize, rng.split(), shuffle), blockSize: sampleBlockSize(fn, problem), work: blockWork(problem.dimZ) }
        : { blockSize: 0 }),
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
      s.tolerance = s.eps(t);
      if (s.sampler && s.work) {
        // the minibatch's own problems: G_B = (1/|B|) Σ_B g_j has the constants of G times n/|B|
        const batch = nextBatch(s.sampler, shuffle, t);
        const scale = s.problem.nInner / batch.indices.length;
        const mu = (muFixed ?? s.curvature?.mu ?? 0) * scale;
        const step = (innerStep ?? 1 / (s.curvature?.L ?? 1)) / scale;
        const res = blockFista(s.problem, x, out, batch.indices, s.blockSize, s.tolerance, step, mu, innerMaxIter, s.work);
        s.iterations = res.iterations;
        s.totalIterations += res.iterations;
        s.gradNorm = res.gradNorm;
        const published: IsgdBatch = { indices: batch.indices };
        return published;
      }
      const mu = muFixed ?? s.curvature?.mu ?? 0;
      const step = innerStep ?? 1 / (s.curvature?.L ?? 1);
      const res = s.solver.solve(x, out, s.tolerance, step, mu);
      s.iterations = res.iterations;
      s.totalIterations += res.iterations;
      s.gradNorm = res.gradNorm;
      return undefined;
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
        // per-sample mode: v itself keeps every sample's last solution, no per-block copies needed
        warm: perSample ? [] : Array.from({ length: sampler.nBlocks }, () => new Float64Array(problem.dimZ)),
        b: new Float64Array(problem.dimZ),
        delta: powerDecay(delta0, r),
        ...(perSample ? { blockSize: sampleBlockSize(fn, problem), work: blockWork(problem.dimZ) } : { blockSize: 0 }),
        tolerance: delta0,
        iterations: 0,
        totalIterations: 0,
        residual: NaN,
        info: undefined,
      };
    },
    step(s, reads, t, out) {
      const { problem, b } = s;
      const { z, x } = reads;
      if (s.work) {
        const mine = reads.aux?.z as IsgdBatch | undefined;
        if (!mine) throw new Error('isgd: the linear-system step found no minibatch published with z; run isgd with the gauss-seidel schedule');
        const { indices } = mine;
        const size = s.blockSize;
        problem.outerGradZ(z, x, indices, b);
        for (let k = 0; k < indices.length; k++) for (let i = indices[k] * size, end = i + size; i < end; i++) b[i] = -b[i];
        out.set(reads.v);
        s.tolerance = s.delta(t);
        const res = blockCg(problem, z, x, b, out, indices, size, s.tolerance, cgMaxIter, s.work);
        s.iterations = res.iterations;
        s.totalIterations += res.iterations;
        s.residual = res.residualNorm;
        return mine;
      }
      const batch = nextBatch(s.sampler, shuffle, t);
      problem.outerGradZ(z, x, batch.indices, b);
      for (let i = 0; i < b.length; i++) b[i] = -b[i];
      const warm = s.warm[batch.block];
      out.set(warm);
      s.tolerance = s.delta(t);
      const solver = createLinearSolver(linsysSolver, { rtol: 0, atol: s.tolerance, maxIter: cgMaxIter });
      const res = solver.solve((u, hu) => problem.innerHvp(z, x, u, problem.fullInner, hu), b, out);
      s.info = res;
      warm.set(out);
      s.iterations = res.iterations;
      s.totalIterations += res.iterations;
      s.residual = res.residualNorm ?? NaN;
      const published: IsgdBatch = { indices: batch.indices };
      return published;
    },
    diagnostics: (s) => ({ tolerance: s.tolerance, iterations: s.iterations, totalIterations: s.totalIterations, residual: s.residual, ...solveDiagnostics(s.info) }),
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
      problem.innerCross(z, x, v, perSample ? batch.indices : problem.fullInner, cv);
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
      lowerLevel,
      ...(linsysSolver !== 'cg' ? { linsysSolver } : {}),
    },
  };
}
