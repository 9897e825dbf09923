import { requireOracles } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import { knownKeys, nonNegativeNumber, positiveInteger, positiveNumber } from './validate-options';

/** Step-size strategies of sl-BAMM (BOAT `DM.strategy`; s3 is the sl-BAMM repository's `--thelr`). */
export type SlBammStrategy = 's1' | 's2' | 's3';

/** Options of {@link slBamm}, with their defaults. */
export interface SlBammOptions {
  /** Accepted for the common interface and ignored: sl-BAMM is deterministic (full batches). */
  readonly batchSize?: number;
  /** β, step of z and base of the schedules η_k, α_k. Default 0.1 (sl-BAMM repo `--y_lr`). */
  readonly innerStep?: number;
  /** α₀ in α_k = α₀ μ_k^e (k+1)^{−3τ/2}. Default: innerStep (both codes build the x step from the lower-level lr). */
  readonly outerStep?: number;
  /** Schedule of α_k (and of the fallback η_k): μ_k exponent 3 (s3), 5 (s2) or 7 (s1). Default 's3' (repo). */
  readonly strategy?: SlBammStrategy;
  /** μ₀ in μ_k = μ₀ (k+1)^{−1/p}, in (0, 1). Default 0.9 (repo `--mu0`, BOAT config). */
  readonly mu0?: number;
  /** p in μ_k = μ₀ (k+1)^{−1/p}. Default 10 (repo `--p0`; BOAT's data-cleaning config uses 100). */
  readonly p?: number;
  /** τ in η_k = β (k+1)^{−τ/2}·μ_k^{0|1|2}, α_k ∝ (k+1)^{−3τ/2}. Default 1/40 (repo `--tau`; BOAT config 0.01). */
  readonly tau?: number;
  /** Step of v: `exact` (η = ‖r‖²/rᵀ∇²φ r, both codes) or `schedule` (η_k of the strategy). Default 'exact'. */
  readonly linsysStep?: 'exact' | 'schedule';
  /**
   * Whether the lower-level steps use the average φ_k (true) or G alone (false: the ablation that shows why the
   * averaging matters, as the repository runs without `--BDA`; μ_k still drives η_k and α_k). Default true.
   */
  readonly averaging?: boolean;
}

const KEYS = ['batchSize', 'innerStep', 'outerStep', 'strategy', 'mu0', 'p', 'tau', 'linsysStep', 'averaging'] as const;

/** μ_k exponents of η_k and α_k per strategy (BOAT dm.py). */
const EXPONENTS: Record<SlBammStrategy, { eta: number; alpha: number }> = {
  s1: { eta: 2, alpha: 7 },
  s2: { eta: 1, alpha: 5 },
  s3: { eta: 0, alpha: 3 },
};

interface Schedules {
  readonly mu: (k: number) => number;
  /** The weight of F in φ_k: μ_k, or 0 without averaging. */
  readonly weight: (k: number) => number;
  readonly eta: (k: number) => number;
  readonly alpha: (k: number) => number;
}

interface InnerState {
  readonly problem: BilevelProblem;
  readonly gf: Float64Array;
  readonly gg: Float64Array;
  mu: number;
  weight: number;
}
interface LinsysState {
  readonly problem: BilevelProblem;
  readonly r: Float64Array;
  readonly hv: Float64Array;
  readonly hr: Float64Array;
  readonly tmp: Float64Array;
  eta: number;
  exact: number;
}
interface OuterState {
  readonly problem: BilevelProblem;
  readonly fx: Float64Array;
  readonly cf: Float64Array;
  readonly cg: Float64Array;
  step: number;
}

/** out ← ∇²_zz φ·w = μ ∇²_zz F·w + (1 − μ) ∇²_zz G·w, full batches (tmp is scratch). */
function averagedHvp(p: BilevelProblem, mu: number, z: Float64Array, x: Float64Array, w: Float64Array, tmp: Float64Array, out: Float64Array): void {
  p.innerHvp(z, x, w, p.fullInner, out);
  p.outerHvp!(z, x, w, p.fullOuter, tmp);
  for (let k = 0; k < out.length; k++) out[k] = mu * tmp[k] + (1 - mu) * out[k];
}

/**
 * sl-BAMM, the single-loop Bi-level Averaged Method of Multipliers (Liu, Liu, Yao, Zeng, Zhang, "Averaged Method
 * of Multipliers for Bi-Level Optimization without Lower-Level Strong Convexity", ICML 2023), for lower levels
 * that are only convex: the lower-level steps descend the average φ_k = μ_k F + (1 − μ_k) G, whose Hessian is
 * positive definite when F is strongly convex in z, and μ_k ↓ 0 selects the lower-level minimizer best for F.
 *
 * All three updates read the same (z_k, v_k, x_k) (jacobi schedule), full batches:
 *   μ_k = μ₀ (k+1)^{−1/p}
 *   z_{k+1} = z_k − β ∇_z φ_k(z_k, x_k)
 *   r = ∇²_zz φ_k·v_k + ∇_z F,  η = ‖r‖² / (rᵀ ∇²_zz φ_k r)  (exact step; η_k if rᵀ∇²φ_k r ≤ 0),  v_{k+1} = v_k − η r
 *   x_{k+1} = x_k − α_k (∇_x F + ∇²_xz φ_k·v_k)
 * with, for strategy s3 / s2 / s1, η_k = β (k+1)^{−τ/2} μ_k^{0/1/2} and α_k = α₀ μ_k^{3/5/7} (k+1)^{−3τ/2}.
 * The HVP and the cross term use ∇²φ_k (the sl-BAMM repository keeps μ = 0.1 in its averaged loss by a
 * default-argument binding; BOAT's DM and the paper use μ_k). `averaging: false` replaces φ_k by G in the three
 * lower-level quantities (the ablation: it stalls at a minimizer the outer objective did not select). Needs the
 * optional oracles outerHvp and outerCross.
 *
 * @example run(problem, slBamm({ strategy: 's3', mu0: 0.9, p: 10 }), { maxIter: 5000 })
 */
export function slBamm(options: SlBammOptions = {}): Solver {
  const fn = 'slBamm';
  knownKeys(fn, options, KEYS);
  if (options.batchSize !== undefined) positiveInteger(fn, 'batchSize', options.batchSize);
  const beta = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const alpha0 = positiveNumber(fn, 'outerStep', options.outerStep ?? beta);
  const strategy = options.strategy ?? 's3';
  if (!Object.hasOwn(EXPONENTS, strategy)) throw new RangeError(`${fn}: strategy must be one of s1, s2, s3, received ${String(strategy)}`);
  const mu0 = options.mu0 ?? 0.9;
  if (typeof mu0 !== 'number' || !(mu0 > 0 && mu0 < 1)) throw new RangeError(`${fn}: mu0 must be a number in (0, 1), received ${String(mu0)}`);
  const p = positiveNumber(fn, 'p', options.p ?? 10);
  const tau = nonNegativeNumber(fn, 'tau', options.tau ?? 1 / 40);
  const linsysStep = options.linsysStep ?? 'exact';
  if (linsysStep !== 'exact' && linsysStep !== 'schedule') {
    throw new RangeError(`${fn}: linsysStep must be "exact" or "schedule", received ${String(linsysStep)}`);
  }
  const averaging = options.averaging ?? true;
  if (typeof averaging !== 'boolean') throw new RangeError(`${fn}: averaging must be a boolean, received ${String(averaging)}`);
  const e = EXPONENTS[strategy];
  const sched: Schedules = {
    mu: (k) => mu0 * Math.pow(k + 1, -1 / p),
    weight: (k) => (averaging ? sched.mu(k) : 0),
    eta: (k) => beta * Math.pow(k + 1, -tau / 2) * Math.pow(sched.mu(k), e.eta),
    alpha: (k) => alpha0 * Math.pow(sched.mu(k), e.alpha) * Math.pow(k + 1, -1.5 * tau),
  };
  const needed = ['outerHvp', 'outerCross'] as const;

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    init(problem) {
      requireOracles(problem, needed, fn);
      return { problem, gf: new Float64Array(problem.dimZ), gg: new Float64Array(problem.dimZ), mu: mu0, weight: averaging ? mu0 : 0 };
    },
    step(s, { z, x }, k, out) {
      const { problem, gf, gg } = s;
      s.mu = sched.mu(k);
      const mu = (s.weight = sched.weight(k));
      problem.outerGradZ(z, x, problem.fullOuter, gf);
      problem.innerGradZ(z, x, problem.fullInner, gg);
      for (let i = 0; i < out.length; i++) out[i] = z[i] - beta * (mu * gf[i] + (1 - mu) * gg[i]);
    },
    diagnostics: (s) => ({ mu: s.mu, weight: s.weight }),
  };

  const linsys: StreamPart<LinsysState> = {
    stream: 'linsys',
    init(problem) {
      requireOracles(problem, needed, fn);
      const d = problem.dimZ;
      return { problem, r: new Float64Array(d), hv: new Float64Array(d), hr: new Float64Array(d), tmp: new Float64Array(d), eta: 0, exact: 1 };
    },
    step(s, { z, v, x }, k, out) {
      const { problem, r, hv, hr, tmp } = s;
      const mu = sched.weight(k);
      averagedHvp(problem, mu, z, x, v, tmp, hv);
      problem.outerGradZ(z, x, problem.fullOuter, r);
      let rr = 0;
      for (let i = 0; i < r.length; i++) {
        r[i] += hv[i];
        rr += r[i] * r[i];
      }
      let eta = sched.eta(k);
      s.exact = 0;
      if (linsysStep === 'exact') {
        averagedHvp(problem, mu, z, x, r, tmp, hr);
        let rHr = 0;
        for (let i = 0; i < r.length; i++) rHr += r[i] * hr[i];
        // exact minimizer of ½vᵀ∇²φv + ∇_zFᵀv along −r; no curvature along r (or r = 0) falls back to η_k
        if (rHr > 0 && Number.isFinite(rr / rHr)) {
          eta = rr / rHr;
          s.exact = 1;
        }
      }
      s.eta = eta;
      for (let i = 0; i < out.length; i++) out[i] = v[i] - eta * r[i];
    },
    diagnostics: (s) => ({ eta: s.eta, exactStep: s.exact }),
  };

  const outer: StreamPart<OuterState> = {
    stream: 'outer',
    init(problem) {
      requireOracles(problem, needed, fn);
      const d = problem.dimX;
      return { problem, fx: new Float64Array(d), cf: new Float64Array(d), cg: new Float64Array(d), step: 0 };
    },
    step(s, { z, v, x }, k, out) {
      const { problem, fx, cf, cg } = s;
      const mu = sched.weight(k);
      const a = (s.step = sched.alpha(k));
      problem.outerGradX(z, x, problem.fullOuter, fx);
      problem.outerCross!(z, x, v, problem.fullOuter, cf);
      problem.innerCross(z, x, v, problem.fullInner, cg);
      for (let i = 0; i < out.length; i++) out[i] = x[i] - a * (fx[i] + mu * cf[i] + (1 - mu) * cg[i]);
    },
    diagnostics: (s) => ({ step: s.step }),
  };

  return {
    name: 'sl-bamm',
    citation: 'Liu, Liu, Yao, Zeng, Zhang. Averaged Method of Multipliers for Bi-Level Optimization without Lower-Level Strong Convexity. ICML 2023.',
    schedule: 'jacobi',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: { batchSize: 'full', innerStep: beta, outerStep: alpha0, strategy, mu0, p, tau, linsysStep, averaging },
  };
}
