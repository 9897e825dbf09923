import type { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import { hypergradientParts } from './parts/hypergradient-parts';
import { rdpAccountant } from './rdp-accountant';
import { enumOption, knownKeys, nonNegativeNumber, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link dpCd}, with their defaults. */
export interface DpCdOptions {
  /** Minibatch size of the linear-system and outer streams. Default 64. (The private inner stream uses all n samples.) */
  readonly batchSize?: number;
  /** ρ, step of the linear-system stream v. Default 0.1 (SABA). z moves by the coordinate steps `coordinateStep`/M_j. */
  readonly innerStep?: number;
  /** γ, step of the outer stream x. Default 0.1 (SABA). */
  readonly outerStep?: number;
  /** Scale s of the coordinate steps γ_j = s/M_j. Default 1 (the paper's 1/M_j). */
  readonly coordinateStep?: number;
  /** K, coordinate updates per inner step (one noisy release each). Default dimZ (one pass in expectation). */
  readonly coordinateSteps?: number;
  /** T, the planned number of inner steps: the noise is calibrated for T·K releases. Default 100. */
  readonly innerSteps?: number;
  /** Target ε of the T·K releases. Default 1. `Infinity` turns the noise off (non-private; for checks). */
  readonly epsilon?: number;
  /** δ of the guarantee. Default 1e-5. */
  readonly delta?: number;
  /** C, the total clipping threshold: C_j = C·√(M_j / Σ_k M_k), so Σ_j C_j² = C². Default 1. */
  readonly clip?: number;
  /** Explicit per-coordinate thresholds C_j (length dimZ); overrides `clip`. Must not depend on the data. */
  readonly clipThresholds?: readonly number[];
  /**
   * Public coordinate smoothness constants M_j (length dimZ). Default: the diagonal of ∇²_zz G(0, x) whenever x
   * changes, from the problem's `innerHessianDiagonal` (one full pass) where it has one, else from dimZ full-batch
   * HVPs. That estimate reads the data: pass constants derived from public knowledge (feature bounds, the
   * regularizer) for a formal guarantee.
   */
  readonly smoothness?: readonly number[];
  /** ℓ1 weight of the separable term ψ_j(z_j) = l1·|z_j| (proximal step: soft-thresholding). Default 0. */
  readonly l1?: number;
  /**
   * Noise calibration: `rdp`, the smallest σ_j = s·C_j whose Rényi accounting (Gaussian mechanism, sensitivity
   * 2C_j/n, T·K releases) gives exactly ε; or `paper`, σ_j = C_j·√(12·T·K·log(1/δ))/(n·ε) (the paper's privacy
   * theorem), which the same accounting certifies only for ε ≲ log(1/δ) (it spends ≈ 0.83ε at ε = 1, δ = 1e-5, and
   * far more than ε at ε ≫ log(1/δ)). Default `rdp`.
   */
  readonly noise?: 'paper' | 'rdp';
  /** Output of an inner step: the average of the K coordinate iterates (convex case) instead of the last. Default false. */
  readonly average?: boolean;
  /** Once the T·K planned releases are spent, keep z fixed (no further data access). Default true. (No effect when ε = ∞.) */
  readonly stopWhenSpent?: boolean;
  /** Estimator of the linear-system and outer streams: `saga` (constant steps, SABA) or `sgd` (SOBA's power steps). Default `saga`. */
  readonly estimator?: 'saga' | 'sgd';
}

const KEYS = [
  'batchSize',
  'innerStep',
  'outerStep',
  'coordinateStep',
  'coordinateSteps',
  'innerSteps',
  'epsilon',
  'delta',
  'clip',
  'clipThresholds',
  'smoothness',
  'l1',
  'noise',
  'average',
  'stopWhenSpent',
  'estimator',
] as const;

interface InnerState {
  readonly problem: BilevelProblem;
  readonly rng: Rng;
  readonly n: number;
  readonly p: number;
  readonly K: number;
  readonly planned: number;
  /** σ_j = noiseMultiplier·C_j. */
  readonly noiseMultiplier: number;
  readonly M: Float64Array;
  readonly C: Float64Array;
  /** x at which M (and C) were estimated; NaN until the first estimate. */
  readonly mAt: Float64Array;
  readonly theta: Float64Array;
  readonly sum: Float64Array;
  readonly grad: Float64Array;
  readonly unit: Float64Array;
  readonly zero: Float64Array;
  readonly hv: Float64Array;
  readonly single: Int32Array;
  releases: number;
  clipped: number;
  touched: number;
}

function booleanOption(fn: string, field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new RangeError(`${fn}: ${field} must be a boolean, received ${String(value)}`);
  return value;
}

function positiveArray(fn: string, field: string, value: unknown, allowInfinity: boolean): readonly number[] {
  if (!Array.isArray(value) || value.length === 0) throw new RangeError(`${fn}: ${field} must be a non-empty array of numbers, received ${String(value)}`);
  value.forEach((v, j) => {
    if (typeof v !== 'number' || !(v > 0) || (!allowInfinity && !Number.isFinite(v))) {
      throw new RangeError(`${fn}: ${field}[${j}] must be a positive${allowInfinity ? '' : ' finite'} number, received ${String(v)}`);
    }
  });
  return value as number[];
}

/**
 * DP-CD, differentially private proximal randomized coordinate descent (Mangold, Bellet, Salmon, Tommasi,
 * "Differentially private coordinate descent for composite empirical risk minimization", ICML 2022), as the private
 * inner stream of a bilevel solver, so that hyperparameters x can be tuned for a model z trained on private data.
 *
 * Inner step t (K noisy coordinate updates from θ = z, then z ← θ, or the average of the θ's with `average`):
 *   pick j uniformly;   g = (1/n) Σ_i clip(∇_j g_i(θ, x), C_j) + N(0, σ_j²)
 *   θ_j ← prox_{γ_j ψ_j}(θ_j − γ_j g),   γ_j = s/M_j,   clip(u, C) = max(−C, min(C, u))
 * with M_j the coordinate smoothness of G(·, x), C_j = C·√(M_j/ΣM) and σ_j ∝ C_j (see `noise`). The larger steps 1/M_j
 * (instead of DP-SGD's 1/M_max) and the noise scaled per coordinate exploit imbalanced smoothness.
 * Linear system and outer streams: SABA's (default) or SOBA's parts on the minibatch terms
 *   v ← v − ρ D_v,  D_v = ∇²_zz g_j v + ∇_z f_i;   x ← x − γ D_x,  D_x = ∇²_xz g_j v + ∇_x f_i.
 *
 * Privacy: changing one sample moves each clipped coordinate mean by ≤ 2C_j/n; each update releases it with Gaussian
 * noise σ_j, so after r releases ε_α = r·α·(2C_j/n)²/(2σ_j²) (the same for every j) and the inner part's diagnostics
 * report ε = min_α[ε_α + log(1/δ)/(α−1)] spent so far ({@link rdpAccountant}); the noise is calibrated for the
 * planned T·K releases (`innerSteps` × `coordinateSteps`: plan T as the run's outer iterations), after which z stays
 * fixed (`stopWhenSpent`). The guarantee covers what the inner
 * stream releases, with x treated as public: the linear-system and outer streams read the training samples too
 * (HVPs and cross products) and are not private. M_j and C_j must not depend on the data (see `smoothness`).
 *
 * Cost: each coordinate update computes the n per-sample gradients with `innerGradZ` on single-sample batches (each
 * a full dimZ-vector of which one entry is used): an inner step costs K·n oracle calls, about dimZ times the
 * arithmetic of a non-private coordinate step, plus dimZ full-batch HVPs per new x when M_j is estimated.
 *
 * @example run(problem, dpCd({ epsilon: 1, delta: 1e-5, innerSteps: 500, clip: 5 }), { maxIter: 500 })
 */
export function dpCd(options: DpCdOptions = {}): Solver {
  const fn = 'dpCd';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const rho = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const gamma = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const scale = positiveNumber(fn, 'coordinateStep', options.coordinateStep ?? 1);
  const kOption = options.coordinateSteps === undefined ? undefined : positiveInteger(fn, 'coordinateSteps', options.coordinateSteps);
  const T = positiveInteger(fn, 'innerSteps', options.innerSteps ?? 100);
  const epsilon = options.epsilon ?? 1;
  if (typeof epsilon !== 'number' || !(epsilon > 0)) throw new RangeError(`${fn}: epsilon must be a positive number (Infinity: no noise), received ${String(epsilon)}`);
  const delta = options.delta ?? 1e-5;
  if (typeof delta !== 'number' || !(delta > 0 && delta < 1)) throw new RangeError(`${fn}: delta must be a number in (0, 1), received ${String(delta)}`);
  const clip = options.clip ?? 1;
  if (typeof clip !== 'number' || !(clip > 0)) throw new RangeError(`${fn}: clip must be a positive number, received ${String(clip)}`);
  const clipThresholds = options.clipThresholds === undefined ? undefined : positiveArray(fn, 'clipThresholds', options.clipThresholds, true);
  const unclipped = clipThresholds ? clipThresholds.some((c) => c === Infinity) : clip === Infinity;
  if (unclipped && epsilon !== Infinity) {
    throw new RangeError(`${fn}: clipping thresholds must be finite for a private run (epsilon = ${epsilon}); infinite thresholds need epsilon: Infinity`);
  }
  const smoothness = options.smoothness === undefined ? undefined : positiveArray(fn, 'smoothness', options.smoothness, false);
  const l1 = nonNegativeNumber(fn, 'l1', options.l1 ?? 0);
  const noise = enumOption(fn, 'noise', options.noise ?? 'rdp', ['rdp', 'paper'] as const);
  const average = booleanOption(fn, 'average', options.average ?? false);
  const stopWhenSpent = booleanOption(fn, 'stopWhenSpent', options.stopWhenSpent ?? true);
  const estimator = enumOption(fn, 'estimator', options.estimator ?? 'saga', ['saga', 'sgd'] as const);

  /** (Re)computes M (unless given) at (0, x) and the thresholds C. */
  const refresh = (s: InnerState, x: Float64Array) => {
    let same = true;
    for (let k = 0; k < x.length; k++) if (s.mAt[k] !== x[k]) same = false;
    if (same) return;
    s.mAt.set(x);
    if (!smoothness) {
      const diagonal = s.problem.innerHessianDiagonal?.bind(s.problem);
      if (diagonal) diagonal(s.zero, x, s.problem.fullInner, s.hv);
      for (let j = 0; j < s.p; j++) {
        if (!diagonal) {
          s.unit.fill(0);
          s.unit[j] = 1;
          s.problem.innerHvp(s.zero, x, s.unit, s.problem.fullInner, s.hv);
        }
        const m = s.hv[j];
        if (!(m > 0) || !Number.isFinite(m)) {
          throw new RangeError(`${fn}: the coordinate smoothness M_${j} = ∂²G/∂z_${j}² at (0, x) is ${m}, expected > 0; pass the option smoothness`);
        }
        s.M[j] = m;
      }
    }
    if (!clipThresholds) {
      let total = 0;
      for (let j = 0; j < s.p; j++) total += s.M[j];
      for (let j = 0; j < s.p; j++) s.C[j] = clip * Math.sqrt(s.M[j] / total);
    }
  };

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    init(problem, rng) {
      const p = problem.dimZ;
      const n = problem.nInner;
      for (const [field, arr] of [['smoothness', smoothness], ['clipThresholds', clipThresholds]] as const) {
        if (arr && arr.length !== p) throw new RangeError(`${fn}: ${field} has ${arr.length} entries, expected dimZ = ${p}`);
      }
      const K = kOption ?? p;
      // without noise there is no budget to spend
      const planned = epsilon === Infinity ? Infinity : T * K;
      let noiseMultiplier = 0;
      if (epsilon !== Infinity) {
        if (noise === 'paper') noiseMultiplier = Math.sqrt(12 * planned * -Math.log(delta)) / (n * epsilon);
        else noiseMultiplier = Math.sqrt((2 * planned) / (n * n * rdpAccountant.calibrate(epsilon, delta)));
      }
      const M = smoothness ? Float64Array.from(smoothness) : new Float64Array(p);
      const C = clipThresholds ? Float64Array.from(clipThresholds) : new Float64Array(p);
      return {
        problem,
        rng: rng.split(),
        n,
        p,
        K,
        planned,
        noiseMultiplier,
        M,
        C,
        mAt: new Float64Array(problem.dimX).fill(NaN),
        theta: new Float64Array(p),
        sum: new Float64Array(p),
        grad: new Float64Array(p),
        unit: new Float64Array(p),
        zero: new Float64Array(p),
        hv: new Float64Array(p),
        single: new Int32Array(1),
        releases: 0,
        clipped: 0,
        touched: 0,
      };
    },
    step(s, { z, x }, _t, out) {
      if (stopWhenSpent && s.releases >= s.planned) {
        out.set(z);
        return;
      }
      refresh(s, x);
      const { problem, theta, grad, single, n, M, C } = s;
      theta.set(z);
      s.sum.fill(0);
      s.clipped = 0;
      s.touched = 0;
      let updates = 0;
      for (let k = 0; k < s.K; k++) {
        if (stopWhenSpent && s.releases >= s.planned) break;
        const j = s.rng.int(0, s.p - 1);
        const c = C[j];
        let g = 0;
        for (let i = 0; i < n; i++) {
          single[0] = i;
          problem.innerGradZ(theta, x, single, grad);
          const u = grad[j];
          if (u > c) {
            g += c;
            s.clipped++;
          } else if (u < -c) {
            g -= c;
            s.clipped++;
          } else {
            g += u;
          }
        }
        s.touched += n;
        g /= n;
        if (s.noiseMultiplier > 0) g += s.noiseMultiplier * c * s.rng.normal();
        const step = scale / M[j];
        const w = theta[j] - step * g;
        const thr = step * l1;
        theta[j] = w > thr ? w - thr : w < -thr ? w + thr : 0;
        s.releases++;
        updates++;
        if (average) for (let q = 0; q < s.p; q++) s.sum[q] += theta[q];
      }
      if (average && updates > 0) for (let q = 0; q < s.p; q++) out[q] = s.sum[q] / updates;
      else out.set(theta);
    },
    diagnostics(s) {
      const perRelease = s.noiseMultiplier > 0 ? 2 / (s.n * s.n * s.noiseMultiplier * s.noiseMultiplier) : Infinity;
      const spent = s.releases === 0 ? { epsilon: 0, alpha: NaN } : rdpAccountant.toDp((a) => s.releases * perRelease * a, delta);
      return {
        epsilon: spent.epsilon,
        alpha: spent.alpha,
        delta,
        epsilonTarget: epsilon,
        releases: s.releases,
        plannedReleases: s.planned,
        noiseMultiplier: s.noiseMultiplier,
        clippedFraction: s.touched > 0 ? s.clipped / s.touched : 0,
        // 1 when M_j (hence C_j) were estimated from the data: the guarantee then assumes them public
        smoothnessFromData: smoothness ? 0 : 1,
      };
    },
  };

  const { linsys, outer } = hypergradientParts(estimator, rho, gamma, batchSize);
  return {
    name: 'dp-cd',
    citation:
      'Mangold, Bellet, Salmon, Tommasi. Differentially private coordinate descent for composite empirical risk minimization. ICML 2022.',
    schedule: 'jacobi',
    inner: inner as StreamPart,
    linsys,
    outer,
    options: {
      batchSize,
      innerStep: rho,
      outerStep: gamma,
      coordinateStep: scale,
      coordinateSteps: kOption ?? 'dimZ',
      innerSteps: T,
      epsilon,
      delta,
      clip: clipThresholds ? 'per-coordinate' : clip,
      smoothness: smoothness ? 'given' : 'diag ∇²G(0, x)',
      l1,
      noise,
      average,
      stopWhenSpent,
      estimator,
    },
  };
}
