import { Polynomial } from '../polynomial';
import type { ControlSystem } from './control-system';

const V = (i: number) => Polynomial.variable(5, i); // variables: x1, x2, u, α1, α2

/**
 * The PJ system (Prajna and Jadbabaie's example as used by Wang et al., ICCPS 2023):
 *
 *   ẋ₁ = α₁ x₂,   ẋ₂ = α₂ x₁³ + u,   α₁ = 1, α₂ = 1/3 nominally,
 *
 * initial set (x₁ − 1.5)² + x₂² ≤ 0.25, unsafe set (x₁ + 0.8)² + (x₂ + 1)² ≤ 0.25, Δt = 0.1, 100 steps, linear
 * controller and quadratic barrier in the paper. The parameters are uncertain by ±10 % here: with the ±1.5 range
 * quoted for the paper's search, α₁ = 0 is inside the range and no fixed linear controller can stabilize both signs
 * of α₁. Domain (ours; the paper does not state one): the box [−2, 2]², which contains both sets.
 * f is affine in (α₁, α₂), so its certificate conditions hold for all α iff they hold at the four vertices.
 *
 * Reward (ours; the paper's is not in our notes): r = −(x₁ + 1.2)² − 0.01 u², i.e. bring x₁ to −1.2 fast; the
 * unsafe ball lies on the fast path, so the value-only optimum (SVG) runs through it, while a more damped affine
 * controller u = θ₀ + θ₁x₁ + θ₂x₂ passes above it and can be certified.
 */
export const PJ: ControlSystem = {
  name: 'pj',
  description: 'PJ: x1\' = a1 x2, x2\' = a2 x1^3 + u (safety)',
  stateNames: ['x1', 'x2'],
  nx: 2,
  nu: 1,
  domain: { lo: [-2, -2], hi: [2, 2] },
  initial: { centre: [1.5, 0], radius: 0.5 },
  unsafe: { centre: [-0.8, -1], radius: 0.5 },
  dt: 0.1,
  horizon: 100,
  gamma: 0.99,
  discrete: false,
  params: [
    { name: 'a1', nominal: 1, lo: 0.9, hi: 1.1 },
    { name: 'a2', nominal: 1 / 3, lo: 0.3, hi: 0.37 },
  ],
  dynamics(x, u, a, out) {
    out[0] = a[0] * x[1];
    out[1] = a[1] * x[0] ** 3 + u[0];
  },
  jacobians(x, _u, a, fx, fu) {
    fx[0] = 0;
    fx[1] = a[0];
    fx[2] = 3 * a[1] * x[0] * x[0];
    fx[3] = 0;
    fu[0] = 0;
    fu[1] = 1;
  },
  polynomial: [V(3).mul(V(1)), V(4).mul(V(0).pow(3)).add(V(2))],
  polynomialNote: 'exact',
  cost: { q: [1, 0], r: [0.01], target: [-1.2, 0] },
  certificate: 'barrier',
  // the neural track's box is larger than the domain, so that S = {B ≤ 0} can stay inside it
  terms: { lambdaB: -4, epsilon: 0.01, innerRadius: 0.1, neural: { domain: { lo: [-3, -3], hi: [3, 3] }, decay: 0.1, unsafeMargin: 1e-6 } },
};
