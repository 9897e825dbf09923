import { Polynomial } from '../polynomial';
import type { ControlSystem } from './control-system';

/** Longitudinal velocity v_x (m/s): A_d[0][2]/Δt of the discrete model, 0.268/0.02. */
const VX = 13.4;
/**
 * The continuous lane-keeping model of the paper, ẋ = A(α)x + Bu with x = (y, v_y, ψ_e, r) (Wang et al., ICCPS
 * 2023, Sec. 5, after Chen, Luan, Lee, CASE 2014):
 *
 *   A = [[0, 1, v_x, 0], [0, a₂₂, 0, α₁], [0, 0, 0, 1], [0, a₄₂, 0, α₂]],   B = (0, b₂, 0, b₄),
 *
 * where a₂₂ = −(C_f + C_r)/(m v_x), a₄₂ = (l_r C_r − l_f C_f)/(I_z v_x), b₂ = C_f/m, b₄ = l_f C_f/I_z. The paper
 * gives the structure and names α₁ ∈ [−15, 5], α₂ ∈ [−10, −1] unknown, but not the vehicle constants; they are
 * recovered here from the discrete matrices of the authors' simulator (SimonZhan-code/Certified-RL-LP LK_LP.py,
 * Δt = 0.02) as A = logm(A_d)/Δt and B = (∫₀^Δt e^{As} ds)⁻¹ B_d, rounded to 4 digits (the structural 0 and 1
 * entries come out within 0.002 and are set exactly). That gives α₁ = −10.50 and α₂ = −5.618, inside the paper's
 * ranges; they are the identified values at which the paper certifies (its Remark 4.4), so α is pinned there.
 */
export const LANE_KEEPING_PAPER_CONSTANTS = { vx: VX, a22: -6.465, a42: 0.9259, b2: 39.98, b4: 16.3, alpha1: -10.5, alpha2: -5.618 } as const;
/** The parameter ranges the paper states: α₁ ∈ [−15, 5], α₂ ∈ [−10, −1]. */
export const LANE_KEEPING_PAPER_RANGES: readonly (readonly [number, number])[] = [
  [-15, 5],
  [-10, -1],
];

const K = LANE_KEEPING_PAPER_CONSTANTS;
const N = 7; // polynomial variables: y, vy, psi, r, u, a1, a2
const V = (i: number) => Polynomial.variable(N, i);

/**
 * Lane keeping as the paper states it: the continuous model above, initial ball of radius 0.2 at (0.4, 2, 0.5, 0),
 * unsafe ball of radius 1 at (2, 2, 0, 1), state space ‖x‖ ≤ 3 (enclosed by the box [−3, 3]⁴), Δt = 0.02, 150
 * steps, a linear controller with a barrier (safety, degree 6 with the LP in the paper) and a Lyapunov function
 * (stability, degree 2): {@link LANE_KEEPING_PAPER} carries the barrier, {@link LANE_KEEPING_PAPER_LYAPUNOV} the
 * Lyapunov function of the same model. `lane-keeping` is the project's discrete variant.
 */
export const LANE_KEEPING_PAPER: ControlSystem = {
  name: 'lane-keeping-paper',
  description: 'lane keeping as the paper states it: continuous model, identified a1, a2 (safety)',
  stateNames: ['y', 'vy', 'psi', 'r'],
  nx: 4,
  nu: 1,
  domain: { lo: [-3, -3, -3, -3], hi: [3, 3, 3, 3] },
  domainBall: { centre: [0, 0, 0, 0], radius: 3 },
  initial: { centre: [0.4, 2, 0.5, 0], radius: 0.2 },
  unsafe: { centre: [2, 2, 0, 1], radius: 1 },
  dt: 0.02,
  horizon: 150,
  gamma: 0.99,
  discrete: false,
  params: [
    { name: 'a1', nominal: K.alpha1, lo: K.alpha1, hi: K.alpha1, note: 'identified A[1][3]; the paper searches [-15, 5]' },
    { name: 'a2', nominal: K.alpha2, lo: K.alpha2, hi: K.alpha2, note: 'identified A[3][3]; the paper searches [-10, -1]' },
  ],
  dynamics(x, u, a, out) {
    out[0] = x[1] + K.vx * x[2];
    out[1] = K.a22 * x[1] + a[0] * x[3] + K.b2 * u[0];
    out[2] = x[3];
    out[3] = K.a42 * x[1] + a[1] * x[3] + K.b4 * u[0];
  },
  jacobians(_x, _u, a, fx, fu) {
    fx.fill(0);
    fx[0 * 4 + 1] = 1;
    fx[0 * 4 + 2] = K.vx;
    fx[1 * 4 + 1] = K.a22;
    fx[1 * 4 + 3] = a[0];
    fx[2 * 4 + 3] = 1;
    fx[3 * 4 + 1] = K.a42;
    fx[3 * 4 + 3] = a[1];
    fu[0] = 0;
    fu[1] = K.b2;
    fu[2] = 0;
    fu[3] = K.b4;
  },
  polynomial: [
    V(1).add(V(2).scale(K.vx)),
    V(1).scale(K.a22).add(V(5).mul(V(3))).add(V(4).scale(K.b2)),
    V(3),
    V(1).scale(K.a42).add(V(6).mul(V(3))).add(V(4).scale(K.b4)),
  ],
  polynomialNote: 'exact (linear in x, bilinear in the parameters)',
  cost: { q: [1, 0.1, 1, 0.1], r: [0.1] },
  certificate: 'barrier',
  terms: { lambdaB: -4, epsilon: 0.01, innerRadius: 0.1, neural: null },
};

/** The same model with the paper's Lyapunov (stability) certificate of degree 2. */
export const LANE_KEEPING_PAPER_LYAPUNOV: ControlSystem = {
  ...LANE_KEEPING_PAPER,
  name: 'lane-keeping-paper-lyapunov',
  description: 'lane keeping as the paper states it: continuous model, identified a1, a2 (stability)',
  certificate: 'lyapunov',
};
