import { Rng } from '@bilevel/linalg';
import type { ControlSystem } from '../systems/control-system';
import type { Policy } from '../policy';
import type { SampledCheckOptions } from '../certificate-check';
import { sampledCertificateCheck } from '../certificate-check';
import type { VerifierStage } from './pipeline-stages';

/** Options of {@link sampledVerifierStage}: those of sampledCertificateCheck, and its seed. */
export interface SampledVerifierStageOptions extends SampledCheckOptions {
  /** Seed of the sampler; every call draws the same states. Default 0. */
  readonly seed?: number;
}

/**
 * A verifier stage that tests the certificate's conditions on sampled states with the float64 dynamics
 * ({@link sampledCertificateCheck}: 100,000 states per condition by default, parameters drawn from their box):
 * 'passed' when no sample violates a condition (a test, not a proof), else 'falsified' with the worst violating
 * state as counterexample. The sound verifier replaces it by swapping the stage.
 *
 * @example
 * const verifier = sampledVerifierStage(PJ, policy, { samples: 20_000 }); // PJ.terms: λ_B, ε, r₀
 */
export function sampledVerifierStage(system: ControlSystem, policy: Policy, options: SampledVerifierStageOptions = {}): VerifierStage {
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`sampledVerifierStage: options.seed must be a safe integer, received ${seed}`);
  return (theta, certificate) => {
    if (certificate.certificate === null) {
      return { status: 'unknown', method: 'sampled', counterexample: null, violated: null, conditions: [], samples: 0 };
    }
    const conditions = sampledCertificateCheck(system, policy, theta, certificate.certificate, Rng.fromSeed(seed), options);
    let worst = conditions.find((c) => c.violations > 0) ?? null;
    for (const c of conditions) if (c.violations > 0 && worst !== null && c.worstMargin < worst.worstMargin) worst = c;
    return {
      status: worst === null ? 'passed' : 'falsified',
      method: 'sampled',
      counterexample: worst?.counterexample ?? null,
      violated: worst?.name ?? null,
      conditions,
      samples: conditions[0]?.samples ?? 0,
    };
  };
}
