import type { ControlSystem } from './control-system';

const CART_MASS = 1;
const POLE_LENGTH = 0.5;
const GRAVITY = 9.8;

/**
 * Cart-pole with a point-mass pole, upright at ϑ = 0 (for the neural-policy track). State (p, v, ϑ, ω), input the
 * horizontal force F, pole mass m uncertain in [0.09, 0.11]. From the Lagrangian of a cart of mass M and a bob of
 * mass m at (p + l sin ϑ, l cos ϑ):
 *
 *   p̈ = (F + m sin ϑ (l ω² − g cos ϑ)) / (M + m sin² ϑ),     ϑ̈ = (g sin ϑ − cos ϑ · p̈) / l,
 *
 * M = 1, l = 0.5, g = 9.8, Δt = 0.02, 200 steps. Safety: from the initial ball (radius 0.1 at the origin) never
 * reach the unsafe ball of radius 0.6 centred at p = 1.8 (it touches the right end of the track, p = 2.4). Domain
 * [−2.4, 2.4] × [−3, 3] × [−0.6, 0.6] × [−3, 3].
 */
export const CARTPOLE: ControlSystem = {
  name: 'cartpole',
  description: 'cart-pole, point-mass pole, upright balance (neural policy track)',
  stateNames: ['p', 'v', 'theta', 'omega'],
  nx: 4,
  nu: 1,
  domain: { lo: [-2.4, -3, -0.6, -3], hi: [2.4, 3, 0.6, 3] },
  initial: { centre: [0, 0, 0, 0], radius: 0.1 },
  unsafe: { centre: [1.8, 0, 0, 0], radius: 0.6 },
  dt: 0.02,
  horizon: 200,
  gamma: 0.99,
  discrete: false,
  params: [{ name: 'm', nominal: 0.1, lo: 0.09, hi: 0.11 }],
  dynamics(x, u, a, out) {
    const m = a[0];
    const s = Math.sin(x[2]);
    const c = Math.cos(x[2]);
    const acc = (u[0] + m * s * (POLE_LENGTH * x[3] * x[3] - GRAVITY * c)) / (CART_MASS + m * s * s);
    out[0] = x[1];
    out[1] = acc;
    out[2] = x[3];
    out[3] = (GRAVITY * s - c * acc) / POLE_LENGTH;
  },
  jacobians(x, u, a, fx, fu) {
    const m = a[0];
    const th = x[2];
    const w = x[3];
    const s = Math.sin(th);
    const c = Math.cos(th);
    const den = CART_MASS + m * s * s;
    const num = u[0] + m * s * (POLE_LENGTH * w * w - GRAVITY * c);
    const acc = num / den;
    const numTh = m * (c * POLE_LENGTH * w * w - GRAVITY * (c * c - s * s));
    const denTh = 2 * m * s * c;
    const accTh = (numTh * den - num * denTh) / (den * den);
    const accW = (2 * m * s * POLE_LENGTH * w) / den;
    const accF = 1 / den;
    fx.fill(0);
    fx[0 * 4 + 1] = 1;
    fx[1 * 4 + 2] = accTh;
    fx[1 * 4 + 3] = accW;
    fx[2 * 4 + 3] = 1;
    fx[3 * 4 + 2] = (GRAVITY * c + s * acc - c * accTh) / POLE_LENGTH;
    fx[3 * 4 + 3] = (-c * accW) / POLE_LENGTH;
    fu[0] = 0;
    fu[1] = accF;
    fu[2] = 0;
    fu[3] = (-c * accF) / POLE_LENGTH;
  },
  polynomial: null,
  polynomialNote:
    'none: the dynamics are rational in sin and cos; this system is for the neural track, whose verifier bounds the float graph directly',
  cost: { q: [0.1, 0.01, 1, 0.01], r: [0.001] },
  certificate: 'barrier',
  terms: { lambdaB: -4, epsilon: 0.01, innerRadius: 0.1, neural: { domain: { lo: [-2.4, -3, -0.6, -3], hi: [2.4, 3, 0.6, 3] }, decay: 0.1, unsafeMargin: 1e-6 } },
};
