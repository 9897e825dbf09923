import { BlockSampler } from '@bilevel/linalg';
import type { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import { hypergradientParts } from './parts/hypergradient-parts';
import { rdpAccountant } from './rdp-accountant';
import type { LangevinParams } from './rdp-accountant';
import { enumOption, knownKeys, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link noisySgd}, with their defaults. */
export interface NoisySgdOptions {
  /** Minibatch size of all three streams. Default 64. */
  readonly batchSize?: number;
  /**
   * η, the step of z (constant schedule) or η₀ (decreasing schedule), also ρ, the step of v. Default: η = 1/(2β) for z
   * (the Langevin bound needs η < 1/β; decreasing: η₀ ≤ 1/(2β)) and ρ = 0.1 (SABA) for v.
   */
  readonly innerStep?: number;
  /** γ, step of x. Default 0.1 (SABA). */
  readonly outerStep?: number;
  /** σ of the noise √(2ησ²)·ξ. Default: calibrated so that the saturated budget (K → ∞) is `epsilon`. */
  readonly sigma?: number;
  /** Target ε of the saturated guarantee when `sigma` is not given. Default 1. */
  readonly epsilon?: number;
  /** δ of the guarantee. Default 1e-5 (the authors' default). */
  readonly delta?: number;
  /** L: per-sample gradients are clipped to ℓ2 norm L (the Lipschitz constant of the bound). Default 1. */
  readonly clip?: number;
  /** λ, strong convexity of G(·, x) assumed by the bound. Default: `problem.innerConstants(x).mu` at the first step. */
  readonly strongConvexity?: number;
  /** β, smoothness of G(·, x) assumed by the bound. Default: `problem.innerConstants(x).L` at the first step. */
  readonly smoothness?: number;
  /** `constant` η, or the authors' `decreasing` η_k = 1/(1/η₀ + λk/2) (= 1/(2β + λk/2) at the default η₀). Default `constant`. */
  readonly stepSchedule?: 'constant' | 'decreasing';
  /** Start the inner stream from θ₀ ~ N(0, (2σ²/λ) I), the bound's condition, instead of the run's z₀. Default true. */
  readonly initFromPrior?: boolean;
  /** Estimator of the linear-system and outer streams: `saga` (constant steps, SABA) or `sgd` (SOBA's power steps). Default `saga`. */
  readonly estimator?: 'saga' | 'sgd';
}

const KEYS = [
  'batchSize',
  'innerStep',
  'outerStep',
  'sigma',
  'epsilon',
  'delta',
  'clip',
  'strongConvexity',
  'smoothness',
  'stepSchedule',
  'initFromPrior',
  'estimator',
] as const;

/** The constants of the bound, fixed at the first step. */
interface Resolved {
  readonly lambda: number;
  readonly beta: number;
  readonly eta0: number;
  readonly sigma: number;
  /** The saturated guarantee (K → ∞), computed once. */
  limit?: { readonly epsilon: number };
}

interface InnerState {
  readonly problem: BilevelProblem;
  readonly sampler: BlockSampler;
  readonly rng: Rng;
  readonly grad: Float64Array;
  readonly acc: Float64Array;
  readonly single: Int32Array;
  resolved: Resolved | undefined;
  steps: number;
  lastStep: number;
  clipped: number;
  touched: number;
}

/**
 * Noisy SGD with Rényi-DP accounting by Langevin dynamics (Ryffel, Bach, Pointcheval, "Differential privacy
 * guarantees for stochastic gradient Langevin dynamics", arXiv 2201.11980, 2022), as the private inner stream of a
 * bilevel solver; the linear-system and outer streams are SABA's (default) or SOBA's.
 *
 *   θ ← θ − η_k ĝ + √(2η_kσ²)·ξ,   ĝ = (1/|B|) Σ_{i∈B} clip_L(∇_z g_i(θ, x)),   ξ ~ N(0, I)
 *   v ← v − ρ (∇²_zz g_j v + ∇_z f_i),   x ← x − γ (∇²_xz g_j v + ∇_x f_i)
 * with clip_L(u) = u·min(1, L/‖u‖), η_k = η (constant, η < 1/β) or 1/(1/η₀ + λk/2), and θ₀ ~ N(0, (2σ²/λ) I).
 *
 * Privacy: for an L-Lipschitz, λ-strongly convex, β-smooth loss, after K steps
 *   ε_α(K) = (4αL²/(λσ²n²))(1 − e^{−ληK/2})   (constant)   or   (4αL²/(λσ²n²))·λK/(4β' + λK)   (decreasing, β' = 1/(2η₀)),
 * which saturates: the loss of privacy stays bounded however long the inner stream runs. The inner part's diagnostics
 * report ε = min_α[ε_α + log(1/δ)/(α−1)] at the steps taken ({@link rdpAccountant}); K counts steps (the authors'
 * code counts epochs: ours is the larger, same limit). Clipping enforces the sensitivity 2L/n; λ, β and the
 * Lipschitz property are the caller's assumptions (clipping a strongly convex per-sample loss keeps neither exactly:
 * `clippedFraction` in the diagnostics shows whether clipping was active). The guarantee covers the inner stream
 * with x treated as public; the linear-system and outer streams read the training samples and are not private.
 *
 * Cost: the per-sample gradients come from `innerGradZ` on single-sample batches: |B| oracle calls per step.
 *
 * @example run(problem, noisySgd({ epsilon: 1, delta: 1e-5, clip: 1, batchSize: 32 }), { maxIter: 5000 })
 */
export function noisySgd(options: NoisySgdOptions = {}): Solver {
  const fn = 'noisySgd';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const eta = options.innerStep === undefined ? undefined : positiveNumber(fn, 'innerStep', options.innerStep);
  const rho = eta ?? 0.1;
  const gamma = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  if (options.sigma !== undefined && options.epsilon !== undefined) {
    throw new RangeError(`${fn}: give sigma or epsilon, not both (received sigma = ${options.sigma}, epsilon = ${options.epsilon})`);
  }
  const sigmaOption = options.sigma === undefined ? undefined : positiveNumber(fn, 'sigma', options.sigma);
  const epsilon = sigmaOption === undefined ? positiveNumber(fn, 'epsilon', options.epsilon ?? 1) : undefined;
  const delta = options.delta ?? 1e-5;
  if (typeof delta !== 'number' || !(delta > 0 && delta < 1)) throw new RangeError(`${fn}: delta must be a number in (0, 1), received ${String(delta)}`);
  const L = positiveNumber(fn, 'clip', options.clip ?? 1);
  const lambdaOption = options.strongConvexity === undefined ? undefined : positiveNumber(fn, 'strongConvexity', options.strongConvexity);
  const betaOption = options.smoothness === undefined ? undefined : positiveNumber(fn, 'smoothness', options.smoothness);
  const schedule = enumOption(fn, 'stepSchedule', options.stepSchedule ?? 'constant', ['constant', 'decreasing'] as const);
  const initFromPrior = options.initFromPrior ?? true;
  if (typeof initFromPrior !== 'boolean') throw new RangeError(`${fn}: initFromPrior must be a boolean, received ${String(initFromPrior)}`);
  const estimator = enumOption(fn, 'estimator', options.estimator ?? 'saga', ['saga', 'sgd'] as const);

  const resolve = (problem: BilevelProblem, x: Float64Array): Resolved => {
    let lambda = lambdaOption;
    let beta = betaOption;
    if (lambda === undefined || beta === undefined) {
      if (!problem.innerConstants) {
        throw new RangeError(`${fn}: problem "${problem.name}" has no innerConstants; pass the options strongConvexity and smoothness`);
      }
      const k = problem.innerConstants(x);
      lambda ??= k.mu;
      beta ??= k.L;
      if (!(lambda > 0) || !(beta >= lambda) || !Number.isFinite(beta)) {
        throw new RangeError(`${fn}: problem constants μ = ${lambda}, L = ${beta} do not give 0 < λ ≤ β < ∞; pass strongConvexity and smoothness`);
      }
    }
    let eta0 = eta;
    if (schedule === 'constant') {
      eta0 ??= 1 / (2 * beta);
      if (!(eta0 < 1 / beta)) throw new RangeError(`${fn}: innerStep must be < 1/β = ${1 / beta} for the Langevin bound (constant steps), received ${eta0}`);
    } else {
      eta0 ??= 1 / (2 * beta);
      if (!(eta0 <= 1 / (2 * beta))) throw new RangeError(`${fn}: innerStep must be ≤ 1/(2β) = ${1 / (2 * beta)} for the decreasing schedule, received ${eta0}`);
    }
    const n = problem.nInner;
    // saturated slope c = 4L²/(λσ²n²) of the curve ε_α = c·α, calibrated to the target
    const sigma = sigmaOption ?? (2 * L) / (n * Math.sqrt(lambda * rdpAccountant.calibrate(epsilon as number, delta)));
    return { lambda, beta, eta0, sigma };
  };

  const params = (s: InnerState, r: Resolved, steps: number): LangevinParams => ({
    lipschitz: L,
    strongConvexity: r.lambda,
    sigma: r.sigma,
    n: s.problem.nInner,
    steps,
  });
  const curve = (s: InnerState, r: Resolved, steps: number) =>
    schedule === 'constant'
      ? (a: number) => rdpAccountant.langevinConstant(a, params(s, r, steps), r.eta0)
      : (a: number) => rdpAccountant.langevinDecreasing(a, params(s, r, steps), 1 / (2 * r.eta0));

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    init: (problem, rng) => ({
      problem,
      sampler: new BlockSampler(problem.nInner, batchSize, rng.split()),
      rng: rng.split(),
      grad: new Float64Array(problem.dimZ),
      acc: new Float64Array(problem.dimZ),
      single: new Int32Array(1),
      resolved: undefined,
      steps: 0,
      lastStep: NaN,
      clipped: 0,
      touched: 0,
    }),
    step(s, { z, x }, _t, out) {
      let theta = z;
      if (!s.resolved) {
        s.resolved = resolve(s.problem, x);
        if (initFromPrior) {
          const std = s.resolved.sigma * Math.sqrt(2 / s.resolved.lambda);
          theta = new Float64Array(z.length);
          for (let k = 0; k < theta.length; k++) theta[k] = std * s.rng.normal();
        }
      }
      const { lambda, eta0, sigma } = s.resolved;
      const h = schedule === 'constant' ? eta0 : 1 / (1 / eta0 + (lambda * s.steps) / 2);
      const { grad, acc, single } = s;
      const batch = s.sampler.next().indices;
      acc.fill(0);
      s.clipped = 0;
      for (let b = 0; b < batch.length; b++) {
        single[0] = batch[b];
        s.problem.innerGradZ(theta, x, single, grad);
        let sq = 0;
        for (let k = 0; k < grad.length; k++) sq += grad[k] * grad[k];
        const norm = Math.sqrt(sq);
        const c = norm > L ? L / norm : 1;
        if (norm > L) s.clipped++;
        for (let k = 0; k < grad.length; k++) acc[k] += c * grad[k];
      }
      s.touched = batch.length;
      const noise = Math.sqrt(2 * h) * sigma;
      const inv = 1 / batch.length;
      for (let k = 0; k < out.length; k++) out[k] = theta[k] - h * inv * acc[k] + noise * s.rng.normal();
      s.steps++;
      s.lastStep = h;
    },
    diagnostics(s): Readonly<Record<string, number>> {
      const r = s.resolved;
      if (!r) return { epsilon: 0, steps: 0, delta };
      const spent = rdpAccountant.toDp(curve(s, r, s.steps), delta);
      r.limit ??= rdpAccountant.toDp(curve(s, r, Infinity), delta);
      const limit = r.limit;
      return {
        epsilon: spent.epsilon,
        alpha: spent.alpha,
        epsilonLimit: limit.epsilon,
        delta,
        steps: s.steps,
        sigma: r.sigma,
        step: s.lastStep,
        strongConvexity: r.lambda,
        smoothness: r.beta,
        clippedFraction: s.touched > 0 ? s.clipped / s.touched : 0,
        // 1 when λ or β came from problem.innerConstants (computed from the data): the guarantee then assumes them public
        constantsFromData: lambdaOption === undefined || betaOption === undefined ? 1 : 0,
      };
    },
  };

  const { linsys, outer } = hypergradientParts(estimator, rho, gamma, batchSize);
  return {
    name: 'noisy-sgd',
    citation: 'Ryffel, Bach, Pointcheval. Differential privacy guarantees for stochastic gradient Langevin dynamics. arXiv 2201.11980, 2022.',
    schedule: 'jacobi',
    inner: inner as StreamPart,
    linsys,
    outer,
    options: {
      batchSize,
      innerStep: eta ?? '1/(2β)',
      linsysStep: rho,
      outerStep: gamma,
      sigma: sigmaOption ?? 'calibrated',
      epsilon: epsilon ?? 'from sigma',
      delta,
      clip: L,
      strongConvexity: lambdaOption ?? 'innerConstants.mu',
      smoothness: betaOption ?? 'innerConstants.L',
      stepSchedule: schedule,
      initFromPrior,
      estimator,
    },
  };
}
