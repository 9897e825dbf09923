/** The Rényi-DP curve of a mechanism: α ↦ ε_α, for orders α > 1. */
export type RdpCurve = (alpha: number) => number;

/** Parameters of the Langevin bound on noisy SGD (Ryffel, Bach, Pointcheval 2022). */
export interface LangevinParams {
  /** L: Lipschitz constant of every per-sample loss (the clipping threshold of the per-sample gradients). */
  readonly lipschitz: number;
  /** λ: strong convexity of the loss. */
  readonly strongConvexity: number;
  /** σ: the update adds √(2ησ²)·ξ, ξ ~ N(0, I). */
  readonly sigma: number;
  /** n: number of samples of the private data set. */
  readonly n: number;
  /** K: number of noisy steps taken. */
  readonly steps: number;
}

/** The (ε, δ) guarantee a curve gives and the order α that attains it. */
export interface DpGuarantee {
  readonly epsilon: number;
  readonly alpha: number;
}

/**
 * The orders searched by {@link rdpAccountant.toDp}: 1.1, 1.2, …, 10.9 (fine steps where weak privacy puts the
 * optimum), then every integer 11…2000 (the authors' Langevin code searches the integers below 2000).
 */
const DEFAULT_ALPHAS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, k) => (11 + k) / 10),
  ...Array.from({ length: 1990 }, (_, k) => 11 + k),
]);

function check(fn: string, field: string, value: number, ok: boolean, expected: string): void {
  if (!ok) throw new RangeError(`rdpAccountant.${fn}: ${field} must be ${expected}, received ${value}`);
}

function checkLangevin(fn: string, p: LangevinParams): void {
  check(fn, 'lipschitz', p.lipschitz, p.lipschitz >= 0 && Number.isFinite(p.lipschitz), 'a finite number ≥ 0');
  check(fn, 'strongConvexity', p.strongConvexity, p.strongConvexity > 0 && Number.isFinite(p.strongConvexity), 'a positive finite number');
  check(fn, 'sigma', p.sigma, p.sigma > 0, 'a positive number');
  check(fn, 'n', p.n, Number.isInteger(p.n) && p.n >= 1, 'a positive integer');
  check(fn, 'steps', p.steps, p.steps >= 0, 'a number ≥ 0');
}

/**
 * Rényi differential privacy accounting (Mironov, "Rényi differential privacy", CSF 2017) for the private inner
 * streams: the Langevin bound of noisy SGD (Ryffel, Bach, Pointcheval, "Differential privacy guarantees for
 * stochastic gradient Langevin dynamics", arXiv 2201.11980, 2022), the composed Gaussian mechanism (DP-CD), and the
 * conversion to (ε, δ)-DP. Pure functions of their arguments; every curve is linear in α (ε_α = c·α).
 *
 *   langevinConstant:   ε_α(K) = (4αL²/(λσ²n²))·(1 − e^{−ληK/2})       (constant step η < 1/β)
 *   langevinDecreasing: ε_α(K) = (4αL²/(λσ²n²))·λK/(4β + λK)           (steps η_k = 1/(2β + λk/2))
 *   gaussian:           ε_α = r·αΔ²/(2s²)                               (r releases, ℓ2-sensitivity Δ, noise std s)
 *   toDp:               ε(δ) = min_α [ε_α + log(1/δ)/(α − 1)]
 * Both Langevin bounds increase with K and saturate at 4αL²/(λσ²n²): the privacy loss of noisy SGD on a smooth
 * strongly convex loss stays bounded however long it runs. Here K counts noisy steps; the authors' code passes the
 * epoch count, which gives a smaller ε before saturation and the same limit.
 *
 * @example
 * const curve = (a: number) => rdpAccountant.langevinConstant(a, { lipschitz: 1, strongConvexity: 0.01, sigma: 0.01, n: 10_000, steps: Infinity }, 0.5);
 * rdpAccountant.toDp(curve, 1e-5); // { epsilon: 1.3972…, alpha: 18 }
 */
export const rdpAccountant = {
  DEFAULT_ALPHAS,

  /** ε_α after K steps of noisy SGD with constant step η (η < 1/β is the caller's condition). */
  langevinConstant(alpha: number, p: LangevinParams, eta: number): number {
    checkLangevin('langevinConstant', p);
    check('langevinConstant', 'eta', eta, eta > 0 && Number.isFinite(eta), 'a positive finite number');
    const limit = (4 * alpha * p.lipschitz ** 2) / (p.strongConvexity * p.sigma ** 2 * p.n ** 2);
    return limit * -Math.expm1((-p.strongConvexity * eta * p.steps) / 2);
  },

  /** ε_α after K steps of noisy SGD with the decreasing steps η_k = 1/(2β + λk/2). */
  langevinDecreasing(alpha: number, p: LangevinParams, beta: number): number {
    checkLangevin('langevinDecreasing', p);
    check('langevinDecreasing', 'beta', beta, beta > 0 && Number.isFinite(beta), 'a positive finite number');
    const limit = (4 * alpha * p.lipschitz ** 2) / (p.strongConvexity * p.sigma ** 2 * p.n ** 2);
    if (p.steps === Infinity) return limit;
    const lk = p.strongConvexity * p.steps;
    return (limit * lk) / (4 * beta + lk);
  },

  /** ε_α of `releases` Gaussian mechanisms, each of ℓ2-sensitivity Δ with noise std s (composition adds). */
  gaussian(alpha: number, sensitivity: number, std: number, releases = 1): number {
    check('gaussian', 'sensitivity', sensitivity, sensitivity >= 0 && Number.isFinite(sensitivity), 'a finite number ≥ 0');
    check('gaussian', 'std', std, std >= 0, 'a number ≥ 0');
    check('gaussian', 'releases', releases, releases >= 0, 'a number ≥ 0');
    if (releases === 0 || sensitivity === 0) return 0;
    if (std === 0) return Infinity;
    return (releases * alpha * sensitivity ** 2) / (2 * std ** 2);
  },

  /**
   * The (ε, δ)-DP guarantee of an RDP curve: ε = min over the orders of ε_α + log(1/δ)/(α − 1) (Mironov 2017,
   * Prop. 3). A curve that is 0 everywhere gives ε = 0; a non-finite curve gives ε = Infinity.
   */
  toDp(curve: RdpCurve, delta: number, alphas: readonly number[] = DEFAULT_ALPHAS): DpGuarantee {
    check('toDp', 'delta', delta, delta > 0 && delta < 1, 'in (0, 1)');
    if (alphas.length === 0) throw new RangeError('rdpAccountant.toDp: alphas must not be empty');
    const logInvDelta = -Math.log(delta);
    let best: DpGuarantee = { epsilon: Infinity, alpha: NaN };
    for (const alpha of alphas) {
      if (!(alpha > 1)) throw new RangeError(`rdpAccountant.toDp: every order must be > 1, received ${alpha}`);
      const e = curve(alpha);
      if (e === 0) return { epsilon: 0, alpha: Infinity };
      const eps = e + logInvDelta / (alpha - 1);
      if (eps < best.epsilon) best = { epsilon: eps, alpha };
    }
    return best;
  },

  /**
   * The slope c of the linear curve ε_α = c·α whose (ε, δ) conversion by {@link rdpAccountant.toDp} (same orders)
   * equals `epsilon`, by bisection on log c (to 1e-12 relative). Calibrates noise to a target budget: e.g. the
   * Gaussian noise std s for r releases of sensitivity Δ is Δ·√(r/(2c)).
   */
  calibrate(epsilon: number, delta: number, alphas: readonly number[] = DEFAULT_ALPHAS): number {
    check('calibrate', 'epsilon', epsilon, epsilon > 0 && Number.isFinite(epsilon), 'a positive finite number');
    const eps = (c: number) => rdpAccountant.toDp((a) => c * a, delta, alphas).epsilon;
    const floor = -Math.log(delta) / (Math.max(...alphas) - 1);
    if (!(epsilon > floor)) {
      throw new RangeError(`rdpAccountant.calibrate: epsilon must exceed log(1/δ)/(α_max − 1) = ${floor} for these orders, received ${epsilon}`);
    }
    // the conversion increases with c from `floor` (c → 0) and exceeds c: the bracket below exists
    let hi = epsilon;
    let lo = epsilon;
    while (eps(lo) > epsilon) lo /= 4;
    while (eps(hi) < epsilon) hi *= 4;
    for (let i = 0; i < 200 && hi / lo > 1 + 1e-12; i++) {
      const mid = Math.sqrt(lo * hi);
      if (eps(mid) > epsilon) hi = mid;
      else lo = mid;
    }
    return lo;
  },
};
