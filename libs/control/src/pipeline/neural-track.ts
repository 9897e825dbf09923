import { Rng } from '@bilevel/linalg';
import type { ControlSystem } from '../systems/control-system';
import type { Policy } from '../policy';
import type { BarrierMlp } from '../neural/barrier-mlp';
import type { BarrierVerdict } from '../neural/verify-barrier';
import type { NeuralTrainingOptions, NeuralTrainingParts, NeuralTrainingState } from '../neural/neural-training';
import { neuralTrainingParts } from '../neural/neural-training';
import type { CertificateStage, PipelineStages, PolicyStage, PolicyState, VerifierResult, VerifierStage } from './pipeline-stages';

/** Options of {@link neuralTrack}: those of neuralTraining, and stages to swap in. */
export interface NeuralTrackOptions extends NeuralTrainingOptions {
  /** Replaces the default verifier stage (verifyBarrier by branch and bound, every verifyEvery steps). */
  readonly verifier?: VerifierStage;
  /** Replaces the default certificate stage (the warm-started Adam fit of the barrier). */
  readonly certificate?: CertificateStage;
}

/** A ready neural pipeline: its stages, version 0 of the policy, and the trainer's parts. */
export interface NeuralTrack {
  readonly stages: PipelineStages;
  readonly init: PolicyState;
  readonly parts: NeuralTrainingParts;
}

/** The verdict of verifyBarrier as a pipeline verdict: verified, or the last condition's falsification / open boxes. */
export function barrierVerifierResult(verdict: BarrierVerdict, nx: number): VerifierResult {
  const last = verdict.conditions[verdict.conditions.length - 1];
  const r = last.result;
  const boxes = {
    verified: verdict.conditions.reduce((t, c) => t + c.result.stats.boxesVerified + c.result.stats.boxesInfeasible, 0),
    falsified: verdict.conditions.filter((c) => c.result.status === 'falsified').length,
    unknown: verdict.conditions.reduce((t, c) => t + (c.result.status === 'unknown' ? c.result.unresolvedBoxes.length : 0), 0),
  };
  return {
    status: verdict.certified ? 'verified' : r.status === 'falsified' ? 'falsified' : 'unknown',
    method: 'sound (verifyBarrier)',
    counterexample: !verdict.certified && r.status === 'falsified' ? r.counterexample.slice(0, nx) : null,
    violated: verdict.certified ? null : last.name,
    boxes,
    barrier: verdict,
  };
}

const innerOf = (fn: string, state: PolicyState): NeuralTrainingState => {
  const inner = state.inner as NeuralTrainingState | undefined;
  if (inner === undefined || !(inner.psi instanceof Float64Array) || !(inner.theta instanceof Float64Array)) {
    throw new TypeError(`${fn}: state.inner must be the neural training state this track created`);
  }
  return inner;
};

/**
 * The neural track of certified control (neuralTraining: a policy π_θ and a barrier MLP B_ψ, counterexample-guided)
 * as the pipeline's three swappable stages, the same wiring as the polynomial track (trainingPipeline):
 *
 *   certificate$  the lower level for θ_k: ψ fitted by Adam, warm-started from the ψ, moments and training set that
 *                 θ_k's policy version carries (`state.inner`); it claims a certificate to check every verifyEvery
 *                 steps, or when the training loss is 0 (`found`), with the loss as `cStar`;
 *   event$        the verifier on a claimed (θ_k, ψ): verifyBarrier on the four conditions ('verified' stops the run,
 *                 certified), or any VerifierStage swapped in;
 *   policy$       the upper level: the verdict's counterexample (or the open boxes' centres) and jittered copies join
 *                 the training set, then θ_{k+1} = θ_k + l(∇V − λ dL/dθ), λ grows; everything the next fit needs
 *                 travels in the new version's `inner` (θ, ψ, Adam, λ, the RNG, the training set).
 *
 * The stages run neuralTraining's own parts in its order with its RNG, so a pipeline run repeats neuralTraining's
 * steps to the bit, and a run resumed from a policy version (its `inner`) repeats the uninterrupted one. A swapped
 * verifier's falsified verdict feeds its counterexample (a state, or (x, α)) to the set of the condition it names.
 *
 * @example
 * const { stages, init } = neuralTrack(PJ, new FeaturePolicy(2, 1), barrier, Float64Array.of(-2, -2), barrier.init(rng));
 * const result = await runTrainingPipeline(stages, init, { maxIter: 40 });
 */
export function neuralTrack(
  system: ControlSystem,
  policy: Policy,
  barrier: BarrierMlp,
  theta0: Float64Array,
  psi0: Float64Array,
  options: NeuralTrackOptions = {},
): NeuralTrack {
  const fn = 'neuralTrack';
  const parts = neuralTrainingParts(system, policy, barrier, options);
  const first = parts.init(theta0, psi0);
  const init: PolicyState = { iteration: 0, theta: first.theta, status: 'running', value: NaN, lambda: NaN, stepNorm: 0, inner: first };

  const fit: CertificateStage = (theta, state) => {
    const inner = innerOf(fn, state);
    const f = parts.fit(inner);
    return {
      cStar: f.value.loss,
      found: parts.verifies(inner.iteration, f.value.loss),
      certificate: null,
      dcdtheta: null,
      status: 'fitted',
      barrier: { iteration: inner.iteration, psi: f.psi, adam: f.adam, loss: f.value },
    };
  };

  const verify: VerifierStage = (theta, certificate) => {
    if (!certificate.barrier) return { status: 'unknown', method: 'sound (verifyBarrier)', counterexample: null, violated: null };
    return barrierVerifierResult(parts.verify(theta, certificate.barrier.psi, certificate.barrier.iteration), system.nx);
  };

  const step: PolicyStage = (state, certificate, verdict) => {
    const inner = innerOf(fn, state);
    const b = certificate?.barrier;
    if (!b) throw new TypeError(`${fn}: the certificate stage must return a barrier fit (certificate.barrier)`);
    const rng = Rng.fromState(inner.rng);
    let set = inner.set;
    const v = verdict?.barrier ?? null;
    if (v) set = parts.absorb(set, v, rng);
    else if (verdict?.status === 'falsified' && verdict.counterexample && verdict.violated) set = parts.absorbPoint(set, verdict.violated, verdict.counterexample, rng);
    const counted = {
      ...inner,
      verifications: inner.verifications + (verdict ? 1 : 0),
      verifyBoxes: inner.verifyBoxes + (v?.boxes ?? 0),
      verifySeconds: inner.verifySeconds + (v?.seconds ?? 0),
    };
    const next = parts.upper(counted, { psi: b.psi, adam: b.adam, value: b.loss }, set, rng, v);
    const diverged = next.outcome === 'diverged';
    return {
      iteration: diverged ? state.iteration + 1 : next.iteration,
      theta: next.theta,
      status: diverged ? 'diverged' : 'running',
      value: next.diagnostics?.value ?? NaN,
      lambda: next.diagnostics?.lambda ?? NaN,
      stepNorm: next.diagnostics?.stepNorm ?? 0,
      inner: next,
    };
  };

  return { stages: { policy: step, certificate: options.certificate ?? fit, verifier: options.verifier ?? verify }, init, parts };
}
