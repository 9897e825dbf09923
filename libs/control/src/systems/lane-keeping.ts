import { Polynomial } from '../polynomial';
import type { ControlSystem } from './control-system';

/** Discrete-time lane-keeping matrices (Δt = 0.02), from ../shared/docs/anchors.md "Certified control". */
export const LANE_KEEPING_A: readonly (readonly number[])[] = [
  [1, 0.019, 0.268, 0.0006],
  [0, 0.877, 0, -0.186],
  [0, 0.00017, 1, 0.0189],
  [0, 0.0164, 0, 0.892],
];
/** The input column B_d of the same discrete model: x⁺ = A_d x + B_d u. */
export const LANE_KEEPING_B: readonly number[] = [0.0077, 0.718, 0.0032, 0.315];
const DT = 0.02;

/**
 * Lane keeping (safety), after Wang et al., ICCPS 2023: x_{t+1} = A_d x_t + B_d u_t with the matrices above,
 * initial ball of radius 0.2 at (0.4, 2, 0.5, 0), unsafe ball of radius 1 at (2, 2, 0, 1), domain ‖x‖ ≤ 3
 * (enclosed by the box [−3, 3]⁴). Stored as f(x, u) = ((A_d − I) x + B_d u)/Δt so that Euler's map with Δt is the
 * given discrete system exactly; the certificate conditions are imposed on that f (the barrier's Lie derivative
 * along the difference quotient). No uncertain parameters.
 */
export const LANE_KEEPING: ControlSystem = {
  name: 'lane-keeping',
  description: 'lane keeping, discrete linear model (safety)',
  stateNames: ['y', 'vy', 'psi', 'r'],
  nx: 4,
  nu: 1,
  domain: { lo: [-3, -3, -3, -3], hi: [3, 3, 3, 3] },
  domainBall: { centre: [0, 0, 0, 0], radius: 3 },
  initial: { centre: [0.4, 2, 0.5, 0], radius: 0.2 },
  unsafe: { centre: [2, 2, 0, 1], radius: 1 },
  dt: DT,
  horizon: 150,
  gamma: 0.99,
  discrete: true,
  params: [],
  dynamics(x, u, _a, out) {
    for (let i = 0; i < 4; i++) {
      let s = -x[i] + LANE_KEEPING_B[i] * u[0];
      for (let j = 0; j < 4; j++) s += LANE_KEEPING_A[i][j] * x[j];
      out[i] = s / DT;
    }
  },
  jacobians(_x, _u, _a, fx, fu) {
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) fx[i * 4 + j] = (LANE_KEEPING_A[i][j] - (i === j ? 1 : 0)) / DT;
      fu[i] = LANE_KEEPING_B[i] / DT;
    }
  },
  polynomial: LANE_KEEPING_A.map((row, i) => {
    let p = Polynomial.variable(5, 4).scale(LANE_KEEPING_B[i] / DT);
    for (let j = 0; j < 4; j++) p = p.add(Polynomial.variable(5, j).scale((row[j] - (i === j ? 1 : 0)) / DT));
    return p;
  }),
  polynomialNote: 'exact (linear)',
  cost: { q: [1, 0.1, 1, 0.1], r: [0.1] },
  certificate: 'barrier',
  terms: { lambdaB: -4, epsilon: 0.01, innerRadius: 0.1, neural: null },
};
