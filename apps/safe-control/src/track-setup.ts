import { InputError } from '@bilevel/problems';
import type { ControlSystem } from '@bilevel/control';

/** How the polynomial track starts on a system: the policy's feature basis and θ₀. */
export interface TrackSetup {
  /** Highest monomial degree of the policy's features. */
  readonly degree: number;
  /** Whether the policy has a constant offset. */
  readonly constant: boolean;
  readonly theta0: readonly number[];
}

/**
 * The starting policies, as in libs/control's joint-training tests: PJ an affine controller
 * u = θ₀ + θ₁x₁ + θ₂x₂ from (0, −2, −2) (its reward target x₁ = −1.2 needs the offset); the pendulum and lane keeping
 * a linear controller from θ = 0. A system without polynomial dynamics (the cart-pole) has no polynomial track.
 */
export function polyTrackSetup(system: ControlSystem): TrackSetup {
  if (system.polynomial === null) {
    throw new InputError(`system '${system.name}' has no polynomial dynamics (${system.polynomialNote}), so the polynomial track cannot certify it; it is meant for --track neural`, '--track poly');
  }
  if (system.name === 'pj') return { degree: 1, constant: true, theta0: [0, -2, -2] };
  return { degree: 1, constant: false, theta0: new Array<number>(system.nx * system.nu).fill(0) };
}
