import type { Rng } from '@bilevel/linalg';

/**
 * A one-dimensional adaptive Parzen estimator on a box [low, high] (Bergstra, Bardenet, Bengio, Kégl, "Algorithms
 * for Hyper-Parameter Optimization", NeurIPS 2011, Sec. 4): an equally weighted mixture of Gaussians truncated to the
 * box, one at each observation and one prior component at the middle of the box with σ = high − low. The σ of an
 * observation is the larger distance to its neighbours among the sorted centres, clipped to
 * [(high − low)/min(100, 1 + centres), high − low] (hyperopt's `adaptive_parzen_normal`).
 */
export interface Parzen {
  readonly low: number;
  readonly high: number;
  readonly mus: Float64Array;
  readonly sigmas: Float64Array;
  /** log(weight / mass in the box) of each component: what its density is divided by. */
  readonly logScale: Float64Array;
}

/** Φ(t), the standard normal distribution function, from erfc (Numerical Recipes' `erfcc`, fractional error < 1.2e-7). */
export function normalCdf(t: number): number {
  const x = -t / Math.SQRT2;
  const z = Math.abs(x);
  const u = 1 / (1 + 0.5 * z);
  const erfc =
    u *
    Math.exp(
      -z * z -
        1.26551223 +
        u * (1.00002368 + u * (0.37409196 + u * (0.09678418 + u * (-0.18628806 + u * (0.27886807 + u * (-1.13520398 + u * (1.48851587 + u * (-0.82215223 + u * 0.17087277)))))))),
    );
  const value = x >= 0 ? erfc : 2 - erfc;
  return 0.5 * value;
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** The estimator of `points` (each clipped into [low, high]) on the box, as described on {@link Parzen}. */
export function parzenEstimator(points: ArrayLike<number>, low: number, high: number): Parzen {
  if (!(high > low) || !Number.isFinite(low) || !Number.isFinite(high)) throw new RangeError(`parzenEstimator: expected finite low < high, received [${low}, ${high}]`);
  const priorMu = 0.5 * (low + high);
  const priorSigma = high - low;
  const n = points.length + 1;
  const order = Array.from({ length: n }, (_, i) => i);
  const centre = (i: number) => (i === 0 ? priorMu : Math.min(high, Math.max(low, points[i - 1])));
  order.sort((a, b) => centre(a) - centre(b) || a - b);
  const mus = Float64Array.from(order, centre);
  const sigmas = new Float64Array(n);
  const minSigma = priorSigma / Math.min(100, 1 + n);
  for (let i = 0; i < n; i++) {
    const left = i > 0 ? mus[i] - mus[i - 1] : -Infinity;
    const right = i < n - 1 ? mus[i + 1] - mus[i] : -Infinity;
    const s = n === 1 ? priorSigma : Math.max(left, right);
    sigmas[i] = order[i] === 0 ? priorSigma : Math.min(priorSigma, Math.max(minSigma, s));
  }
  const logScale = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const mass = normalCdf((high - mus[i]) / sigmas[i]) - normalCdf((low - mus[i]) / sigmas[i]);
    logScale[i] = -Math.log(n) - Math.log(Math.max(mass, 1e-300));
  }
  return { low, high, mus, sigmas, logScale };
}

/** log p(x) of the estimator (−Infinity outside the box). */
export function parzenLogPdf(p: Parzen, x: number): number {
  if (x < p.low || x > p.high) return -Infinity;
  let max = -Infinity;
  const n = p.mus.length;
  // log-sum-exp over the components, two passes (no allocation)
  for (let i = 0; i < n; i++) {
    const t = (x - p.mus[i]) / p.sigmas[i];
    const l = p.logScale[i] - 0.5 * t * t - Math.log(p.sigmas[i]) - LOG_SQRT_2PI;
    if (l > max) max = l;
  }
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = (x - p.mus[i]) / p.sigmas[i];
    sum += Math.exp(p.logScale[i] - 0.5 * t * t - Math.log(p.sigmas[i]) - LOG_SQRT_2PI - max);
  }
  return max + Math.log(sum);
}

/** Rejection draws per sample before the draw is clipped into the box (a component centred in the box keeps ≥ 1/2 of its mass). */
const MAX_REJECTIONS = 1000;

/** One draw from the estimator: a component uniformly (equal weights), then its Gaussian truncated to the box. */
export function parzenSample(p: Parzen, rng: Rng): number {
  const i = rng.int(0, p.mus.length - 1);
  for (let k = 0; k < MAX_REJECTIONS; k++) {
    const x = p.mus[i] + p.sigmas[i] * rng.normal();
    if (x >= p.low && x <= p.high) return x;
  }
  return Math.min(p.high, Math.max(p.low, p.mus[i]));
}
