import { BatchedAnderson, BatchedBroyden, BlockSampler } from '@bilevel/linalg';
import type { BroydenInverse, FixedPointResult } from '@bilevel/linalg';
import type { BilevelProblem, EquilibriumBatch, EquilibriumProblem } from '@bilevel/problems';
import { isEquilibriumProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from '../solver';
import { enumOption, knownKeys, positiveInteger, positiveNumber } from '../validate-options';
import type { DeqBackward, DeqBackwardName, DeqKrylov } from './deq-backward';
import { DEQ_BACKWARDS, exactBackward, jfbBackward, refinedBackward, shineBackward } from './deq-backward';

/** Options of {@link deqTraining}, with their defaults. */
export interface DeqTrainingOptions {
  /** The forward solver: `broyden` (default; SHINE needs it) or `anderson`. */
  readonly forward?: 'broyden' | 'anderson';
  /** The backward pass: `exact`, `shine`, `shine-opa` (SHINE with an outer-problem-aware forward) or `jfb`. Default `shine`. */
  readonly backward?: DeqBackwardName;
  /** k ≥ 0 iterations of the exact solver refining SHINE's or JFB's direction (warm-started at it). Default 0. */
  readonly refine?: number;
  /** Minibatch size (blocks of a seeded shuffle, reshuffled each epoch). Default 64. */
  readonly batchSize?: number;
  /** Adam's step α (β₁ = 0.9, β₂ = 0.999, ϵ = 1e-8). Default 1e-3. */
  readonly outerStep?: number;
  /** Forward tolerance: every sample's ‖z − f(z)‖ ≤ tol·‖f(z)‖. Default 1e-4. */
  readonly forwardTol?: number;
  /** Forward budget in iterations (map evaluations after the first). Default 30. */
  readonly forwardMaxIter?: number;
  /** Broyden: terms kept per sample. Default the forward budget (no term is dropped). */
  readonly memory?: number;
  /** Anderson: history m and ridge λ (jaxopt's DEQ example). Default 5, 1e-4. */
  readonly history?: number;
  readonly ridge?: number;
  /** shine-opa: an adjoint-Broyden update along Hᵀ∇_zL every this many forward iterations. Default 5. */
  readonly opaEvery?: number;
  /** The exact solver (and the refinement's): `gmres` or `normal-cg`; relative tolerance; iteration cap. Default gmres, 1e-6, 100. */
  readonly backwardSolver?: DeqKrylov;
  readonly backwardTol?: number;
  readonly backwardMaxIter?: number;
  /** Start each forward solve at the samples' last equilibria (true) or at z = 0 (false, the DEQ practice). Default false. */
  readonly warmStart?: boolean;
}

const KEYS = [
  'forward',
  'backward',
  'refine',
  'batchSize',
  'outerStep',
  'forwardTol',
  'forwardMaxIter',
  'memory',
  'history',
  'ridge',
  'opaEvery',
  'backwardSolver',
  'backwardTol',
  'backwardMaxIter',
  'warmStart',
] as const;

/** The options of {@link deqTraining} resolved and checked. */
export interface ResolvedDeqOptions {
  readonly forward: 'broyden' | 'anderson';
  readonly backward: DeqBackwardName;
  readonly refine: number;
  readonly batchSize: number;
  readonly outerStep: number;
  readonly forwardTol: number;
  readonly forwardMaxIter: number;
  readonly memory: number;
  readonly history: number;
  readonly ridge: number;
  readonly opaEvery: number;
  readonly backwardSolver: DeqKrylov;
  readonly backwardTol: number;
  readonly backwardMaxIter: number;
  readonly warmStart: boolean;
}

/** Validates {@link DeqTrainingOptions}; errors name the function, the field and the value. */
export function resolveDeqOptions(fn: string, options: DeqTrainingOptions): ResolvedDeqOptions {
  knownKeys(fn, options, KEYS);
  const forward = enumOption(fn, 'forward', options.forward ?? 'broyden', ['broyden', 'anderson'] as const);
  const backward = enumOption(fn, 'backward', options.backward ?? 'shine', DEQ_BACKWARDS);
  if ((backward === 'shine' || backward === 'shine-opa') && forward !== 'broyden') {
    throw new RangeError(`${fn}: backward "${backward}" reuses the forward pass's Broyden inverse, so it needs forward "broyden", received forward "${forward}"`);
  }
  const refine = options.refine ?? 0;
  if (!(Number.isInteger(refine) && refine >= 0)) throw new RangeError(`${fn}: refine must be an integer ≥ 0, received ${String(refine)}`);
  if (refine > 0 && backward === 'exact') throw new RangeError(`${fn}: refine applies to the approximate backward passes (shine, shine-opa, jfb); backward "exact" is already solved to backwardTol`);
  const forwardMaxIter = positiveInteger(fn, 'forwardMaxIter', options.forwardMaxIter ?? 30);
  const warmStart = options.warmStart ?? false;
  if (typeof warmStart !== 'boolean') throw new RangeError(`${fn}: warmStart must be a boolean, received ${String(warmStart)}`);
  const ridge = options.ridge ?? 1e-4;
  if (!(typeof ridge === 'number' && ridge >= 0 && Number.isFinite(ridge))) throw new RangeError(`${fn}: ridge must be a finite number ≥ 0, received ${String(ridge)}`);
  return {
    forward,
    backward,
    refine,
    batchSize: positiveInteger(fn, 'batchSize', options.batchSize ?? 64),
    outerStep: positiveNumber(fn, 'outerStep', options.outerStep ?? 1e-3),
    forwardTol: positiveNumber(fn, 'forwardTol', options.forwardTol ?? 1e-4),
    forwardMaxIter,
    memory: positiveInteger(fn, 'memory', options.memory ?? forwardMaxIter),
    history: positiveInteger(fn, 'history', options.history ?? 5),
    ridge,
    opaEvery: positiveInteger(fn, 'opaEvery', options.opaEvery ?? 5),
    backwardSolver: enumOption(fn, 'backwardSolver', options.backwardSolver ?? 'gmres', ['gmres', 'normal-cg'] as const),
    backwardTol: positiveNumber(fn, 'backwardTol', options.backwardTol ?? 1e-6),
    backwardMaxIter: positiveInteger(fn, 'backwardMaxIter', options.backwardMaxIter ?? 100),
    warmStart,
  };
}

/** The backward pass of resolved options (SHINE or JFB refined by `refine` exact iterations when asked). */
export function deqBackward(o: ResolvedDeqOptions): DeqBackward {
  const exact = { solver: o.backwardSolver, tol: o.backwardTol };
  if (o.backward === 'exact') return exactBackward({ ...exact, maxIter: o.backwardMaxIter });
  const base = o.backward === 'jfb' ? jfbBackward() : shineBackward();
  const named = o.backward === 'shine-opa' ? { ...base, name: 'shine-opa' } : base;
  return o.refine > 0 ? refinedBackward(named, { steps: o.refine, ...exact }) : named;
}

/** What the forward (inner) stream publishes with each z. */
export interface DeqForwardAux {
  /** The training samples of the step (a copy). */
  readonly batch: Int32Array;
  /** Every sample met the forward tolerance within the budget; when false the step is skipped downstream. */
  readonly converged: boolean;
  readonly iterations: number;
  /** The forward Broyden inverse H ≈ (I − J)⁻¹ at the equilibria (with OPA terms), for SHINE. */
  readonly inverse?: BroydenInverse;
}

function isForwardAux(a: unknown): a is DeqForwardAux {
  return typeof a === 'object' && a !== null && (a as DeqForwardAux).batch instanceof Int32Array && typeof (a as DeqForwardAux).converged === 'boolean';
}

/** Copies the rows of the samples `batch` of a full-length z (n·d) into a compact [B, d] array, or back. */
function gatherRows(full: Float64Array, batch: Int32Array, d: number, out: Float64Array): Float64Array {
  for (let k = 0; k < batch.length; k++) out.set(full.subarray(batch[k] * d, batch[k] * d + d), k * d);
  return out;
}
function scatterRows(rows: Float64Array, batch: Int32Array, d: number, full: Float64Array): void {
  for (let k = 0; k < batch.length; k++) full.set(rows.subarray(k * d, k * d + d), batch[k] * d);
}

/**
 * The sizes of the blocks of a {@link BlockSampler} of n samples (they differ by at most one): every per-size buffer
 * is made in `init`, so a restored state writes into the same class instances (a checkpoint rebuilds lazily made
 * objects as plain data).
 */
function blockSizes(n: number, batchSize: number): number[] {
  const nBlocks = Math.ceil(n / Math.min(batchSize, n));
  const base = Math.floor(n / nBlocks);
  return n % nBlocks === 0 ? [base] : [base, base + 1];
}

function equilibriumOf(fn: string, problem: BilevelProblem): EquilibriumProblem {
  if (!isEquilibriumProblem(problem)) {
    throw new RangeError(`${fn}: problem "${problem.name}" is not an equilibrium problem (a deep equilibrium model such as deqProblem of @bilevel/autodiff)`);
  }
  return problem;
}

/** Per batch size: the forward solver and the compact buffers (a BlockSampler's blocks differ in size by ≤ 1). */
interface ForwardBuffers {
  readonly broyden: BatchedBroyden | null;
  readonly anderson: BatchedAnderson | null;
  readonly z: Float64Array;
  readonly gz: Float64Array;
  readonly sigma: Float64Array;
  readonly t: Float64Array;
}

interface ForwardState {
  readonly problem: EquilibriumProblem;
  readonly sampler: BlockSampler;
  readonly bySize: Record<string, ForwardBuffers>;
  iterations: number;
  evaluations: number;
  converged: number;
  unconverged: number;
  diverged: number;
  residual: number;
  failures: number;
  /** The last failed solve: its step number, unconverged and diverged samples, relative residual. */
  failStep: number;
  failUnconverged: number;
  failDiverged: number;
  failResidual: number;
  opaUpdates: number;
  /** Vector-Jacobian products made by the OPA updates (one per update round), since the start. */
  opaProducts: number;
}

interface BackwardState {
  readonly problem: EquilibriumProblem;
  readonly bySize: Record<string, { readonly z: Float64Array; readonly gz: Float64Array; readonly u: Float64Array }>;
  products: number;
  productsTotal: number;
  iterations: number;
  residual: number;
  converged: number;
  loss: number;
  skipped: number;
}

interface OuterState {
  readonly problem: EquilibriumProblem;
  readonly m: Float64Array;
  readonly s: Float64Array;
  readonly g: Float64Array;
  readonly gx: Float64Array;
  readonly bySize: Record<string, { readonly z: Float64Array; readonly u: Float64Array; readonly gz: Float64Array }>;
  adamSteps: number;
  gradNorm: number;
  skipped: number;
}

/**
 * Training of a deep equilibrium model (an {@link EquilibriumProblem}) as the three coupled streams, Gauss–Seidel:
 *
 *   inner (forward):   a minibatch B of the seeded block sampler; z_b = f(z_b, a_b; θ) for b ∈ B by batched Broyden
 *                      (or Anderson) from z = 0, to ‖z_b − f(z_b)‖ ≤ tol·‖f(z_b)‖ within the budget; publishes the
 *                      batch, whether it converged, and Broyden's inverse H ≈ (I − J)⁻¹ per sample. With `shine-opa`,
 *                      every f iterations and once at the end, the adjoint-Broyden term along σ = Hᵀ∇_zL (one VJP).
 *   linear system:     u ≈ (I − J)⁻ᵀ∇_zL by the backward pass: exact (GMRES / normal CG on VJPs), SHINE (u = Hᵀ∇_zL,
 *                      no product), Jacobian-free (u = ∇_zL), optionally refined by k exact iterations.
 *   outer:             Adam on θ = (W, U, b, Wc, bc) along ∇_θL + (∂f/∂θ)ᵀu.
 *
 * z and v hold every sample's last equilibrium and backward vector (n·d, the problem's per-sample layout). A forward
 * solve that misses its tolerance within the budget, or diverges, ends the step: z keeps its previous rows, no
 * backward pass is taken and θ is not updated (Adam's moments and step count untouched); the inner diagnostics count
 * it (`forwardFailures`), for the streams' forward-solve monitor to report.
 *
 * @example run(deqProblem({ train, test, classes: 10 }), deqTraining({ backward: 'shine' }), { maxIter: 300, x0: p.initialX() })
 */
export function deqTraining(options: DeqTrainingOptions = {}): Solver {
  const fn = 'deqTraining';
  const o = resolveDeqOptions(fn, options);
  const backward = deqBackward(o);
  const opa = o.backward === 'shine-opa';
  const forwardOptions = { tol: o.forwardTol, maxIter: o.forwardMaxIter };

  const inner: StreamPart<ForwardState> = {
    stream: 'inner',
    description: { estimator: `deq-forward-${o.forward}`, batchSize: o.batchSize, step: { kind: 'other', rule: o.forward } },
    init(problem, rng) {
      const p = equilibriumOf(fn, problem);
      const d = p.stateDim;
      const bySize: Record<string, ForwardBuffers> = {};
      for (const B of blockSizes(p.nInner, o.batchSize)) {
        bySize[B] = {
          broyden: o.forward === 'broyden' ? new BatchedBroyden(B, d, { memory: o.memory + (opa ? Math.floor(o.forwardMaxIter / o.opaEvery) + 1 : 0) }) : null,
          anderson: o.forward === 'anderson' ? new BatchedAnderson(B, d, { history: o.history, ridge: o.ridge }) : null,
          z: new Float64Array(B * d),
          gz: new Float64Array(B * d),
          sigma: new Float64Array(B * d),
          t: new Float64Array(B * d),
        };
      }
      return {
        problem: p,
        sampler: new BlockSampler(p.nInner, o.batchSize, rng),
        bySize,
        iterations: 0,
        evaluations: 0,
        converged: 1,
        unconverged: 0,
        diverged: 0,
        residual: NaN,
        failures: 0,
        failStep: NaN,
        failUnconverged: 0,
        failDiverged: 0,
        failResidual: NaN,
        opaUpdates: 0,
        opaProducts: 0,
      };
    },
    step(s, { z, x }, t, out) {
      const p = s.problem;
      const d = p.stateDim;
      const batch = s.sampler.next().indices;
      const B = batch.length;
      const buf = s.bySize[B];
      const eq = p.equilibriumBatch(batch, x);
      const zc = buf.z;
      if (o.warmStart) gatherRows(z, batch, d, zc);
      else zc.fill(0);
      const map = (q: Float64Array, f: Float64Array) => eq.layer(q, f);
      let res: FixedPointResult;
      if (buf.broyden) {
        const qn = buf.broyden;
        const opaUpdate = (zi: Float64Array) => {
          s.opaUpdates += adjointAlongLoss(eq, qn, zi, buf);
          s.opaProducts++;
        };
        res = qn.solve(map, zc, forwardOptions, opa ? (it, zi) => it % o.opaEvery === 0 && opaUpdate(zi) : undefined);
        if (opa && res.converged) opaUpdate(zc);
      } else {
        res = (buf.anderson as BatchedAnderson).solve(map, zc, forwardOptions);
      }
      s.iterations = res.iterations;
      s.evaluations = res.evaluations;
      s.converged = res.converged ? 1 : 0;
      s.unconverged = B - res.convergedCount;
      s.diverged = res.divergedCount;
      s.residual = res.maxResidual;
      out.set(z);
      if (!res.converged) {
        s.failures++;
        s.failStep = t;
        s.failUnconverged = s.unconverged;
        s.failDiverged = s.diverged;
        s.failResidual = s.residual;
        return { batch: Int32Array.from(batch), converged: false, iterations: res.iterations } satisfies DeqForwardAux;
      }
      scatterRows(zc, batch, d, out);
      const aux: DeqForwardAux = {
        batch: Int32Array.from(batch),
        converged: true,
        iterations: res.iterations,
        ...(buf.broyden && backward.needsInverse ? { inverse: buf.broyden.inverse() } : {}),
      };
      return aux;
    },
    diagnostics: (s) => ({
      forwardIterations: s.iterations,
      forwardEvaluations: s.evaluations,
      forwardConverged: s.converged,
      forwardUnconverged: s.unconverged,
      forwardDiverged: s.diverged,
      forwardResidual: s.residual,
      forwardTol: o.forwardTol,
      forwardMaxIter: o.forwardMaxIter,
      forwardFailures: s.failures,
      lastFailureStep: s.failStep,
      lastFailureUnconverged: s.failUnconverged,
      lastFailureDiverged: s.failDiverged,
      lastFailureResidual: s.failResidual,
      ...(opa ? { opaUpdates: s.opaUpdates, opaProducts: s.opaProducts } : {}),
    }),
  };

  const linsys: StreamPart<BackwardState> = {
    stream: 'linsys',
    description: {
      estimator: `deq-backward-${backward.name}`,
      batchSize: o.batchSize,
      step: { kind: 'other', rule: backward.name },
      ...(o.backward === 'exact' ? { linearSolver: { kind: 'krylov', method: o.backwardSolver } } : {}),
    },
    init(problem) {
      const p = equilibriumOf(fn, problem);
      const bySize: BackwardState['bySize'] = {};
      for (const B of blockSizes(p.nInner, o.batchSize)) bySize[B] = { z: new Float64Array(B * p.stateDim), gz: new Float64Array(B * p.stateDim), u: new Float64Array(B * p.stateDim) };
      return { problem: p, bySize, products: 0, productsTotal: 0, iterations: 0, residual: NaN, converged: 1, loss: NaN, skipped: 0 };
    },
    step(s, { z, v, x, aux }, _t, out) {
      out.set(v);
      const a = aux?.z;
      if (!isForwardAux(a) || !a.converged) {
        s.skipped++;
        s.products = 0;
        s.iterations = 0;
        return undefined;
      }
      const p = s.problem;
      const d = p.stateDim;
      const B = a.batch.length;
      const buf = s.bySize[B];
      const eq = p.equilibriumBatch(a.batch, x);
      gatherRows(z, a.batch, d, buf.z);
      s.loss = eq.loss(buf.z, buf.gz);
      const info = backward.direction({ batch: eq, z: buf.z, rhs: buf.gz, ...(a.inverse ? { inverse: a.inverse } : {}) }, buf.u);
      s.products = info.products;
      s.productsTotal += info.products;
      s.iterations = info.iterations;
      s.residual = info.relativeResidual;
      s.converged = info.converged ? 1 : 0;
      scatterRows(buf.u, a.batch, d, out);
      return undefined;
    },
    diagnostics: (s) => ({
      backwardProducts: s.products,
      backwardProductsTotal: s.productsTotal,
      backwardIterations: s.iterations,
      backwardResidual: s.residual,
      backwardConverged: s.converged,
      loss: s.loss,
      skippedSteps: s.skipped,
    }),
  };

  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  const outer: StreamPart<OuterState> = {
    stream: 'outer',
    description: { estimator: 'sgd', batchSize: o.batchSize, step: { kind: 'adaptive', rule: 'adam' } },
    init(problem) {
      const p = equilibriumOf(fn, problem);
      const n = p.dimX;
      const bySize: OuterState['bySize'] = {};
      for (const B of blockSizes(p.nInner, o.batchSize)) bySize[B] = { z: new Float64Array(B * p.stateDim), u: new Float64Array(B * p.stateDim), gz: new Float64Array(B * p.stateDim) };
      return { problem: p, m: new Float64Array(n), s: new Float64Array(n), g: new Float64Array(n), gx: new Float64Array(n), bySize, adamSteps: 0, gradNorm: NaN, skipped: 0 };
    },
    step(s, { z, v, x, aux }, _t, out) {
      const a = aux?.z;
      if (!isForwardAux(a) || !a.converged) {
        out.set(x);
        s.skipped++;
        return undefined;
      }
      const p = s.problem;
      const d = p.stateDim;
      const B = a.batch.length;
      const buf = s.bySize[B];
      const eq = p.equilibriumBatch(a.batch, x);
      gatherRows(z, a.batch, d, buf.z);
      gatherRows(v, a.batch, d, buf.u);
      eq.loss(buf.z, buf.gz, s.gx);
      eq.vjpX(buf.z, buf.u, s.g);
      // Adam (Kingma & Ba, ICLR 2015), bias-corrected
      s.adamSteps++;
      const c1 = 1 - Math.pow(beta1, s.adamSteps);
      const c2 = 1 - Math.pow(beta2, s.adamSteps);
      let gg = 0;
      for (let i = 0; i < x.length; i++) {
        const g = s.g[i] + s.gx[i];
        gg += g * g;
        s.m[i] = beta1 * s.m[i] + (1 - beta1) * g;
        s.s[i] = beta2 * s.s[i] + (1 - beta2) * g * g;
        out[i] = x[i] - (o.outerStep * (s.m[i] / c1)) / (Math.sqrt(s.s[i] / c2) + eps);
      }
      s.gradNorm = Math.sqrt(gg);
      return undefined;
    },
    diagnostics: (s) => ({ gradNorm: s.gradNorm, adamSteps: s.adamSteps, skippedSteps: s.skipped }),
  };

  return {
    name: `deq-${o.backward}`,
    citation:
      'Bai, Kolter, Koltun. Deep Equilibrium Models. NeurIPS 2019; Ramzi, Mannel, Bai, Starck, Ciuciu, Moreau. SHINE: SHaring the INverse Estimate from the forward pass for bi-level optimization and implicit models. ICLR 2022; Fung, Heaton, Li, McKenzie, Osher, Yin. JFB: Jacobian-Free Backpropagation for Implicit Networks. AAAI 2022.',
    schedule: 'gauss-seidel',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: {
      forward: o.forward,
      backward: o.backward,
      refine: o.refine,
      batchSize: o.batchSize,
      outerStep: o.outerStep,
      forwardTol: o.forwardTol,
      forwardMaxIter: o.forwardMaxIter,
      ...(o.forward === 'broyden' ? { memory: o.memory } : { history: o.history, ridge: o.ridge }),
      ...(opa ? { opaEvery: o.opaEvery } : {}),
      ...(o.backward === 'exact' || o.refine > 0 ? { backwardSolver: o.backwardSolver, backwardTol: o.backwardTol } : {}),
      ...(o.backward === 'exact' ? { backwardMaxIter: o.backwardMaxIter } : {}),
      warmStart: o.warmStart,
    },
  };
}

/**
 * SHINE's OPA step at the iterate z: σ = Hᵀ∇_zL (the current backward estimate), w = (I − J)ᵀσ (one VJP), then the
 * adjoint-Broyden term making Hᵀw = σ. Returns the samples updated.
 */
export function adjointAlongLoss(eq: EquilibriumBatch, qn: BatchedBroyden, z: Float64Array, buf: { readonly gz: Float64Array; readonly sigma: Float64Array; readonly t: Float64Array }): number {
  eq.loss(z, buf.gz);
  qn.apply(buf.gz, buf.sigma, true);
  eq.vjpZ(z, buf.sigma, buf.t);
  for (let i = 0; i < buf.t.length; i++) buf.t[i] = buf.sigma[i] - buf.t[i];
  return qn.adjointUpdate(buf.sigma, buf.t);
}
