import { CARTPOLE } from '../systems/cartpole';
import type { DynamicsGraphBuilder } from './closed-loop-graph';

/** Cart mass, pole length and gravity of CARTPOLE (systems/cartpole.ts). */
const CART_MASS = 1;
const POLE_LENGTH = 0.5;
const GRAVITY = 9.8;

/**
 * The enclosure of r = 1/(M + m sin²ϑ) on CARTPOLE's domain (|ϑ| ≤ 0.6, m ≤ 0.11): r ∈ [1/(M + m_max sin²0.6), 1/M],
 * widened outward by 1e-12 relative to cover the float evaluation of the bound. The verifier's graph has no
 * division, so r enters the cart-pole graph as an extra bounded input (pass it as `extraParams`); conditions
 * proved for every r in range hold for the true r(x, m).
 */
export const CARTPOLE_RECIPROCAL_RANGE = (() => {
  const thetaMax = Math.max(-CARTPOLE.domain.lo[2], CARTPOLE.domain.hi[2]);
  const mMax = CARTPOLE.params[0].hi;
  const lo = (1 / (CART_MASS + mMax * Math.sin(thetaMax) ** 2)) * (1 - 1e-12);
  return { lo, hi: (1 / CART_MASS) * (1 + 1e-12) };
})();

/**
 * CARTPOLE's f as graph nodes, with alpha = [m, r] (r the reciprocal above):
 *
 *   p̈ = (F + m sin ϑ (l ω² − g cos ϑ)) · r,   ϑ̈ = (g sin ϑ − cos ϑ · p̈) / l,   f = (v, p̈, ω, ϑ̈).
 */
export const cartpoleGraph: DynamicsGraphBuilder = (g, x, u, alpha) => {
  const s = g.sin(x[2]);
  const c = g.cos(x[2]);
  const inner = g.affine([g.sqr(x[3]), c], [POLE_LENGTH, -GRAVITY], 0);
  const num = g.add(u[0], g.mul(g.mul(alpha[0], s), inner));
  const acc = g.mul(num, alpha[1]);
  const thetaAcc = g.affine([s, g.mul(c, acc)], [GRAVITY / POLE_LENGTH, -1 / POLE_LENGTH], 0);
  return [x[1], acc, x[3], thetaAcc];
};
