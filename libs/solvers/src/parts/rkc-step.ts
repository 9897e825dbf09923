import type { StepRule } from './step-rule';

/** Options of {@link rkcStep}, with their defaults. Give exactly one of `step` and `schedule`. */
export interface RkcStepOptions {
  /** s ≥ 1, the number of stages (direction evaluations per step); s = 1 is plain SGD. Default 5. */
  readonly stages?: number;
  /** η ≥ 0, the damping of the Chebyshev polynomial. Default 0.05 (the usual RKC damping). */
  readonly damping?: number;
  /** Constant step h of the gradient flow. */
  readonly step?: number;
  /** Decreasing step h_t = a / (t + b) (the paper's schedule for convergence in expectation), t the stream's step. */
  readonly schedule?: { readonly a: number; readonly b: number };
}

const KEYS = ['stages', 'damping', 'step', 'schedule'];

interface RkcStepState {
  /** Three rotating stage buffers and the stage direction. */
  readonly k: [Float64Array, Float64Array, Float64Array];
  readonly g: Float64Array;
  h: number;
}

/** Chebyshev polynomials of the first kind at x: T_0(x)…T_s(x), and T_s'(x) = s·U_{s−1}(x). */
function chebyshev(s: number, x: number): { T: Float64Array; dTs: number } {
  const T = new Float64Array(s + 1);
  T[0] = 1;
  T[1] = x;
  for (let j = 2; j <= s; j++) T[j] = 2 * x * T[j - 1] - T[j - 2];
  let u0 = 1;
  let u1 = 2 * x;
  for (let j = 2; j <= s - 1; j++) [u0, u1] = [u1, 2 * x * u1 - u0];
  const U = s === 1 ? u0 : u1;
  return { T, dTs: s * U };
}

/**
 * A stochastic Runge–Kutta–Chebyshev step (SRKCD: Stillfjord & Williamson, "SRKCD: a stabilized Runge–Kutta method
 * for stochastic optimization", J. Comput. Appl. Math. 2023, arXiv 2201.12782): one step of an s-stage,
 * first-order, damped RKC scheme on the flow w' = −d(w) of the stream's direction. With ω₀ = 1 + η/s²,
 * ω₁ = T_s(ω₀)/T_s'(ω₀) and μ_j = 2ω₀T_{j−1}/T_j, ν_j = −T_{j−2}/T_j, κ_j = 2ω₁T_{j−1}/T_j (T_j at ω₀):
 *   K₀ = w,   K₁ = K₀ − (ω₁/ω₀) h d(K₀),
 *   K_j = μ_j K_{j−1} + ν_j K_{j−2} − κ_j h d_j(K_{j−1})     (j = 2…s),     w ← K_s
 * where d(K₀) is the estimator's direction of this step and each later stage draws fresh samples (`estimateAt`),
 * so a step costs s direction evaluations. On d(w) = λw the step multiplies w by R(−hλ), R(z) = T_s(ω₀+ω₁z)/T_s(ω₀),
 * and |R| ≤ 1 on [−ℓ_s, 0] with ℓ_s = (1+ω₀)/ω₁ ≈ (2 − 4η/3)s²: stable for hL ≤ ℓ_s, against hL ≤ 2 for SGD.
 * Compare methods at equal budgets: s evaluations per step. With a stateful estimator (SAGA, SARAH, STORM) every
 * stage is one more estimator step (memories and recursions advance through the stages); SGD is the natural pair.
 * Diagnostics: `step` (h_t), `stages`, `stabilityBound` (ℓ_s).
 *
 * @example composePart('inner', { estimator: sgdEstimator(), step: rkcStep({ stages: 5, step: 0.3 }), batchSize: 64 })
 */
export function rkcStep(options: RkcStepOptions = {}): StepRule<RkcStepState> {
  const fn = 'rkcStep';
  for (const key of Object.keys(options)) {
    if (!KEYS.includes(key)) throw new RangeError(`${fn}: unknown option "${key}"; expected one of ${KEYS.join(', ')}`);
  }
  const s = options.stages ?? 5;
  if (typeof s !== 'number' || !Number.isInteger(s) || s < 1) throw new RangeError(`${fn}: stages must be a positive integer, received ${String(s)}`);
  const eta = options.damping ?? 0.05;
  if (typeof eta !== 'number' || !(eta >= 0) || !Number.isFinite(eta)) throw new RangeError(`${fn}: damping must be a finite number ≥ 0, received ${String(eta)}`);
  const { step, schedule } = options;
  if ((step === undefined) === (schedule === undefined)) {
    throw new RangeError(`${fn}: give exactly one of step (a constant h) and schedule ({ a, b }: h_t = a/(t+b)), received ${step === undefined ? 'neither' : 'both'}`);
  }
  if (step !== undefined && (typeof step !== 'number' || !(step > 0) || !Number.isFinite(step))) {
    throw new RangeError(`${fn}: step must be a positive finite number, received ${String(step)}`);
  }
  if (schedule !== undefined) {
    const { a, b } = schedule;
    if (typeof a !== 'number' || !(a > 0) || !Number.isFinite(a)) throw new RangeError(`${fn}: schedule.a must be a positive finite number, received ${String(a)}`);
    if (typeof b !== 'number' || !(b > 0) || !Number.isFinite(b)) throw new RangeError(`${fn}: schedule.b must be a positive finite number, received ${String(b)}`);
  }
  const hAt = (t: number) => (schedule ? schedule.a / (t + schedule.b) : (step as number));

  const w0 = 1 + eta / (s * s);
  const { T, dTs } = chebyshev(s, w0);
  const w1 = T[s] / dTs;
  const mu = new Float64Array(s + 1);
  const nu = new Float64Array(s + 1);
  const kappa = new Float64Array(s + 1);
  for (let j = 2; j <= s; j++) {
    mu[j] = (2 * w0 * T[j - 1]) / T[j];
    nu[j] = -T[j - 2] / T[j];
    kappa[j] = (2 * w1 * T[j - 1]) / T[j];
  }
  const first = w1 / w0;
  const stabilityBound = (1 + w0) / w1;

  return {
    name: 'rkc',
    stepSize: { kind: 'other', rule: 'rkc' },
    init: (dim) => ({ k: [new Float64Array(dim), new Float64Array(dim), new Float64Array(dim)], g: new Float64Array(dim), h: hAt(0) }),
    apply(st, ctx, out) {
      const h = hAt(ctx.t);
      st.h = h;
      const n = out.length;
      const { own, d } = ctx;
      if (s === 1) {
        for (let i = 0; i < n; i++) out[i] = own[i] - h * d[i];
        return;
      }
      // K_j lives in k[(j − 1) mod 3] (the last stage in out); K₀ = own is read in place
      let km2: Float64Array = own;
      let km1 = st.k[0];
      for (let i = 0; i < n; i++) km1[i] = own[i] - first * h * d[i];
      for (let j = 2; j <= s; j++) {
        const kj = j === s ? out : st.k[(j - 1) % 3];
        ctx.estimateAt(km1, st.g);
        const m = mu[j];
        const v = nu[j];
        const c = kappa[j] * h;
        for (let i = 0; i < n; i++) kj[i] = m * km1[i] + v * km2[i] - c * st.g[i];
        km2 = km1;
        km1 = kj;
      }
    },
    diagnostics: (st) => ({ step: st.h, stages: s, stabilityBound }),
  };
}
