import { InputError } from '@bilevel/io';
import type { CertificateLpOptions, ControlSystem } from '@bilevel/control';
import { monomialBasis } from '@bilevel/control';

/** How the polynomial track starts on a system: the policy's feature basis and θ₀. */
export interface TrackSetup {
  /** Highest monomial degree of the policy's features. */
  readonly degree: number;
  /** Whether the policy has a constant offset. */
  readonly constant: boolean;
  readonly theta0: readonly number[];
  /** Options of the certificate LP (default none). */
  readonly lp?: CertificateLpOptions;
}

/**
 * The starting policies, as in libs/control's joint-training tests: PJ an affine controller
 * u = θ₀ + θ₁x₁ + θ₂x₂ from (0, −2, −2) (its reward target x₁ = −1.2 needs the offset); the pendulum and lane keeping
 * a linear controller from θ = 0; attitude control a cubic controller (as the paper) from the linear one
 * u_a = −(2ω_a + ψ_a)/α_a, its decrease certified on the paper's state space ‖x‖² ≤ 2 as a DSOS + S-procedure LP
 * (decrease 'dsos'; on the 12 Handelman slabs of the 6-D box c* stays > 0 even for the damping) with a sublevel set
 * of V that holds the initial ball inside that ball (regionOfAttraction 0.98, the level region-of-attraction.ts
 * proves). A system without
 * polynomial dynamics (the cart-pole) has no polynomial track.
 */
export function polyTrackSetup(system: ControlSystem): TrackSetup {
  if (system.polynomial === null) {
    throw new InputError(`system '${system.name}' has no polynomial dynamics (${system.polynomialNote}), so the polynomial track cannot certify it; it is meant for --track neural`, '--track poly');
  }
  if (system.name === 'pj') return { degree: 1, constant: true, theta0: [0, -2, -2] };
  if (system.name === 'attitude') return attitudeSetup();
  return { degree: 1, constant: false, theta0: new Array<number>(system.nx * system.nu).fill(0) };
}

/** Attitude control: all monomials of degree 1 to 3 of the 6 states per torque, θ₀ the linear damping above. */
function attitudeSetup(): TrackSetup {
  const degree = 3;
  const alpha = [0.25, 0.5, 1];
  const nFeatures = monomialBasis(6, degree, 1).length;
  const theta0 = new Array<number>(3 * nFeatures).fill(0);
  monomialBasis(6, degree, 1).forEach((e, k) => {
    if (e.reduce((a, b) => a + b, 0) !== 1) return;
    const i = e.indexOf(1);
    for (let a = 0; a < 3; a++) {
      if (i === a) theta0[a * nFeatures + k] = -2 / alpha[a];
      if (i === a + 3) theta0[a * nFeatures + k] = -1 / alpha[a];
    }
  });
  return { degree, constant: false, theta0, lp: { decrease: 'dsos', regionOfAttraction: 0.98 } };
}
