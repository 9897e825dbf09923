import type { CertificateVerification, ControlSystem, LpSolver, Policy } from '@bilevel/control';
import { FeaturePolicy, verifyLyapunovDsos } from '@bilevel/control';
import type { StopSignal } from '@bilevel/verify';
import { isStopError } from '@bilevel/verify';
import { sampledVerifierStage, soundVerifierStage } from './control-pipeline';
import type { VerifierStage } from './control-pipeline';

/**
 * The verifier of `train` and `verify`, in one place: first the sampled check of libs/control (`samples` states per
 * condition with the float64 dynamics, parameters drawn from their box: cheap, and it finds most counterexamples),
 * then, when that passes, the sound verifier (branch and bound in float64 with outward rounding over the composed
 * graph policy → dynamics → certificate). The verdict is the sound one: `verified` is a proof, `unknown` is not
 * certified. Both check the conditions with the system's terms (`system.terms`: λ_B, ε, r₀), whatever a certificate
 * file states. Systems the sound verifier cannot express (cart-pole: rational dynamics) keep the sampled verdict,
 * 'passed', which never counts as certified by `verify`. `options.signal` stops both checks part-way (an
 * `AbortError`); `options.onSound` is called when the sound verifier starts (the long part: a log line).
 * A Lyapunov system stated on a ball (`stateSpace` 'ball': attitude control, 6-D, where branch and bound leaves the
 * boxes next to the origin open) is proved by verifyLyapunovDsos instead when `options.lp` (HiGHS) is given:
 * positivity, the sublevel set between X₀ and the ball, and the decrease on the ball by the verifier's own
 * multipliers; a condition it cannot prove is 'unknown' (not certified), never a counterexample.
 */
export function appVerifier(
  system: ControlSystem,
  policy: Policy,
  samples: number,
  seed: number,
  options: { readonly signal?: StopSignal; readonly onSound?: () => void; readonly lp?: Pick<LpSolver, 'solve'> } = {},
): VerifierStage {
  const signal = options.signal ? { signal: options.signal } : {};
  const sampled = sampledVerifierStage(system, policy, { samples, seed, ...signal });
  const lp = options.lp;
  const sound: VerifierStage =
    lp && system.stateSpace === 'ball' && system.certificate === 'lyapunov' && policy instanceof FeaturePolicy
      ? dsosVerifierStage(system, policy, lp)
      : soundVerifierStage(system, policy, { seed, ...signal });
  return (theta, certificate) => {
    const first = sampled(theta, certificate);
    if (first.status !== 'passed') return first;
    let proof;
    try {
      options.onSound?.();
      proof = sound(theta, certificate);
    } catch (err) {
      if (isStopError(err)) throw err;
      return { ...first, method: `sampled (no sound verifier: ${(err as Error).message})` };
    }
    return { ...proof, method: `sound (after ${first.samples ?? 0} sampled states per condition)`, conditions: first.conditions, samples: first.samples };
  };
}

/** verifyLyapunovDsos as a verifier stage, its answer in the sound verifier's shape (no boxes: 0). */
function dsosVerifierStage(system: ControlSystem, policy: FeaturePolicy, lp: Pick<LpSolver, 'solve'>): VerifierStage {
  return (theta, certificate) => {
    if (certificate.certificate === null) return { status: 'unknown', method: 'sound', counterexample: null, violated: null };
    const r = verifyLyapunovDsos(system, policy, theta, certificate.certificate, lp);
    const sound: CertificateVerification = {
      verified: r.verified,
      status: r.verified ? 'verified' : 'unknown',
      kind: 'lyapunov',
      model: 'exact polynomial closed loop; DSOS multipliers and Gershgorin bounds with outward rounding',
      conditions: r.conditions.map((c) => ({
        name: c.name,
        statement: c.statement,
        region: c.name === 'positive' ? 'all x' : `‖x‖ ≤ ${system.domainBall!.radius}`,
        status: c.status === 'verified' ? 'verified' : 'unknown',
        boxes: 0,
        boxesVerified: 0,
        boxesInfeasible: 0,
        boxesUnresolved: 0,
        seconds: r.seconds,
        counterexample: null,
      })),
      seconds: r.seconds,
    };
    const failed = r.conditions.find((c) => c.status !== 'verified') ?? null;
    return { status: sound.status, method: 'sound', counterexample: null, violated: failed?.name ?? null, boxes: { verified: 0, falsified: 0, unknown: 0 }, sound };
  };
}
