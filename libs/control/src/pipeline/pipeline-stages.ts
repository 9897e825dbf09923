import type { Polynomial } from '../polynomial';
import type { CertificateSolution } from '../certificate-lp';
import type { ConditionReport } from '../certificate-check';
import type { CertificateVerification } from '../verification/verify-certificate';
import type { BarrierLossValue } from '../neural/barrier-loss';
import type { BarrierVerdict } from '../neural/verify-barrier';

/**
 * One version of the policy, as the policy stream publishes it: θ_k and what the upper-level step that produced it
 * measured (for θ_{k−1}). `inner` is the stage's own state (e.g. the λ schedule and the RNG of the batch sampler),
 * carried along so that a stage is a function of state and nothing is hidden in closures.
 */
export interface PolicyState {
  /** k: the number of upper-level steps taken. */
  readonly iteration: number;
  readonly theta: Float64Array;
  /** 'running'; 'diverged' (a rollout left float range, θ is the last finite one); 'stalled' (the stage cannot move). */
  readonly status: 'running' | 'diverged' | 'stalled';
  /** V_θ of the batch of the step that produced this version (NaN for version 0). */
  readonly value: number;
  /** The penalty weight λ the step used (NaN when the stage has none). */
  readonly lambda: number;
  /** ‖θ_k − θ_{k−1}‖ (0 for version 0). */
  readonly stepNorm: number;
  /** The stage's own state. */
  readonly inner?: unknown;
}

/** What a certificate stage computed for one θ: the lower level c*(θ) and, when it has one, the certificate. */
export interface CertificateResult {
  /** The optimal slack c*(θ) (≤ −margin: the conditions hold with room to spare). */
  readonly cStar: number;
  /** Whether the stage claims a certificate for θ (e.g. an optimal LP with c* ≤ −margin). */
  readonly found: boolean;
  /** The certificate as a polynomial in x (null when the stage produced none). */
  readonly certificate: Polynomial | null;
  /** ∂c* / ∂θ (null when the stage has no sensitivity). */
  readonly dcdtheta: Float64Array | null;
  /** The LP's full answer, for stages built on {@link CertificateSolution}. */
  readonly solution?: CertificateSolution;
  /** The neural track's lower level: the fitted barrier weights ψ, Adam's state and the training loss. */
  readonly barrier?: BarrierFit;
  /** Status of the underlying solver, e.g. HiGHS's 'Optimal'. */
  readonly status: string;
}

/** What the neural track's certificate stage fitted for θ_k (see neuralTrack). */
export interface BarrierFit {
  /** k: the version of θ the barrier was fitted for. */
  readonly iteration: number;
  readonly psi: Float64Array;
  /** Adam's moments and step count on ψ after the fit (warm start of the next one). */
  readonly adam: { readonly m: Float64Array; readonly v: Float64Array; readonly t: number };
  readonly loss: BarrierLossValue;
}

/** Box counts of a branch-and-bound verifier. */
export interface VerifierBoxes {
  readonly verified: number;
  readonly falsified: number;
  readonly unknown: number;
}

/**
 * A verifier's verdict on one (θ, certificate): 'verified' (a sound proof), 'passed' (a sampled test found no
 * violation: evidence, not a proof), 'falsified' (with a counterexample state), 'unknown' (a sound verifier ran out
 * of budget).
 */
export interface VerifierResult {
  readonly status: 'verified' | 'passed' | 'falsified' | 'unknown';
  /** e.g. 'sampled' or 'sound'. */
  readonly method: string;
  /** A state violating a condition, or null. */
  readonly counterexample: Float64Array | null;
  /** The condition the counterexample violates, or null. */
  readonly violated: string | null;
  /** Per-condition reports of a sampled check. */
  readonly conditions?: readonly ConditionReport[];
  /** Box counts of a branch-and-bound verifier. */
  readonly boxes?: VerifierBoxes;
  /** Samples drawn per condition by a sampled check. */
  readonly samples?: number;
  /** The sound verifier's full answer (per-condition statements, regions, box counts, seconds). */
  readonly sound?: CertificateVerification;
  /** The neural track's verifier: verifyBarrier's verdict (per condition, with counterexamples or open boxes). */
  readonly barrier?: BarrierVerdict;
}

/** Whether a verdict accepts the certificate ('verified' or 'passed'). */
export function acceptsCertificate(verdict: VerifierResult | null): boolean {
  return verdict !== null && (verdict.status === 'verified' || verdict.status === 'passed');
}

/**
 * The upper level: θ_{k+1} from θ_k, the certificate stream's answer for θ_k (null: no certificate track) and the
 * verifier's verdict on it (null when none ran; a counterexample-guided stage feeds it back to its training set).
 */
export type PolicyStage = (state: PolicyState, certificate: CertificateResult | null, verdict: VerifierResult | null) => PolicyState;
/**
 * The lower level: c*(θ) and a certificate for θ, or null when the run has no certificate (the SVG baseline). `state`
 * is the policy version θ came with: a lower level that warm-starts from state the policy stream carries (the neural
 * track's barrier weights and counterexample set, in `state.inner`) reads it there.
 */
export type CertificateStage = (theta: Float64Array, state: PolicyState) => CertificateResult | null;
/** Verification of a certificate the certificate stage claims for θ. */
export type VerifierStage = (theta: Float64Array, certificate: CertificateResult) => VerifierResult;

/** The three swappable stages of a training pipeline. */
export interface PipelineStages {
  readonly policy: PolicyStage;
  readonly certificate: CertificateStage;
  readonly verifier: VerifierStage;
}
