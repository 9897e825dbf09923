import type { Box, ControlSystem } from './control-system';

/**
 * The terms of the neural track's barrier conditions (see barrierConditions): with D the box below, a ∈ [0, 1] and
 * ε > 0, B ≤ 0 on X₀, B ≥ ε on Xᵤ, and B(x⁺) ≤ (1 − a) B(x), x⁺ ∈ D wherever B(x) ≤ 0 on D × A.
 */
export interface NeuralBarrierTerms {
  /** The box D of the decrease and stay conditions; it must contain the initial ball. */
  readonly domain: Box;
  /** Decay a ∈ [0, 1]: the factor 1 − a of B(x⁺) ≤ (1 − a) B(x) lies in [0, 1]. */
  readonly decay: number;
  /** ε > 0 of B ≥ ε on the unsafe ball (the strict B > 0, proved with room to spare). */
  readonly unsafeMargin: number;
}

/**
 * The terms of a system's certificate conditions, part of the system definition: what `train` certifies and what
 * `verify` re-proves. A certificate file carries the certificate (coefficients, weights) and nothing else that a
 * verifier would read; terms stated in a file must equal these (a claimant never picks the terms of its own claim).
 * {@link checkedTerms} admits only forms that say something: a decay factor 1 + Δt·λ_B in [0, 1], ε > 0, an
 * excluded neighbourhood strictly inside the domain.
 */
export interface CertificateTerms {
  /**
   * Barrier: λ_B of ∇B·f ≤ λ_B B (continuous) and B(x⁺) ≤ (1 + Δt λ_B) B(x) (discrete); the decay factor
   * 1 + Δt λ_B must lie in [0, 1] (a negative factor lets B(x) ≤ 0 be followed by B(x⁺) > 0).
   */
  readonly lambdaB: number;
  /** ε > 0: the LP's B ≥ ε on the unsafe set (barrier); V ≥ ε‖x‖² and −∇V·f ≥ ε‖x‖² (Lyapunov). */
  readonly epsilon: number;
  /** Lyapunov: half-width r₀ > 0 of the box (−r₀, r₀)ⁿ around the origin left out of the conditions, inside the domain. */
  readonly innerRadius: number;
  /** The neural track's barrier terms, or null when the system has no neural barrier. */
  readonly neural: NeuralBarrierTerms | null;
}

/** The terms as a file may state them (checked field by field against the system's). */
export const STATED_TERMS = ['lambdaB', 'epsilon', 'innerRadius'] as const;

/**
 * The system's certificate terms, checked: throws a RangeError naming the system, the field, the value and what was
 * expected when a condition built from them would be vacuous (decay factor 1 + Δt·λ_B outside [0, 1], ε ≤ 0, an
 * excluded box that is not strictly inside the domain, a neural box that misses X₀, a neural decay outside [0, 1]
 * or a margin ≤ 0). Every condition builder (CertificateLp, verifyCertificate, sampledCertificateCheck,
 * barrierConditions, neuralTraining) reads its terms through here.
 */
export function checkedTerms(system: ControlSystem): CertificateTerms {
  const t = system.terms as CertificateTerms | undefined;
  const at = `checkedTerms: system '${system.name}'`;
  if (t === null || typeof t !== 'object') throw new RangeError(`${at} must define terms {lambdaB, epsilon, innerRadius, neural}, received ${String(t)}`);
  const factor = 1 + system.dt * t.lambdaB;
  if (!Number.isFinite(t.lambdaB) || !(factor >= 0 && factor <= 1)) {
    throw new RangeError(`${at}: terms.lambdaB must make the decay factor 1 + Δt·λ_B lie in [0, 1] (λ_B in [${-1 / system.dt}, 0] for Δt = ${system.dt}), received ${t.lambdaB} (factor ${factor})`);
  }
  if (!(Number.isFinite(t.epsilon) && t.epsilon > 0)) throw new RangeError(`${at}: terms.epsilon must be a finite number > 0, received ${t.epsilon}`);
  const r0 = t.innerRadius;
  if (!(Number.isFinite(r0) && r0 > 0)) throw new RangeError(`${at}: terms.innerRadius must be a finite number > 0, received ${r0}`);
  if (system.certificate === 'lyapunov' && system.domain.lo.some((lo, i) => !(lo < -r0 && r0 < system.domain.hi[i]))) {
    throw new RangeError(`${at}: terms.innerRadius must leave the box (−r₀, r₀)^${system.nx} strictly inside the domain, received ${r0}`);
  }
  const n = t.neural;
  if (n !== null) {
    if (n === undefined || typeof n !== 'object') throw new RangeError(`${at}: terms.neural must be {domain, decay, unsafeMargin} or null, received ${String(n)}`);
    const { lo, hi } = n.domain ?? {};
    const { centre, radius } = system.initial;
    if (!Array.isArray(lo) || !Array.isArray(hi) || lo.length !== system.nx || hi.length !== system.nx || lo.some((l, i) => !(Number.isFinite(l) && Number.isFinite(hi[i]) && l < hi[i] && l <= centre[i] - radius && centre[i] + radius <= hi[i]))) {
      throw new RangeError(`${at}: terms.neural.domain must be a box of dimension ${system.nx} with finite lo < hi that contains the initial ball, received ${JSON.stringify(n.domain)}`);
    }
    if (!(n.decay >= 0 && n.decay <= 1)) throw new RangeError(`${at}: terms.neural.decay must be in [0, 1], received ${n.decay}`);
    if (!(Number.isFinite(n.unsafeMargin) && n.unsafeMargin > 0)) throw new RangeError(`${at}: terms.neural.unsafeMargin must be a finite number > 0, received ${n.unsafeMargin}`);
  }
  return t;
}

/** The neural barrier terms of a system, checked; throws when the system has none. */
export function neuralBarrierTerms(system: ControlSystem, fn: string): NeuralBarrierTerms {
  const t = checkedTerms(system).neural;
  if (t === null) throw new RangeError(`${fn}: system '${system.name}' defines no neural barrier terms (terms.neural is null)`);
  return t;
}
