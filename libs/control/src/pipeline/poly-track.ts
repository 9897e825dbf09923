import type { StopSignal } from '@bilevel/verify';
import type { ControlSystem } from '../systems/control-system';
import type { FeaturePolicy } from '../policy';
import type { CertificateLp } from '../certificate-lp';
import type { JointTrainingOptions } from '../joint-training';
import type { CertificateStage, PipelineStages, PolicyState, VerifierStage } from './pipeline-stages';
import { jointPolicyStage } from './joint-policy-stage';
import { lpCertificateStage } from './lp-certificate-stage';
import { sampledVerifierStage } from './sampled-verifier-stage';

/** Options of {@link polyTrack}. */
export interface PolyTrackOptions {
  /** Starting θ. Default: zeros. */
  readonly theta0?: Float64Array;
  /** Options of the jointTraining upper level; mode 'svg' gives the value-gradient baseline (no LP). */
  readonly training?: JointTrainingOptions;
  /** Replaces the default verifier (sampled, 100,000 states per condition, the system's λ_B, ε, r₀). */
  readonly verifier?: VerifierStage;
  /** Replaces the default certificate stage (the Handelman LP). */
  readonly certificate?: CertificateStage;
  /** Samples per condition of the default verifier. Default 100,000. */
  readonly samples?: number;
  /** Seed of the default verifier's sampler. Default 0. */
  readonly verifierSeed?: number;
  /**
   * Stop request read inside the default certificate stage (between the LP's blocks) and the default verifier
   * (every 1,024 samples); give it to runTrainingPipeline too, and to a verifier of your own.
   */
  readonly signal?: StopSignal;
}

/** A ready pipeline: its stages and version 0 of the policy. */
export interface PolyTrack {
  readonly stages: PipelineStages;
  readonly init: PolicyState;
}

/** The certificate stage of a run without certificate (the SVG baseline): always null. */
export const noCertificateStage: CertificateStage = () => null;

/**
 * The polynomial track of Wang, Zhan, Wang, Huang, Wang, Yang, Zhu (ICCPS 2023) as pipeline stages: the policy
 * stage is one jointTraining step, the certificate stage the Handelman LP (`lp`, for the same system and policy),
 * the verifier a sampled check with the system's λ_B, ε and r₀ (the LP's too); each can be replaced through the options.
 * With `training.mode = 'svg'` the certificate stage is {@link noCertificateStage} and `lp` may be null.
 *
 * @example
 * const lp = new CertificateLp(PJ, policy, highs);
 * const { stages, init } = polyTrack(PJ, policy, lp, { theta0: Float64Array.of(0, -2, -2) });
 * const result = await runTrainingPipeline(stages, init, { maxIter: 100 });
 */
export function polyTrack(system: ControlSystem, policy: FeaturePolicy, lp: CertificateLp | null, options: PolyTrackOptions = {}): PolyTrack {
  const fn = 'polyTrack';
  const svg = options.training?.mode === 'svg';
  if (!svg && lp === null && options.certificate === undefined) throw new RangeError(`${fn}: lp must be a CertificateLp in joint mode, received null`);
  const theta0 = options.theta0 ?? new Float64Array(policy.nTheta);
  if (theta0.length !== policy.nTheta) throw new RangeError(`${fn}: options.theta0 must have length ${policy.nTheta}, received ${theta0.length}`);
  const stage = jointPolicyStage(system, policy, options.training);
  const signal = options.signal ? { signal: options.signal } : {};
  const certificate = options.certificate ?? (svg ? noCertificateStage : lpCertificateStage(lp!, { margin: options.training?.margin, ...signal }));
  const verifier = options.verifier ?? sampledVerifierStage(system, policy, { samples: options.samples, seed: options.verifierSeed, ...signal });
  return { stages: { policy: stage.step, certificate, verifier }, init: stage.init(theta0) };
}
