import type { ControlSystem } from '../systems/control-system';
import type { DynamicsGraphBuilder } from './closed-loop-graph';

const LENGTH = 1;
const MASS = 1;
const DAMPING = 0.1;

/**
 * Inverted pendulum (upright at φ = 0, unstable without control), the neural-policy system of the neural track:
 *
 *   φ̇ = ω,   ω̇ = (g/l) sin φ − (d/(m l²)) ω + u/(m l²),   m = l = 1, d = 0.1, g ∈ [9.6, 10] (uncertain),
 *
 * Δt = 0.05, 100 steps, initial ball radius 0.3 at the origin, unsafe ball of radius 0.3 centred at φ = 0.9
 * ("falls to the right"), domain [−1.5, 1.5] × [−3, 3]. Chosen instead of the cart-pole for the neural
 * certificate because its 2-D state (3-D with g) keeps branch and bound cheap; the cart-pole's 5-D box is left
 * for later. The true sine is in the graph (`invertedPendulumGraph`), which the verifier bounds soundly.
 */
export const INVERTED_PENDULUM: ControlSystem = {
  name: 'inverted-pendulum',
  description: 'inverted pendulum, upright balance (neural track)',
  stateNames: ['phi', 'omega'],
  nx: 2,
  nu: 1,
  domain: { lo: [-1.5, -3], hi: [1.5, 3] },
  initial: { centre: [0, 0], radius: 0.3 },
  unsafe: { centre: [0.9, 0], radius: 0.3 },
  dt: 0.05,
  horizon: 100,
  gamma: 0.99,
  discrete: false,
  params: [{ name: 'g', nominal: 9.8, lo: 9.6, hi: 10 }],
  dynamics(x, u, a, out) {
    out[0] = x[1];
    out[1] = (a[0] / LENGTH) * Math.sin(x[0]) - (DAMPING / (MASS * LENGTH * LENGTH)) * x[1] + u[0] / (MASS * LENGTH * LENGTH);
  },
  jacobians(x, _u, a, fx, fu) {
    fx[0] = 0;
    fx[1] = 1;
    fx[2] = (a[0] / LENGTH) * Math.cos(x[0]);
    fx[3] = -DAMPING / (MASS * LENGTH * LENGTH);
    fu[0] = 0;
    fu[1] = 1 / (MASS * LENGTH * LENGTH);
  },
  polynomial: null,
  polynomialNote: 'none: the neural track bounds the true sine in the graph (invertedPendulumGraph)',
  cost: { q: [1, 0.1], r: [0.01] },
  certificate: 'barrier',
  terms: { lambdaB: -4, epsilon: 0.01, innerRadius: 0.1, neural: { domain: { lo: [-1.5, -3], hi: [1.5, 3] }, decay: 0.1, unsafeMargin: 1e-6 } },
};

/** f of {@link INVERTED_PENDULUM} as graph nodes: [ω, (g/l)·sin φ − (d/(m l²)) ω + u/(m l²)]. */
export const invertedPendulumGraph: DynamicsGraphBuilder = (g, x, u, alpha) => {
  const gravity = g.mul(alpha[0], g.sin(x[0]));
  const k = 1 / (MASS * LENGTH * LENGTH);
  return [x[1], g.affine([gravity, x[1], u[0]], [1 / LENGTH, -DAMPING * k, k], 0)];
};
