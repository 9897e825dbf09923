import type { Ball, Box, ControlSystem } from './control-system';
import { checkedTerms, neuralBarrierTerms } from './certificate-terms';

const num = (v: number): string => String(+v.toPrecision(6));
const ball = (b: Ball): string => `{‖x − (${b.centre.map(num).join(', ')})‖ ≤ ${num(b.radius)}}`;
const box = (b: Box): string => {
  const sides = b.lo.map((l, i) => `[${num(l)}, ${num(b.hi[i])}]`);
  return sides.every((s) => s === sides[0]) ? `${sides[0]}^${sides.length}` : sides.join(' × ');
};

/**
 * What a certificate of `system` proves, in words, with the system's own sets and terms (the ones `verify` checks):
 *
 * - polynomial barrier, continuous time: no trajectory of ẋ = f(x, π(x); α) from X₀ reaches Xᵤ while it stays in
 *   the domain box (∇B·f ≤ λ_B B there, B ≤ 0 on X₀, B > 0 on Xᵤ), for every α in the parameter box;
 * - polynomial barrier, discrete time: the same for x⁺ = x + Δt f(x, π(x)) (B(x⁺) ≤ (1 + Δt λ_B) B(x) on the box);
 * - polynomial Lyapunov: every trajectory that starts in a sublevel set {V ≤ c} inside the domain box stays in it and
 *   reaches the excluded box |x_i| < r₀ (V ≥ ε‖x‖² and dV/dt ≤ −ε‖x‖² on the box outside it);
 * - neural barrier: no trajectory of the Euler closed loop x⁺ = x + Δt f(x, π(x); α) from X₀ ever reaches Xᵤ
 *   ({B ≤ 0} ∩ D contains X₀, misses Xᵤ and is forward invariant), for every α, even one changing from step to step.
 *
 * @example
 * certifiedProperty(PJ, 'polynomial'); // 'no trajectory of the closed loop ẋ = f(x, π(x); α) from X₀ = {‖x − (1.5, 0)‖ ≤ 0.5} …'
 */
export function certifiedProperty(system: ControlSystem, track: 'polynomial' | 'neural'): string {
  const terms = checkedTerms(system);
  const params = system.params.filter((_, k) => readsParameter(system, k));
  const forAll = params.length === 0 ? '' : `, for every ${params.map((p) => `${p.name} ∈ [${num(p.lo)}, ${num(p.hi)}]`).join(', ')}`;
  if (track === 'neural') {
    const n = neuralBarrierTerms(system, 'certifiedProperty');
    return (
      `no trajectory of the Euler closed loop x⁺ = x + ${num(system.dt)}·f(x, π(x); α) from X₀ = ${ball(system.initial)} ever reaches ` +
      `Xᵤ = ${ball(system.unsafe!)}${forAll} (even changing from step to step): S = {x ∈ D : B(x) ≤ 0}, D = ${box(n.domain)}, ` +
      `contains X₀, has B ≥ ${num(n.unsafeMargin)} on Xᵤ and is forward invariant (B(x⁺) ≤ ${num(1 - n.decay)}·B(x), x⁺ ∈ D)`
    );
  }
  if (system.certificate === 'lyapunov') {
    const r0 = num(terms.innerRadius);
    const eps = num(terms.epsilon);
    const space = system.stateSpace === 'ball' && system.domainBall ? `the ball ${ball(system.domainBall)}` : `the box ${box(system.domain)}`;
    const on = system.stateSpace === 'ball' && system.domainBall ? 'the ball' : 'the box';
    return (
      `every trajectory of the closed loop ẋ = f(x, π(x); α) that starts in a sublevel set {V ≤ c} lying inside ` +
      `${space} stays in it and reaches the box |x_i| < ${r0}${forAll}: V ≥ ${eps}·‖x‖² and dV/dt ≤ −${eps}·‖x‖² ` +
      `on ${on} outside |x_i| < ${r0}`
    );
  }
  const loop = system.discrete ? `x⁺ = x + ${num(system.dt)}·f(x, π(x))` : 'ẋ = f(x, π(x); α)';
  const rule = system.discrete ? `B(x⁺) ≤ ${num(1 + system.dt * terms.lambdaB)}·B(x)` : `∇B·f ≤ ${num(terms.lambdaB)}·B`;
  return (
    `no trajectory of the closed loop ${loop}${system.discrete ? " (the system's discrete map)" : ""} from X₀ = ${ball(system.initial)} reaches Xᵤ = ${ball(system.unsafe!)} while it stays in ` +
    `the box ${box(system.domain)}${forAll}: B ≤ 0 on X₀, B > 0 on Xᵤ and ${rule} on the box`
  );
}

/** Whether the float dynamics read parameter k (the pendulum's w exists only in its polynomial form): probed at one state. */
function readsParameter(system: ControlSystem, k: number): boolean {
  const x = system.domain.lo.map((l, i) => l + (0.37 + 0.11 * i) * (system.domain.hi[i] - l));
  const u = new Array<number>(system.nu).fill(0.3);
  const at = (v: number): Float64Array => {
    const alpha = system.params.map((p, j) => (j === k ? v : p.nominal));
    const out = new Float64Array(system.nx);
    system.dynamics(x, u, alpha, out);
    return out;
  };
  const lo = at(system.params[k].lo);
  const hi = at(system.params[k].hi);
  return lo.some((v, i) => v !== hi[i]);
}
