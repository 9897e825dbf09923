import type { Rng } from '@bilevel/linalg';
import type { Polynomial } from './polynomial';
import type { Policy } from './policy';
import type { ControlSystem } from './systems/control-system';
import { sampleBall } from './rollout';
import { checkedTerms } from './systems/certificate-terms';
import type { StopSignal } from '@bilevel/verify';
import { throwIfStopped } from '@bilevel/verify';

/** Options of {@link sampledCertificateCheck}. */
export interface SampledCheckOptions {
  /** Samples per condition. Default 100,000. */
  readonly samples?: number;
  /** Slack allowed for float rounding in each test. Default 1e-9. */
  readonly tolerance?: number;
  /** Read every `STOP_CHECK_SAMPLES` samples; once aborted the check throws an `AbortError`. */
  readonly signal?: StopSignal;
}

/** Samples tested between two reads of the stop signal. */
export const STOP_CHECK_SAMPLES = 1024;

/** Per condition: samples drawn, violations, and the worst margin (≥ 0 means satisfied everywhere sampled). */
export interface ConditionReport {
  readonly name: string;
  readonly samples: number;
  readonly violations: number;
  readonly worstMargin: number;
  /** A violating state (the worst one), or null. */
  readonly counterexample: Float64Array | null;
}

/**
 * Checks a polynomial certificate on sampled states with the float64 dynamics (the true sine for the pendulum),
 * independently of the LP that produced it: a test, not a proof.
 *
 *   barrier:   B ≤ 0 on the initial ball, B > 0 on the unsafe ball, ∇B·f(x, π(x); α) ≤ λ_B B on the domain box;
 *   Lyapunov:  V ≥ ε‖x‖² and ∇V·f(x, π(x); α) ≤ −ε‖x‖² on the domain box outside (−r₀, r₀)ⁿ (the decrease
 *              inside the domain ball too when `stateSpace` is 'ball'),
 *
 * with x uniform in the set and α uniform in the parameter box; for a discrete system ∇B·f is replaced by the
 * difference quotient (B(x⁺) − B(x))/Δt, matching the LP's discrete condition. λ_B, ε and r₀ are the system's terms
 * (`sys.terms`, checked by checkedTerms), never a caller's.
 */
export function sampledCertificateCheck(
  sys: ControlSystem,
  policy: Policy,
  theta: Float64Array,
  certificate: Polynomial,
  rng: Rng,
  options: SampledCheckOptions = {},
): ConditionReport[] {
  const n = options.samples ?? 100_000;
  const { lambdaB, epsilon: eps, innerRadius: r0 } = checkedTerms(sys);
  const tol = options.tolerance ?? 1e-9;
  const signal = options.signal;
  let sinceCheck = 0;
  /** Reads the stop signal once every STOP_CHECK_SAMPLES calls. */
  const tick = (): void => {
    if (++sinceCheck < STOP_CHECK_SAMPLES) return;
    sinceCheck = 0;
    throwIfStopped(signal);
  };
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`sampledCertificateCheck: options.samples must be an integer ≥ 1, received ${n}`);
  if (certificate.nvars !== sys.nx) {
    throw new RangeError(`sampledCertificateCheck: certificate must have ${sys.nx} variables, received ${certificate.nvars}`);
  }
  const grad = certificate.gradient();
  const { nx, nu } = sys;
  const u = new Float64Array(nu);
  const f = new Float64Array(nx);
  const alpha = new Float64Array(sys.params.length);
  const report = (name: string, points: Float64Array[], margin: (x: Float64Array) => number): ConditionReport => {
    let violations = 0;
    let worst = Infinity;
    let cex: Float64Array | null = null;
    for (const x of points) {
      tick();
      const m = margin(x);
      if (!(m >= -tol)) violations++;
      if (!(m >= worst)) {
        worst = m;
        if (!(m >= -tol)) cex = x;
      }
    }
    return { name, samples: points.length, violations, worstMargin: worst, counterexample: cex };
  };
  const boxPoints = (keep: (x: Float64Array) => boolean): Float64Array[] => {
    const out: Float64Array[] = [];
    while (out.length < n) {
      const x = Float64Array.from(sys.domain.lo, (lo, i) => lo + (sys.domain.hi[i] - lo) * rng.float());
      if (keep(x)) out.push(x);
    }
    return out;
  };
  const xNext = new Float64Array(nx);
  const lie = (x: Float64Array): number => {
    sys.params.forEach((p, k) => (alpha[k] = p.lo + (p.hi - p.lo) * rng.float()));
    policy.act(theta, x, u);
    sys.dynamics(x, u, alpha, f);
    if (sys.discrete) {
      for (let i = 0; i < nx; i++) xNext[i] = x[i] + sys.dt * f[i];
      return (certificate.evaluate(xNext) - certificate.evaluate(x)) / sys.dt; // ≤ λ_B B(x) ⟺ B(x⁺) ≤ (1 + Δt λ_B) B(x)
    }
    let s = 0;
    for (let i = 0; i < nx; i++) s += grad[i].evaluate(x) * f[i];
    return s;
  };
  const sq = (x: Float64Array): number => x.reduce((a, v) => a + v * v, 0);
  if (sys.certificate === 'barrier') {
    if (sys.unsafe === null) throw new RangeError(`sampledCertificateCheck: barrier system '${sys.name}' has no unsafe set`);
    return [
      report('initial', sampleBall(sys.initial.centre, sys.initial.radius, n, rng), (x) => -certificate.evaluate(x)),
      report('unsafe', sampleBall(sys.unsafe.centre, sys.unsafe.radius, n, rng), (x) => (certificate.evaluate(x) > 0 ? certificate.evaluate(x) : -1)),
      report('derivative', boxPoints(() => true), (x) => lambdaB * certificate.evaluate(x) - lie(x)),
    ];
  }
  const outside = (x: Float64Array): boolean => x.some((v) => Math.abs(v) >= r0);
  // the decrease where the system states it: the domain ball (stateSpace 'ball', e.g. attitude control) or the box
  const ball = sys.stateSpace === 'ball' ? (sys.domainBall ?? null) : null;
  const inSpace = (x: Float64Array): boolean => outside(x) && (ball === null || x.reduce((a, v, i) => a + (v - ball.centre[i]) ** 2, 0) <= ball.radius * ball.radius);
  return [
    report('positive', boxPoints(outside), (x) => certificate.evaluate(x) - eps * sq(x)),
    report('decrease', boxPoints(inSpace), (x) => -lie(x) - eps * sq(x)),
  ];
}
