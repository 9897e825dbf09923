import { Rng } from '@bilevel/linalg';
import type { BarrierVerdict, ConditionReport, ControlSystem, Policy } from '@bilevel/control';
import { barrierConditions, neuralBarrierTerms, sampleBall, successors, verifyBarrier } from '@bilevel/control';
import type { NeuralCertificate } from './neural-certificate-file';
import { NEURAL_VERIFICATION, neuralDynamicsGraph } from './neural-setup';

/**
 * Float rounding allowed by the sampled check: the sound verifier proves the conditions for the real-number
 * network, and one float64 evaluation of a small tanh network can be off by a few ulps of its inputs' scale.
 */
export const SAMPLED_TOLERANCE = 1e-9;

/**
 * The four barrier conditions of a neural certificate on sampled states with the float64 dynamics (a test, not a
 * proof), with the system's terms (terms.neural: D, a, ε): `samples` states uniformly in X₀ (margin −B), in Xᵤ (margin B − ε), and `samples` pairs (x, α) uniformly
 * in D × A, where for those with B(x) ≤ 0 decrease has margin (1 − a) B(x) − B(x⁺) and stay margin
 * min_i min(hi_i − x⁺_i, x⁺_i − lo_i). A margin below −SAMPLED_TOLERANCE is a violation; the worst point of a
 * violated condition is its counterexample ((x, α) for decrease and stay).
 */
export function sampledBarrierCheck(system: ControlSystem, policy: Policy, theta: Float64Array, cert: NeuralCertificate, samples: number, seed: number): ConditionReport[] {
  const { barrier, psi } = cert;
  const { domain, decay, unsafeMargin } = neuralBarrierTerms(system, 'sampledBarrierCheck');
  const rng = Rng.fromSeed(seed);
  const report = (name: string, points: readonly Float64Array[], margin: (p: Float64Array, n: number) => number | null): ConditionReport => {
    let violations = 0;
    let worst = Infinity;
    let cex: Float64Array | null = null;
    points.forEach((p, n) => {
      const m = margin(p, n);
      if (m === null) return;
      if (!(m >= -SAMPLED_TOLERANCE)) violations++;
      if (!(m >= worst)) {
        worst = m;
        if (!(m >= -SAMPLED_TOLERANCE)) cex = Float64Array.from(p);
      }
    });
    return { name, samples: points.length, violations, worstMargin: worst, counterexample: cex };
  };
  const unsafe = system.unsafe!;
  const initial = report('initial', sampleBall(system.initial.centre, system.initial.radius, samples, rng), (x) => -barrier.forward(psi, x));
  const unsafeReport = report('unsafe', sampleBall(unsafe.centre, unsafe.radius, samples, rng), (x) => barrier.forward(psi, x) - unsafeMargin);
  const pts = Array.from({ length: samples }, () =>
    Float64Array.from([...domain.lo.map((l, i) => l + rng.float() * (domain.hi[i] - l)), ...system.params.map((a) => a.lo + rng.float() * (a.hi - a.lo))]),
  );
  const next = successors(system, policy, theta, pts, false).next;
  const bx = pts.map((p) => barrier.forward(psi, p.subarray(0, system.nx)));
  const decrease = report('decrease', pts, (_, n) => (bx[n] > 0 ? null : (1 - decay) * bx[n] - barrier.forward(psi, next[n])));
  const stay = report('stay', pts, (_, n) => (bx[n] > 0 ? null : Math.min(...Array.from(next[n], (v, i) => Math.min(domain.hi[i] - v, v - domain.lo[i])))));
  return [initial, unsafeReport, decrease, stay];
}

/**
 * The sound check: verifyBarrier (branch and bound, outward rounding) on barrierConditions with the system's terms
 * (terms.neural: D, a, ε) and the verifier's own budget ({@link NEURAL_VERIFICATION}); nothing comes from the file.
 */
export function soundBarrierCheck(system: ControlSystem, policy: Policy, theta: Float64Array, cert: NeuralCertificate, seed: number): BarrierVerdict {
  const conds = barrierConditions(system, policy, theta, cert.barrier, cert.psi, { dynamicsGraph: neuralDynamicsGraph(system) });
  return verifyBarrier(conds, { ...NEURAL_VERIFICATION, seed });
}

/** A branch-and-bound verdict as plain JSON: totals and, per condition, the status and box counts. */
export function barrierVerdictSummary(v: BarrierVerdict) {
  return {
    certified: v.certified,
    boxes: v.boxes,
    seconds: v.seconds,
    conditions: v.conditions.map((c) => ({
      name: c.name,
      status: c.result.status,
      boxesProcessed: c.result.stats.boxesProcessed,
      boxesVerified: c.result.stats.boxesVerified,
      boxesInfeasible: c.result.stats.boxesInfeasible,
      boxesUnresolved: c.result.status === 'unknown' ? c.result.unresolvedBoxes.length : 0,
      maxDepth: c.result.stats.maxDepth,
      seconds: c.result.stats.seconds,
      counterexample: c.result.status === 'falsified' ? Array.from(c.result.counterexample) : null,
    })),
  };
}

/** The sampled reports as plain JSON. */
export function sampledSummary(reports: readonly ConditionReport[]) {
  return reports.map((c) => ({ name: c.name, samples: c.samples, violations: c.violations, worstMargin: c.worstMargin, counterexample: c.counterexample ? Array.from(c.counterexample) : null }));
}

/** The verdict of a (policy, neural certificate) pair: sampled first, then, when no sample violates, the proof. */
export interface NeuralCheck {
  /** 'verified': proved by branch and bound; 'falsified': a sample or the verifier found a violation; 'unknown': budget ran out. */
  readonly status: 'verified' | 'falsified' | 'unknown';
  readonly method: string;
  readonly violated: string | null;
  readonly counterexample: Float64Array | null;
  readonly sampled: readonly ConditionReport[];
  /** null when the sampled check already found a violation. */
  readonly sound: BarrierVerdict | null;
}

/** Sampled check (`samples` per condition), then verifyBarrier; `verified` only when every condition is proved. */
export function checkNeuralCertificate(system: ControlSystem, policy: Policy, theta: Float64Array, cert: NeuralCertificate, samples: number, seed: number): NeuralCheck {
  const sampled = sampledBarrierCheck(system, policy, theta, cert, samples, seed);
  const bad = sampled.find((r) => r.violations > 0);
  if (bad) return { status: 'falsified', method: 'sampled', violated: bad.name, counterexample: bad.counterexample, sampled, sound: null };
  const sound = soundBarrierCheck(system, policy, theta, cert, seed);
  const last = sound.conditions[sound.conditions.length - 1];
  const method = `sound (verifyBarrier, after ${samples} sampled states per condition)`;
  if (sound.certified) return { status: 'verified', method, violated: null, counterexample: null, sampled, sound };
  const r = last.result;
  return { status: r.status === 'falsified' ? 'falsified' : 'unknown', method, violated: last.name, counterexample: r.status === 'falsified' ? r.counterexample : null, sampled, sound };
}
