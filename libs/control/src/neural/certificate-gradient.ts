import type { ControlSystem } from '../systems/control-system';
import type { Policy } from '../policy';
import type { BarrierMlp } from './barrier-mlp';
import type { BarrierLossSettings, BarrierLossValue, BarrierTrainingSet } from './barrier-loss';
import { barrierLoss, barrierLossMixed, successors } from './barrier-loss';

/** The upper level's certificate term. */
export interface CertificateGradient {
  /** L(θ, ψ') at the unrolled ψ' (at ψ when eta = 0). */
  readonly value: BarrierLossValue;
  /** d/dθ L(θ, ψ'(θ)). */
  readonly gradient: Float64Array;
}

/**
 * The gradient of the certificate-violation loss w.r.t. the policy parameters through the barrier, with the lower
 * level unrolled one gradient step (as in DARTS, Liu, Simonyan, Yang, ICLR 2019, but with the exact mixed term):
 *
 *   ψ'(θ) = ψ − η ∇_ψ L(θ, ψ),
 *   d/dθ L(θ, ψ'(θ)) = ∂_θ L(θ, ψ') − η ∂_θ[∇_ψ L(θ, ψ) · v],   v = ∇_ψ L(θ, ψ').
 *
 * Why one-step unrolled rather than implicit: the lower level is a non-smooth hinge fit stopped after a few hundred
 * Adam steps, not at a stationary point with an invertible Hessian, so the implicit-function gradient is not
 * defined there; one unrolled step is the exact gradient of a well-defined surrogate (what the policy change does
 * to the loss after the barrier's next step) and costs one extra pass with the mixed term. η = 0 gives the
 * frozen-barrier gradient ∂_θ L(θ, ψ).
 */
export function certificateGradient(
  sys: ControlSystem,
  policy: Policy,
  barrier: BarrierMlp,
  theta: Float64Array,
  psi: Float64Array,
  set: BarrierTrainingSet,
  settings: BarrierLossSettings,
  eta: number,
): CertificateGradient {
  if (!(eta >= 0)) throw new RangeError(`certificateGradient: eta must be ≥ 0, received ${eta}`);
  const succ = successors(sys, policy, theta, set.domain, true);
  const gradient = new Float64Array(policy.nTheta);
  if (eta === 0) {
    const value = barrierLoss(barrier, psi, set, succ, settings, null, gradient);
    return { value, gradient };
  }
  const g0 = new Float64Array(barrier.nPsi);
  barrierLoss(barrier, psi, set, succ, settings, g0, null);
  const psi1 = Float64Array.from(psi, (p, k) => p - eta * g0[k]);
  const v = new Float64Array(barrier.nPsi);
  const value = barrierLoss(barrier, psi1, set, succ, settings, v, gradient);
  const mixed = new Float64Array(policy.nTheta);
  barrierLossMixed(barrier, psi, set, succ, settings, v, mixed);
  for (let k = 0; k < gradient.length; k++) gradient[k] -= eta * mixed[k];
  return { value, gradient };
}
