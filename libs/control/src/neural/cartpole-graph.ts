import type { DynamicsGraphBuilder } from './closed-loop-graph';

/** Cart mass, pole length and gravity of CARTPOLE (systems/cartpole.ts); the spec checks the graph against it. */
const CART_MASS = 1;
const POLE_LENGTH = 0.5;
const GRAVITY = 9.8;

/**
 * CARTPOLE's f as graph nodes, with alpha = [m]:
 *
 *   p̈ = (F + m sin ϑ (l ω² − g cos ϑ)) / (M + m sin² ϑ),   ϑ̈ = (g sin ϑ − cos ϑ · p̈) / l,   f = (v, p̈, ω, ϑ̈).
 *
 * The division is the graph's reciprocal node (`Graph.div`): the denominator's interval is [M, M + m_max] ⊂ (0, ∞)
 * on any box, so its reciprocal is bounded soundly (outward-rounded interval, CROWN chord and tangent lines).
 */
export const cartpoleGraph: DynamicsGraphBuilder = (g, x, u, alpha) => {
  const s = g.sin(x[2]);
  const c = g.cos(x[2]);
  const inner = g.affine([g.sqr(x[3]), c], [POLE_LENGTH, -GRAVITY], 0);
  const num = g.add(u[0], g.mul(g.mul(alpha[0], s), inner));
  const den = g.affine([g.mul(alpha[0], g.sqr(s))], [1], CART_MASS);
  const acc = g.div(num, den);
  const thetaAcc = g.affine([s, g.mul(c, acc)], [GRAVITY / POLE_LENGTH, -1 / POLE_LENGTH], 0);
  return [x[1], acc, x[3], thetaAcc];
};
