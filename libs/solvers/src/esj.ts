import { BlockSampler } from '@bilevel/linalg';
import type { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import { knownKeys, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link esj} and {@link esjS}, with their defaults. */
export interface EsjOptions {
  /**
   * Minibatch size of the inner SGD steps and of the outer gradients (ESJ-S). Default 64 (the public benchmark's
   * batch size). ESJ accepts it and uses full batches.
   */
  readonly batchSize?: number;
  /** α, step of the inner (S)GD runs. Default 0.1 (benchmark_bilevel pzobo.py `step_size`). */
  readonly innerStep?: number;
  /** γ, step of x. Default 0.1 (pzobo.py: `step_size / outer_ratio` with outer_ratio 1). */
  readonly outerStep?: number;
  /** T, inner steps per run (base run and each perturbed run). Default 10 (pzobo.py `n_inner_steps`). */
  readonly innerIterations?: number;
  /** Q, Gaussian directions per outer step. Default 10 (pzobo.py `n_gaussian_vectors` at benchmark commit 3ad65dc). */
  readonly directions?: number;
  /** μ, smoothing radius of the perturbations x + μu. Default 0.1 (pzobo.py `mu`). */
  readonly smoothing?: number;
}

const KEYS = ['batchSize', 'innerStep', 'outerStep', 'innerIterations', 'directions', 'smoothing'] as const;

/**
 * What the inner part of ESJ publishes with z_T: the Gaussian directions u_q (length dimX) and the finite
 * differences δ_q = [z_T(x + μu_q) − z_T(x)]/μ (length dimZ), q = 1..Q. Fresh arrays each step, never mutated.
 */
export interface EsjAux {
  readonly directions: readonly Float64Array[];
  readonly deltas: readonly Float64Array[];
}

function isEsjAux(a: unknown): a is EsjAux {
  return typeof a === 'object' && a !== null && Array.isArray((a as EsjAux).directions) && Array.isArray((a as EsjAux).deltas);
}

interface InnerState {
  readonly problem: BilevelProblem;
  /** Draws the inner minibatches (ESJ-S); undefined for ESJ (full batches). */
  readonly sampler: BlockSampler | undefined;
  /** The draws of u. */
  readonly rng: Rng;
  /** The T batches of the current outer step, shared by every run. */
  readonly batches: Int32Array[];
  readonly xq: Float64Array;
  readonly zq: Float64Array;
  readonly g: Float64Array;
}

interface OuterState {
  readonly problem: BilevelProblem;
  readonly sampler: BlockSampler | undefined;
  readonly b: Float64Array;
  readonly est: Float64Array;
  estimateNorm: number;
  implicitNorm: number;
}

/** out ← T (S)GD steps on G(·, x) from z0 over the given batches (the batches and the start fix the run). */
function descend(problem: BilevelProblem, z0: Float64Array, x: Float64Array, batches: readonly Int32Array[], alpha: number, g: Float64Array, out: Float64Array): void {
  out.set(z0);
  for (const batch of batches) {
    problem.innerGradZ(out, x, batch, g);
    for (let k = 0; k < out.length; k++) out[k] -= alpha * g[k];
  }
}

function build(fn: 'esj' | 'esjS', options: EsjOptions): Solver {
  knownKeys(fn, options, KEYS);
  const stochastic = fn === 'esjS';
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const alpha = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const gamma = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const T = positiveInteger(fn, 'innerIterations', options.innerIterations ?? 10);
  const Q = positiveInteger(fn, 'directions', options.directions ?? 10);
  const mu = positiveNumber(fn, 'smoothing', options.smoothing ?? 0.1);

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    init(problem, rng) {
      // Both variants split the generator the same way, so ESJ-S with one block per epoch draws ESJ's directions.
      const samplerRng = rng.split();
      return {
        problem,
        sampler: stochastic ? new BlockSampler(problem.nInner, batchSize, samplerRng) : undefined,
        rng: rng.split(),
        batches: new Array<Int32Array>(T).fill(problem.fullInner),
        xq: new Float64Array(problem.dimX),
        zq: new Float64Array(problem.dimZ),
        g: new Float64Array(problem.dimZ),
      };
    },
    step(s, { z, x }, _t, out): EsjAux {
      const { problem, sampler, batches, xq, zq, g } = s;
      if (sampler) for (let i = 0; i < T; i++) batches[i] = sampler.next().indices;
      descend(problem, z, x, batches, alpha, g, out);
      const directions: Float64Array[] = [];
      const deltas: Float64Array[] = [];
      for (let q = 0; q < Q; q++) {
        const u = s.rng.normals(new Float64Array(problem.dimX));
        for (let k = 0; k < xq.length; k++) xq[k] = x[k] + mu * u[k];
        // same start z_{k−1} and same batches as the base run: the difference is the Jacobian of the T-step map
        descend(problem, z, xq, batches, alpha, g, zq);
        const delta = new Float64Array(problem.dimZ);
        for (let k = 0; k < delta.length; k++) delta[k] = (zq[k] - out[k]) / mu;
        directions.push(u);
        deltas.push(delta);
      }
      return { directions, deltas };
    },
  };

  const linsys: StreamPart<null> = {
    stream: 'linsys',
    init: () => null,
    step(_s, { v }, _t, out) {
      out.set(v); // Hessian-free: no linear system, v keeps its start value and no oracle is called
    },
  };

  const outer: StreamPart<OuterState> = {
    stream: 'outer',
    init: (problem, rng) => ({
      problem,
      sampler: stochastic ? new BlockSampler(problem.nOuter, batchSize, rng.split()) : undefined,
      b: new Float64Array(problem.dimZ),
      est: new Float64Array(problem.dimX),
      estimateNorm: 0,
      implicitNorm: 0,
    }),
    step(s, { z, x, aux }, _t, out) {
      const { problem, b, est } = s;
      const batch = s.sampler ? s.sampler.next().indices : problem.fullOuter;
      problem.outerGradZ(z, x, batch, b);
      problem.outerGradX(z, x, batch, est);
      const a = aux?.z;
      let implicit = 0;
      if (isEsjAux(a)) {
        // ĝ = ∇_x F + (1/Q) Σ_q u_q ⟨δ_q, ∇_z F⟩; the implicit part's norm is tracked for diagnostics
        const q = a.deltas.length;
        const coef = new Float64Array(q);
        for (let j = 0; j < q; j++) {
          const d = a.deltas[j];
          let c = 0;
          for (let k = 0; k < d.length; k++) c += d[k] * b[k];
          coef[j] = c / q;
        }
        for (let k = 0; k < est.length; k++) {
          let m = 0;
          for (let j = 0; j < q; j++) m += coef[j] * a.directions[j][k];
          est[k] += m;
          implicit += m * m;
        }
      }
      let norm = 0;
      for (let k = 0; k < out.length; k++) {
        out[k] = x[k] - gamma * est[k];
        norm += est[k] * est[k];
      }
      s.estimateNorm = Math.sqrt(norm);
      s.implicitNorm = Math.sqrt(implicit);
    },
    diagnostics: (s) => ({ estimateNorm: s.estimateNorm, implicitNorm: s.implicitNorm }),
  };

  return {
    name: stochastic ? 'esj-s' : 'esj',
    citation: 'Sow, Ji, Liang. On the Convergence Theory for Hessian-Free Bilevel Algorithms (ES-based Jacobian, PZOBO). NeurIPS 2022.',
    schedule: 'gauss-seidel',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: { batchSize: stochastic ? batchSize : 'full', innerStep: alpha, outerStep: gamma, innerIterations: T, directions: Q, smoothing: mu },
  };
}

/**
 * ESJ (PZOBO), the Hessian-free bilevel method with an evolution-strategies Jacobian (Sow, Ji, Liang, "On the
 * Convergence Theory for Hessian-Free Bilevel Algorithms", NeurIPS 2022), deterministic variant: full batches.
 *
 * Each outer step k, with z_T(x') = T gradient-descent steps z ← z − α∇_z G(z, x') started at z_{k−1}:
 *   inner:  z_k = z_T(x_k); for q = 1..Q, u_q ~ N(0, I_dx), δ_q = [z_T(x_k + μu_q) − z_T(x_k)]/μ
 *           (the same start z_{k−1} for every run; (Q+1)T gradients), published with z_k as {@link EsjAux};
 *   linsys: idle (v keeps its start value, no oracle call);
 *   outer:  ĝ = ∇_x F(z_k, x_k) + (1/Q) Σ_q u_q ⟨δ_q, ∇_z F(z_k, x_k)⟩,  x_{k+1} = x_k − γ ĝ.
 * (1/Q) Σ u_q δ_qᵀ estimates the Jacobian of the T-step map x ↦ z_T(x), so ĝ estimates its hypergradient with no
 * Hessian- or Jacobian-vector product. The directions are Gaussian (E[uuᵀ] = I), not normalized per tensor as in
 * the authors' scripts. Schedule: gauss-seidel (the outer step reads the new z and its aux).
 *
 * @example run(problem, esj({ innerIterations: 30, directions: 10, outerStep: 0.05 }), { maxIter: 2000 })
 */
export function esj(options: EsjOptions = {}): Solver {
  return build('esj', options);
}

/**
 * ESJ-S (PZOBO-S), the stochastic variant of {@link esj}: the inner runs are SGD on minibatches of the inner
 * samples, and the base run and all Q perturbed runs use the same start z_{k−1} and the same T minibatches (so the
 * difference quotient carries no sampling noise of order 1/μ); ∇_x F and ∇_z F are taken on one outer minibatch:
 *   z_k = z_T(x_k; B_1..B_T),  δ_q = [z_T(x_k + μu_q; B_1..B_T) − z_k]/μ,
 *   x_{k+1} = x_k − γ (∇_x f_I(z_k, x_k) + (1/Q) Σ_q u_q ⟨δ_q, ∇_z f_I(z_k, x_k)⟩).
 * (Sow, Ji, Liang, NeurIPS 2022.)
 *
 * @example run(problem, esjS({ batchSize: 32, innerIterations: 10, directions: 10 }), { maxIter: 2000 })
 */
export function esjS(options: EsjOptions = {}): Solver {
  return build('esjS', options);
}
