import { Polynomial } from '../polynomial';
import type { ControlSystem } from './control-system';

const M = 1;
const L = 1;
const D = 0.1;
const G_LO = 9;
const G_HI = 10.5;
const PHI_MAX = Math.SQRT2;

/**
 * Bound on |r(φ)| where sin φ = φ − φ³/6 + φ·r(φ), for |φ| ≤ √2: the Taylor polynomial of degree 3 is also the
 * one of degree 4 (sin⁽⁴⁾(0) = 0), so |sin φ − φ + φ³/6| ≤ |φ|⁵/5! and |r| ≤ φ⁴/120 ≤ (√2)⁴/120 = 1/30.
 * Rounded up by a relative 1e-12 to cover the float64 evaluation of the bound itself.
 */
export const PENDULUM_SIN_REMAINDER = (PHI_MAX ** 4 / 120) * (1 + 1e-12);

/** |w| ≤ (g_max / l) · max|r|: the relative disturbance that the Taylor remainder contributes to φ̈ (w·φ). */
const W_MAX = (G_HI / L) * PENDULUM_SIN_REMAINDER;

const V = (i: number) => Polynomial.variable(5, i); // variables: φ, ω, u, g, w

/**
 * Damped pendulum (stability), after Wang et al., ICCPS 2023:
 *
 *   φ̇ = ω,   ω̇ = −(g/l) sin φ − (d/(m l²)) ω + u/(m l²),   m = l = 1, d = 0.1, g ∈ [9, 10.5],
 *
 * domain φ² + ω² ≤ 2 (enclosed by the box [−√2, √2]²), initial set φ² + ω² ≤ 1, Δt = 0.05.
 *
 * Polynomial form: sin φ = φ − φ³/6 + φ·r(φ) with |r| ≤ {@link PENDULUM_SIN_REMAINDER} = 1/30 on the domain, so
 *
 *   ω̇ = −(g/l)(φ − φ³/6) − (d/(m l²)) ω + u/(m l²) + w·φ,   |w| ≤ (g_max/l)·max|r| = 0.35,
 *
 * with w a second uncertain parameter (it exists only in the polynomial form: the float dynamics use the true sine
 * and ignore it). For every g in range and every state of the domain the true ω̇ is the polynomial one at some w in
 * range, and the polynomial is affine in (g, w), so a Lyapunov decrease condition that holds at the four (g, w)
 * vertices holds for the true pendulum: this is how the remainder enters the certificate. Writing the remainder
 * as w·φ (relative) rather than an additive constant keeps it O(‖x‖), like the decrease it must not spoil.
 */
export const PENDULUM: ControlSystem = {
  name: 'pendulum',
  description: 'damped pendulum (stability), sin by a degree-3 Taylor polynomial with a relative remainder',
  stateNames: ['phi', 'omega'],
  nx: 2,
  nu: 1,
  domain: { lo: [-PHI_MAX, -PHI_MAX], hi: [PHI_MAX, PHI_MAX] },
  domainBall: { centre: [0, 0], radius: PHI_MAX },
  initial: { centre: [0, 0], radius: 1 },
  unsafe: null,
  dt: 0.05,
  horizon: 100,
  gamma: 0.99,
  discrete: false,
  params: [
    { name: 'g', nominal: 9.81, lo: G_LO, hi: G_HI },
    { name: 'w', nominal: 0, lo: -W_MAX, hi: W_MAX, note: 'Taylor remainder of sin as w·phi; polynomial form only' },
  ],
  dynamics(x, u, a, out) {
    out[0] = x[1];
    out[1] = (-a[0] / L) * Math.sin(x[0]) - (D / (M * L * L)) * x[1] + u[0] / (M * L * L);
  },
  jacobians(x, _u, a, fx, fu) {
    fx[0] = 0;
    fx[1] = 1;
    fx[2] = (-a[0] / L) * Math.cos(x[0]);
    fx[3] = -D / (M * L * L);
    fu[0] = 0;
    fu[1] = 1 / (M * L * L);
  },
  polynomial: [
    V(1),
    V(3)
      .scale(-1 / L)
      .mul(V(0).sub(V(0).pow(3).scale(1 / 6)))
      .sub(V(1).scale(D / (M * L * L)))
      .add(V(2).scale(1 / (M * L * L)))
      .add(V(4).mul(V(0))),
  ],
  polynomialNote: `sin by its degree-3 Taylor polynomial; sin(phi) - T3(phi) = phi*r with |r| <= ${PENDULUM_SIN_REMAINDER.toFixed(6)} on |phi| <= sqrt 2, as the parameter w`,
  cost: { q: [1, 0.1], r: [0.01] },
  certificate: 'lyapunov',
  terms: { lambdaB: -4, epsilon: 0.01, innerRadius: 0.1, neural: null },
};
