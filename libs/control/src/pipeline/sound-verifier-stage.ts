import type { Policy } from '../policy';
import type { ControlSystem } from '../systems/control-system';
import type { VerifyCertificateOptions } from '../verification/verify-certificate';
import { verifyCertificate } from '../verification/verify-certificate';
import type { VerifierStage } from './pipeline-stages';

/** Options of {@link soundVerifierStage}: those of verifyCertificate, with larger default budgets. */
export type SoundVerifierStageOptions = VerifyCertificateOptions;

/** Default budget per condition: lane keeping's discrete condition on [−3, 3]⁴ needs about 26,000 boxes. */
export const SOUND_VERIFIER_MAX_BOXES = 200_000;
/** Default time budget per condition, in seconds; a condition not proved within it is `unknown`. */
export const SOUND_VERIFIER_MAX_SECONDS = 300;

/**
 * A verifier stage that proves the certificate's conditions by branch and bound in float64 with outward rounding
 * ({@link verifyCertificate}: policy → dynamics → certificate as one graph, uncertain parameters as box dimensions,
 * the pendulum with its true sine). 'verified' is a proof; 'falsified' carries a state where a condition fails;
 * 'unknown' means the budget ran out (the run is then not certified). Box counts: boxes closed by a bound or
 * outside the set (`verified`), conditions with a counterexample (`falsified`), boxes left open (`unknown`).
 *
 * @example
 * const verifier = soundVerifierStage(PJ, policy); // the conditions with PJ.terms
 */
export function soundVerifierStage(system: ControlSystem, policy: Policy, options: SoundVerifierStageOptions = {}): VerifierStage {
  const opts = { maxBoxes: SOUND_VERIFIER_MAX_BOXES, maxSeconds: SOUND_VERIFIER_MAX_SECONDS, ...options };
  return (theta, certificate) => {
    if (certificate.certificate === null) {
      return { status: 'unknown', method: 'sound', counterexample: null, violated: null };
    }
    const r = verifyCertificate(system, policy, theta, certificate.certificate, opts);
    const failed = r.conditions.find((c) => c.status === 'falsified') ?? r.conditions.find((c) => c.status === 'unknown') ?? null;
    return {
      status: r.status,
      method: 'sound',
      counterexample: failed?.counterexample?.state ?? null,
      violated: failed?.name ?? null,
      boxes: {
        verified: r.conditions.reduce((t, c) => t + c.boxesVerified + c.boxesInfeasible, 0),
        falsified: r.conditions.filter((c) => c.status === 'falsified').length,
        unknown: r.conditions.reduce((t, c) => t + c.boxesUnresolved, 0),
      },
      sound: r,
    };
  };
}
