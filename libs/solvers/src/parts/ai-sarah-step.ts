import type { StepRule } from './step-rule';

/** Options of {@link aiSarahStep}, with their defaults. */
export interface AiSarahStepOptions {
  /** β ∈ [0, 1), weight of the past in the harmonic running mean δ of 1/α'. Default 0.999 (the authors' notebook). */
  readonly beta?: number;
  /**
   * Relative size of the finite-difference probes: the probes sit at w ± εd with ε‖d‖ = fdStep·max(1, ‖w‖).
   * Default 1e-5 (≈ the cube root of the float64 epsilon, the usual choice for central differences).
   */
  readonly fdStep?: number;
}

/** Differences of the probes below this fraction of their norms are rounding noise (64 float64 ulps). */
const NOISE = 64 * Number.EPSILON;

interface AiSarahStepState {
  readonly wp: Float64Array;
  readonly wm: Float64Array;
  readonly rp: Float64Array;
  readonly rm: Float64Array;
  /** Running mean δ of 1/α' (NaN until the first valid α'). */
  delta: number;
  /** α of the last step, α' of the last step, α_max = 1/δ. */
  alpha: number;
  alphaNewton: number;
  alphaMax: number;
  /** Steps whose α' was unusable (no positive curvature along d on the batch). */
  flat: number;
}

/**
 * AI-SARAH's implicit, tune-free step (Shi, Sadiev, Loizou, Richtárik, Takáč, "AI-SARAH: Adaptive and implicit
 * stochastic recursive gradient methods", TMLR 2023). With d the stream's direction at w and r(α) the estimator's
 * probe at w − αd (with {@link aiSarahEstimator}: the next recursive estimate, on the next sample), the step
 * minimizes ξ(α) = ‖r(α)‖² by one Newton step from α = 0, then caps it by a harmonic running mean:
 *   α' = −ξ'(0)/|ξ''(0)| = dᵀJd / ‖Jd‖²,      J the Jacobian of the probed direction
 *   α  = min(α', α_max),   then δ ← βδ + (1−β)/α'  (δ = 1/α' on the first step),  α_max = 1/δ
 *   w ← w − α d
 * No step size to tune (β is fixed). As in the authors' code, α uses the α_max of the previous steps (∞ before the
 * first). Jd = (r(−ε) − r(ε)) / 2ε from two probes (`probeAt`), i.e. two extra direction evaluations per step. For
 * a direction linear in w (a quadratic inner stream, the linear-system stream) r is affine, the difference is exact
 * but for rounding, and α' is the exact minimizer of ξ, in [1/L_S, 1/μ_S]. ξ''(0) is taken as 2‖Jd‖², its
 * Gauss–Newton part (the authors differentiate twice with autodiff): the neglected 2dᵀ(D³f)[d, d] vanishes for
 * quadratics and is O(‖d‖³) against O(‖d‖²) as d → 0, and the Gauss–Newton part is never negative.
 * Guard (ξ'' ≈ 0): when dᵀJd ≤ 0 or the probes differ by rounding only, α' is undefined; the step then moves by
 * α_max and leaves δ unchanged, or does not move before the first usable α'.
 * Which sample fits α is the estimator's choice: {@link aiSarahEstimator} probes the next step's sample, as the
 * paper does; SGD, SARAH and STORM probe the batches that formed d. The adaptive inner-loop exit belongs to the
 * estimator too. Diagnostics: `step` (α), `alphaMax` (α_max), `alphaNewton` (α'), `flatSteps`.
 *
 * @example composePart('inner', { estimator: aiSarahEstimator(), step: aiSarahStep(), batchSize: 64 })
 */
export function aiSarahStep(options: AiSarahStepOptions = {}): StepRule<AiSarahStepState> {
  const fn = 'aiSarahStep';
  for (const key of Object.keys(options)) {
    if (key !== 'beta' && key !== 'fdStep') throw new RangeError(`${fn}: unknown option "${key}"; expected one of beta, fdStep`);
  }
  const beta = options.beta ?? 0.999;
  if (typeof beta !== 'number' || !(beta >= 0 && beta < 1)) throw new RangeError(`${fn}: beta must be a number in [0, 1), received ${String(beta)}`);
  const fdStep = options.fdStep ?? 1e-5;
  if (typeof fdStep !== 'number' || !(fdStep > 0 && fdStep < 1)) {
    throw new RangeError(`${fn}: fdStep must be a number in (0, 1), received ${String(fdStep)}`);
  }
  return {
    name: 'ai-sarah',
    stepSize: { kind: 'adaptive', rule: 'ai-sarah' },
    init: (dim) => ({
      wp: new Float64Array(dim),
      wm: new Float64Array(dim),
      rp: new Float64Array(dim),
      rm: new Float64Array(dim),
      delta: NaN,
      alpha: 0,
      alphaNewton: NaN,
      alphaMax: Infinity,
      flat: 0,
    }),
    apply(s, ctx, out) {
      const { own: w, d } = ctx;
      const n = out.length;
      let dd = 0;
      let ww = 0;
      for (let k = 0; k < n; k++) {
        dd += d[k] * d[k];
        ww += w[k] * w[k];
      }
      let alphaNewton = NaN;
      if (dd > 0 && Number.isFinite(dd)) {
        const eps = (fdStep * Math.max(1, Math.sqrt(ww))) / Math.sqrt(dd);
        for (let k = 0; k < n; k++) {
          s.wp[k] = w[k] - eps * d[k];
          s.wm[k] = w[k] + eps * d[k];
        }
        ctx.probeAt(s.wp, s.rp);
        ctx.probeAt(s.wm, s.rm);
        // Jd = (r(−ε) − r(ε)) / 2ε; α' = dᵀJd / ‖Jd‖² (the 1/2ε factors cancel but one: α' = 2ε·dᵀΔ / ‖Δ‖²)
        let dJ = 0;
        let JJ = 0;
        let rr = 0;
        for (let k = 0; k < n; k++) {
          const delta = s.rm[k] - s.rp[k];
          dJ += d[k] * delta;
          JJ += delta * delta;
          rr += s.rm[k] * s.rm[k] + s.rp[k] * s.rp[k];
        }
        // a difference at the rounding level of the probes carries no curvature: treat as ξ'' ≈ 0
        if (JJ > NOISE * NOISE * rr) alphaNewton = (2 * eps * dJ) / JJ;
      }
      s.alphaNewton = alphaNewton;
      if (alphaNewton > 0 && Number.isFinite(alphaNewton)) {
        s.alpha = Math.min(alphaNewton, s.alphaMax);
        s.delta = Number.isNaN(s.delta) ? 1 / alphaNewton : beta * s.delta + (1 - beta) / alphaNewton;
        s.alphaMax = 1 / s.delta;
      } else {
        s.flat++;
        s.alpha = Number.isFinite(s.alphaMax) ? s.alphaMax : 0;
      }
      const a = s.alpha;
      for (let k = 0; k < n; k++) out[k] = w[k] - a * d[k];
    },
    diagnostics: (s) => ({ step: s.alpha, alphaMax: s.alphaMax, alphaNewton: s.alphaNewton, flatSteps: s.flat }),
  };
}
