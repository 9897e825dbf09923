import type { ControlSystem } from '../systems/control-system';
import type { Policy } from '../policy';
import type { CertificateLp, CertificateSolution } from '../certificate-lp';
import type { JointTrainingOptions, JointTrainingState } from '../joint-training';
import { jointTraining } from '../joint-training';
import type { PolicyStage, PolicyState } from './pipeline-stages';

/** The policy stage over {@link jointTraining} and its starting state. */
export interface JointPolicyStage {
  /** Version 0 of the policy stream. */
  init(theta0: Float64Array): PolicyState;
  readonly step: PolicyStage;
}

/**
 * The upper level of Wang et al. (ICCPS 2023) as a policy stage: one step of {@link jointTraining},
 *
 *   θ ← θ + l (∇_θ V_θ − 2 λ max(c*, 0) ∂c* / ∂θ),    λ ← λ · growth     (joint mode)
 *   θ ← θ + l ∇_θ V_θ                                                 (svg mode: the value-gradient baseline)
 *
 * where c* and ∂c* / ∂θ are the certificate stream's answer for the current θ rather than an LP solved inside the
 * step: jointTraining is handed a stand-in whose `solve` returns that answer (jointTraining calls nothing else on
 * it), so its code is reused as it is. The jointTraining state (λ, RNG) travels in `PolicyState.inner`.
 * When jointTraining considers θ certified (c* ≤ −margin) but the run goes on (the verifier did not accept the
 * certificate), θ cannot move: the stage returns status 'stalled'.
 *
 * @example
 * const stage = jointPolicyStage(PJ, new FeaturePolicy(2, 1, { constant: true }));
 * const init = stage.init(Float64Array.of(0, -2, -2));
 */
export function jointPolicyStage(system: ControlSystem, policy: Policy, options: JointTrainingOptions = {}): JointPolicyStage {
  const fn = 'jointPolicyStage';
  const joint = (options.mode ?? 'joint') === 'joint';
  let current: CertificateSolution | null = null;
  const standIn = {
    solve(): CertificateSolution {
      if (current === null) throw new Error(`${fn}: joint mode needs a certificate stage that returns the LP solution`);
      return current;
    },
  } as unknown as CertificateLp;
  const run = jointTraining(system, policy, joint ? standIn : null, options);
  const wrap = (s: JointTrainingState, previous: Float64Array | null): PolicyState => ({
    iteration: s.iteration,
    theta: s.theta,
    status: s.outcome === 'diverged' ? 'diverged' : s.outcome === 'certified' ? 'stalled' : 'running',
    value: s.diagnostics?.value ?? NaN,
    lambda: s.diagnostics?.lambda ?? NaN,
    stepNorm: previous === null ? 0 : (s.diagnostics?.stepNorm ?? 0),
    inner: s,
  });
  return {
    init: (theta0) => wrap(run.init(theta0), null),
    step(state, certificate) {
      const inner = state.inner as JointTrainingState | undefined;
      if (inner === undefined || !(inner.theta instanceof Float64Array)) {
        throw new TypeError(`${fn}: state.inner must be the jointTraining state this stage created`);
      }
      current = certificate?.solution ?? null;
      try {
        return wrap(run.step(inner), inner.theta);
      } finally {
        current = null;
      }
    },
  };
}
