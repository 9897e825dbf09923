import { Polynomial } from '../polynomial';
import type { ControlSystem } from './control-system';

const N = 11; // polynomial variables: ω1, ω2, ω3, ψ1, ψ2, ψ3, u0, u1, u2, α1, α2
const V = (i: number) => Polynomial.variable(N, i);
const R = Math.SQRT2;

/**
 * The nominal (identified) parameters: 1/J₁ = 0.25 and 1/J₂ = 0.5, the values of the authors' simulator
 * (SimonZhan-code/Certified-RL-LP, AttControl_LP.py); the paper's search ranges are below.
 */
export const ATTITUDE_ALPHA = [0.25, 0.5] as const;
/** The parameter ranges the paper states (Wang et al., ICCPS 2023, Sec. 5): α₁ ∈ [−1, 2], α₂ ∈ [−0.5, 1.5]. */
export const ATTITUDE_PAPER_RANGES: readonly (readonly [number, number])[] = [
  [-1, 2],
  [-0.5, 1.5],
];

/**
 * Rigid-body attitude control (stability), the paper's fourth system (Wang, Zhan, Wang, Huang, Wang, Yang, Zhu,
 * ICCPS 2023, Sec. 5 "Attitude Control", after Prajna, Parrilo, Rantzer 2004): state x = (ω, ψ) with ω the angular
 * velocity in a body frame and ψ the Rodrigues parameters, control torque u ∈ R³,
 *
 *   ω̇₁ = α₁ (u₀ + ω₂ω₃),   ω̇₂ = α₂ (u₁ − 3ω₁ω₃),   ω̇₃ = u₂ + 2ω₁ω₂,
 *   ψ̇  = ½ (ω + ψ×ω + (ψ·ω) ψ), i.e.
 *   ψ̇₁ = ½ (ω₂(ψ₁ψ₂ − ψ₃) + ω₃(ψ₁ψ₃ + ψ₂) + ω₁(ψ₁² + 1)),
 *   ψ̇₂ = ½ (ω₁(ψ₁ψ₂ + ψ₃) + ω₃(ψ₂ψ₃ − ψ₁) + ω₂(ψ₂² + 1)),
 *   ψ̇₃ = ½ (ω₁(ψ₁ψ₃ − ψ₂) + ω₂(ψ₂ψ₃ + ψ₁) + ω₃(ψ₃² + 1)),
 *
 * state space ‖x‖² ≤ 2 (enclosed by the box [−√2, √2]⁶), Δt = 0.1, 100 steps; initial states on the unit sphere
 * ‖x‖ = 1 in the authors' simulator (here the ball ‖x‖ ≤ 1, which contains it). The paper certifies a cubic
 * polynomial controller with a quadratic Lyapunov function. The paper's α ranges are the ranges of its parameter
 * identification; the certificate is for the identified parameters (its Remark 4.4), so α is pinned at
 * {@link ATTITUDE_ALPHA} here (lo = hi = nominal). A certificate for the whole ranges cannot exist: α₁ = 0 lies in
 * [−1, 2], where ω̇₁ = 0 and ω₁(t) = ω₁(0) never converges.
 */
export const ATTITUDE: ControlSystem = {
  name: 'attitude',
  description: 'rigid-body attitude control, 6 states (angular velocity, Rodrigues parameters), 3 torques (stability)',
  stateNames: ['w1', 'w2', 'w3', 'psi1', 'psi2', 'psi3'],
  nx: 6,
  nu: 3,
  domain: { lo: new Array<number>(6).fill(-R), hi: new Array<number>(6).fill(R) },
  domainBall: { centre: new Array<number>(6).fill(0), radius: R },
  stateSpace: 'ball',
  initial: { centre: new Array<number>(6).fill(0), radius: 1 },
  unsafe: null,
  dt: 0.1,
  horizon: 100,
  gamma: 0.99,
  discrete: false,
  params: [
    { name: 'a1', nominal: ATTITUDE_ALPHA[0], lo: ATTITUDE_ALPHA[0], hi: ATTITUDE_ALPHA[0], note: 'identified 1/J1; the paper searches [-1, 2]' },
    { name: 'a2', nominal: ATTITUDE_ALPHA[1], lo: ATTITUDE_ALPHA[1], hi: ATTITUDE_ALPHA[1], note: 'identified 1/J2; the paper searches [-0.5, 1.5]' },
  ],
  dynamics(x, u, a, out) {
    const [w1, w2, w3, p1, p2, p3] = [x[0], x[1], x[2], x[3], x[4], x[5]];
    out[0] = a[0] * (u[0] + w2 * w3);
    out[1] = a[1] * (u[1] - 3 * w1 * w3);
    out[2] = u[2] + 2 * w1 * w2;
    out[3] = 0.5 * (w2 * (p1 * p2 - p3) + w3 * (p1 * p3 + p2) + w1 * (p1 * p1 + 1));
    out[4] = 0.5 * (w1 * (p1 * p2 + p3) + w3 * (p2 * p3 - p1) + w2 * (p2 * p2 + 1));
    out[5] = 0.5 * (w1 * (p1 * p3 - p2) + w2 * (p2 * p3 + p1) + w3 * (p3 * p3 + 1));
  },
  jacobians(x, _u, a, fx, fu) {
    const [w1, w2, w3, p1, p2, p3] = [x[0], x[1], x[2], x[3], x[4], x[5]];
    fx.fill(0);
    fu.fill(0);
    const set = (i: number, j: number, v: number) => (fx[i * 6 + j] = v);
    set(0, 1, a[0] * w3);
    set(0, 2, a[0] * w2);
    set(1, 0, -3 * a[1] * w3);
    set(1, 2, -3 * a[1] * w1);
    set(2, 0, 2 * w2);
    set(2, 1, 2 * w1);
    set(3, 0, 0.5 * (p1 * p1 + 1));
    set(3, 1, 0.5 * (p1 * p2 - p3));
    set(3, 2, 0.5 * (p1 * p3 + p2));
    set(3, 3, 0.5 * (w2 * p2 + w3 * p3 + 2 * w1 * p1));
    set(3, 4, 0.5 * (w2 * p1 + w3));
    set(3, 5, 0.5 * (-w2 + w3 * p1));
    set(4, 0, 0.5 * (p1 * p2 + p3));
    set(4, 1, 0.5 * (p2 * p2 + 1));
    set(4, 2, 0.5 * (p2 * p3 - p1));
    set(4, 3, 0.5 * (w1 * p2 - w3));
    set(4, 4, 0.5 * (w1 * p1 + w3 * p3 + 2 * w2 * p2));
    set(4, 5, 0.5 * (w1 + w3 * p2));
    set(5, 0, 0.5 * (p1 * p3 - p2));
    set(5, 1, 0.5 * (p2 * p3 + p1));
    set(5, 2, 0.5 * (p3 * p3 + 1));
    set(5, 3, 0.5 * (w1 * p3 + w2));
    set(5, 4, 0.5 * (-w1 + w2 * p3));
    set(5, 5, 0.5 * (w1 * p1 + w2 * p2 + 2 * w3 * p3));
    fu[0 * 3 + 0] = a[0];
    fu[1 * 3 + 1] = a[1];
    fu[2 * 3 + 2] = 1;
  },
  polynomial: (() => {
    const [w1, w2, w3, p1, p2, p3, u0, u1, u2, a1, a2] = Array.from({ length: N }, (_, i) => V(i));
    const one = Polynomial.constant(N, 1);
    return [
      a1.mul(u0.add(w2.mul(w3))),
      a2.mul(u1.sub(w1.mul(w3).scale(3))),
      u2.add(w1.mul(w2).scale(2)),
      w2.mul(p1.mul(p2).sub(p3)).add(w3.mul(p1.mul(p3).add(p2))).add(w1.mul(p1.pow(2).add(one))).scale(0.5),
      w1.mul(p1.mul(p2).add(p3)).add(w3.mul(p2.mul(p3).sub(p1))).add(w2.mul(p2.pow(2).add(one))).scale(0.5),
      w1.mul(p1.mul(p3).sub(p2)).add(w2.mul(p2.mul(p3).add(p1))).add(w3.mul(p3.pow(2).add(one))).scale(0.5),
    ];
  })(),
  polynomialNote: 'exact',
  cost: { q: [1, 1, 1, 1, 1, 1], r: [0.01, 0.01, 0.01] },
  certificate: 'lyapunov',
  terms: { lambdaB: -4, epsilon: 0.01, innerRadius: 0.1, neural: null },
};
