import type { Rng } from '@bilevel/linalg';
import type { ControlSystem } from './systems/control-system';
import { nominalParams } from './systems/control-system';
import type { Policy } from './policy';

/** One closed-loop trajectory. */
export interface Trajectory {
  /** States x_0 … x_H, row-major ((H + 1) × nx). */
  readonly xs: Float64Array;
  /** Inputs u_0 … u_{H−1}, row-major (H × nu). */
  readonly us: Float64Array;
  /** Σ_t γ^t r(x_t, u_t). */
  readonly ret: number;
}

/** Options of {@link rollout} and {@link valueGradient}. */
export interface RolloutOptions {
  /** Number of steps H. Default: the system's horizon. */
  readonly horizon?: number;
  /** Model parameters α. Default: the nominal ones. */
  readonly alpha?: ArrayLike<number>;
}

/** r(x, u) = −Σ q_i (x_i − x*_i)² − Σ r_j u_j². */
function reward(sys: ControlSystem, x: ArrayLike<number>, off: number, u: ArrayLike<number>, uoff: number): number {
  let s = 0;
  const tg = sys.cost.target;
  for (let i = 0; i < sys.nx; i++) s -= sys.cost.q[i] * (x[off + i] - (tg ? tg[i] : 0)) ** 2;
  for (let j = 0; j < sys.nu; j++) s -= sys.cost.r[j] * u[uoff + j] * u[uoff + j];
  return s;
}

function checkHorizon(fn: string, h: number): void {
  if (!Number.isInteger(h) || h < 1) throw new RangeError(`${fn}: options.horizon must be an integer ≥ 1, received ${h}`);
}

/**
 * The Euler closed loop x_{t+1} = x_t + Δt f(x_t, π_θ(x_t); α) from x_0 (exact for discrete systems stored as
 * difference quotients), with its discounted return Σ_{t<H} γ^t r(x_t, u_t).
 */
export function rollout(sys: ControlSystem, policy: Policy, theta: Float64Array, x0: ArrayLike<number>, options: RolloutOptions = {}): Trajectory {
  const H = options.horizon ?? sys.horizon;
  checkHorizon('rollout', H);
  const alpha = options.alpha ?? nominalParams(sys);
  const { nx, nu } = sys;
  const xs = new Float64Array((H + 1) * nx);
  const us = new Float64Array(H * nu);
  const f = new Float64Array(nx);
  const u = new Float64Array(nu);
  for (let i = 0; i < nx; i++) xs[i] = x0[i];
  let ret = 0;
  let disc = 1;
  for (let t = 0; t < H; t++) {
    const x = xs.subarray(t * nx, (t + 1) * nx);
    policy.act(theta, x, u);
    us.set(u, t * nu);
    ret += disc * reward(sys, xs, t * nx, u, 0);
    disc *= sys.gamma;
    sys.dynamics(x, u, alpha, f);
    for (let i = 0; i < nx; i++) xs[(t + 1) * nx + i] = x[i] + sys.dt * f[i];
  }
  return { xs, us, ret };
}

/** n initial states drawn uniformly in the system's initial ball (direction ∝ Gaussian, radius r·U^{1/nx}). */
export function sampleInitialStates(sys: ControlSystem, n: number, rng: Rng): Float64Array[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`sampleInitialStates: n must be an integer ≥ 1, received ${n}`);
  return sampleBall(sys.initial.centre, sys.initial.radius, n, rng);
}

/** n points uniform in the ball of the given centre and radius. */
export function sampleBall(centre: readonly number[], radius: number, n: number, rng: Rng): Float64Array[] {
  const d = centre.length;
  const out: Float64Array[] = [];
  const g = new Float64Array(d);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    do {
      rng.normals(g);
      norm = Math.hypot(...g);
    } while (norm === 0);
    const r = radius * rng.float() ** (1 / d);
    out.push(Float64Array.from(g, (v, i) => centre[i] + (r * v) / norm));
  }
  return out;
}

/** Value and its gradient. */
export interface ValueGradient {
  /** V_θ = (1/N) Σ_n Σ_t γ^t r(x_t^n, u_t^n). */
  readonly value: number;
  /** ∇_θ V_θ. */
  readonly gradient: Float64Array;
}

/**
 * The value V_θ = (1/N) Σ_n Σ_{t<H} γ^t r(x_t, u_t) of a batch of initial states and its exact gradient by
 * backpropagation through time with the analytic Jacobians (the SVG(∞) value gradient of Heess et al., NeurIPS
 * 2015, as used by Wang et al., ICCPS 2023). With F_x = I + Δt ∂f/∂x, F_u = Δt ∂f/∂u, π_x, π_θ the policy
 * Jacobians and the adjoint a_t = dJ/dx_t (a_H = 0):
 *
 *   a_t = γ^t (r_x + π_xᵀ r_u) + (F_x + F_u π_x)ᵀ a_{t+1},     ∇_θ J += π_θᵀ (γ^t r_u + F_uᵀ a_{t+1}).
 */
export function valueGradient(
  sys: ControlSystem,
  policy: Policy,
  theta: Float64Array,
  x0s: readonly ArrayLike<number>[],
  options: RolloutOptions = {},
): ValueGradient {
  const H = options.horizon ?? sys.horizon;
  checkHorizon('valueGradient', H);
  if (x0s.length === 0) throw new RangeError('valueGradient: x0s must hold at least one initial state, received 0');
  const alpha = options.alpha ?? nominalParams(sys);
  const { nx, nu } = sys;
  const P = policy.nTheta;
  const grad = new Float64Array(P);
  const fx = new Float64Array(nx * nx);
  const fu = new Float64Array(nx * nu);
  const dudx = new Float64Array(nu * nx);
  const dudth = new Float64Array(nu * P);
  const u = new Float64Array(nu);
  const a = new Float64Array(nx);
  const aNext = new Float64Array(nx);
  const gu = new Float64Array(nu);
  let value = 0;
  for (const x0 of x0s) {
    const tr = rollout(sys, policy, theta, x0, { horizon: H, alpha });
    value += tr.ret;
    aNext.fill(0);
    for (let t = H - 1; t >= 0; t--) {
      const x = tr.xs.subarray(t * nx, (t + 1) * nx);
      const disc = sys.gamma ** t;
      policy.jacobians(theta, x, u, dudx, dudth);
      sys.jacobians(x, u, alpha, fx, fu);
      // gu = γ^t r_u + F_uᵀ a_{t+1}
      for (let j = 0; j < nu; j++) {
        let s = -2 * sys.cost.r[j] * u[j] * disc;
        for (let i = 0; i < nx; i++) s += sys.dt * fu[i * nu + j] * aNext[i];
        gu[j] = s;
      }
      // a_t = γ^t r_x + F_xᵀ a_{t+1} + π_xᵀ gu
      for (let k = 0; k < nx; k++) {
        let s = -2 * sys.cost.q[k] * (x[k] - (sys.cost.target ? sys.cost.target[k] : 0)) * disc + aNext[k];
        for (let i = 0; i < nx; i++) s += sys.dt * fx[i * nx + k] * aNext[i];
        for (let j = 0; j < nu; j++) s += dudx[j * nx + k] * gu[j];
        a[k] = s;
      }
      for (let j = 0; j < nu; j++) {
        const g = gu[j];
        if (g === 0) continue;
        for (let p = 0; p < P; p++) grad[p] += dudth[j * P + p] * g;
      }
      aNext.set(a);
    }
  }
  const n = x0s.length;
  for (let p = 0; p < P; p++) grad[p] /= n;
  return { value: value / n, gradient: grad };
}
