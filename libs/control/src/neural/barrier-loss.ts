import type { ControlSystem } from '../systems/control-system';
import type { Policy } from '../policy';
import type { BarrierMlp } from './barrier-mlp';

/** The states the barrier is fitted on. Domain points carry the parameters: (x, α) of length nx + np. */
export interface BarrierTrainingSet {
  readonly initial: readonly Float64Array[];
  readonly unsafe: readonly Float64Array[];
  readonly domain: readonly Float64Array[];
  /** States where B must be positive besides the unsafe set: the rim of the domain, "stay" counterexamples. */
  readonly shell: readonly Float64Array[];
}

/** Hinge settings of {@link barrierLoss}. */
export interface BarrierLossSettings {
  /** Margin m of every hinge. */
  readonly margin: number;
  /** Decay a of the decrease hinge relu(B(x⁺) − (1 − a) B(x) + m). */
  readonly decay: number;
  /** The decrease hinge is imposed where B(x) ≤ band (where the verifier needs it, B ≤ 0, plus a band). */
  readonly band: number;
}

/** The closed-loop successors of the domain points for one θ: x⁺ and, when asked, ∂x⁺/∂θ (nx × nθ). */
export interface Successors {
  readonly next: Float64Array[];
  readonly jacobian: Float64Array[] | null;
}

/** The value of {@link barrierLoss}, by term. */
export interface BarrierLossValue {
  readonly loss: number;
  readonly initial: number;
  readonly unsafe: number;
  readonly decrease: number;
  readonly shell: number;
}

/** x⁺ = x + Δt f(x, π_θ(x); α) for each (x, α), and ∂x⁺/∂θ = Δt f_u π_θ when `withJacobian`. */
export function successors(sys: ControlSystem, policy: Policy, theta: Float64Array, domain: readonly Float64Array[], withJacobian: boolean): Successors {
  const { nx, nu } = sys;
  const P = policy.nTheta;
  const u = new Float64Array(nu);
  const f = new Float64Array(nx);
  const fx = new Float64Array(nx * nx);
  const fu = new Float64Array(nx * nu);
  const dudx = new Float64Array(nu * nx);
  const dudth = new Float64Array(nu * P);
  const next: Float64Array[] = [];
  const jac: Float64Array[] = [];
  for (const p of domain) {
    const x = p.subarray(0, nx);
    const alpha = p.subarray(nx);
    if (withJacobian) policy.jacobians(theta, x, u, dudx, dudth);
    else policy.act(theta, x, u);
    sys.dynamics(x, u, alpha, f);
    next.push(Float64Array.from(x, (xi, i) => xi + sys.dt * f[i]));
    if (withJacobian) {
      sys.jacobians(x, u, alpha, fx, fu);
      const J = new Float64Array(nx * P);
      for (let i = 0; i < nx; i++) {
        for (let j = 0; j < nu; j++) {
          const c = sys.dt * fu[i * nu + j];
          if (c === 0) continue;
          for (let k = 0; k < P; k++) J[i * P + k] += c * dudth[j * P + k];
        }
      }
      jac.push(J);
    }
  }
  return { next, jacobian: withJacobian ? jac : null };
}

/**
 * The certificate-violation loss of the barrier B_ψ for the policy behind `succ` (a mean hinge per set):
 *
 *   L = mean_{X₀} relu(B(x) + m) + mean_{Xᵤ} relu(−B(x) + m) + mean_{rim} relu(−B(x) + m)
 *     + mean_{D} 1[B(x) ≤ band] relu(B(x⁺) − (1 − a) B(x) + m).
 *
 * gpsi ← ∂L/∂ψ and gtheta ← ∂L/∂θ = mean_D 1[·] relu'(·) ∇B(x⁺)ᵀ ∂x⁺/∂θ (skipped when null; gtheta needs
 * `succ.jacobian`). The indicator is held fixed (it is piecewise constant), as is relu' (taken 0 at 0).
 */
export function barrierLoss(
  barrier: BarrierMlp,
  psi: Float64Array,
  set: BarrierTrainingSet,
  succ: Successors,
  settings: BarrierLossSettings,
  gpsi: Float64Array | null,
  gtheta: Float64Array | null,
): BarrierLossValue {
  const { margin: m, decay: a, band } = settings;
  if (gpsi) gpsi.fill(0);
  if (gtheta) gtheta.fill(0);
  const nx = barrier.nx;
  const gx = new Float64Array(nx);
  const hinge = (pts: readonly Float64Array[], sign: number): number => {
    if (pts.length === 0) return 0;
    const w = 1 / pts.length;
    let s = 0;
    for (const x of pts) {
      const h = sign * barrier.forward(psi, x) + m;
      if (h <= 0) continue;
      s += h;
      if (gpsi) barrier.backward(psi, sign * w, gpsi, null);
    }
    return s * w;
  };
  const initial = hinge(set.initial, 1);
  const unsafe = hinge(set.unsafe, -1);
  const shell = hinge(set.shell, -1);
  let decrease = 0;
  const N = set.domain.length;
  if (N > 0) {
    const w = 1 / N;
    const P = gtheta ? gtheta.length : 0;
    for (let n = 0; n < N; n++) {
      const bx = barrier.forward(psi, set.domain[n]);
      if (bx > band) continue;
      const xp = succ.next[n];
      const bxp = barrier.forward(psi, xp);
      const h = bxp - (1 - a) * bx + m;
      if (h <= 0) continue;
      decrease += h * w;
      if (gpsi || gtheta) barrier.backward(psi, w, gpsi, gtheta ? gx : null);
      if (gtheta) {
        const J = succ.jacobian![n];
        for (let i = 0; i < nx; i++) {
          const c = gx[i];
          for (let k = 0; k < P; k++) gtheta[k] += c * J[i * P + k];
        }
      }
      if (gpsi) {
        barrier.forward(psi, set.domain[n]);
        barrier.backward(psi, -(1 - a) * w, gpsi, null);
      }
    }
  }
  return { loss: initial + unsafe + shell + decrease, initial, unsafe, decrease, shell };
}

/**
 * ∂/∂θ [∇_ψ L(θ, ψ) · v]: the mixed second derivative of {@link barrierLoss} applied to a parameter direction v.
 * Only the decrease hinge depends on θ (through x⁺), so it is
 * mean_D 1[·] relu'(·) (D_ψ ∇ₓB(x⁺)[v])ᵀ ∂x⁺/∂θ, with D_ψ ∇ₓB from {@link BarrierMlp.mixedX}.
 */
export function barrierLossMixed(
  barrier: BarrierMlp,
  psi: Float64Array,
  set: BarrierTrainingSet,
  succ: Successors,
  settings: BarrierLossSettings,
  v: Float64Array,
  out: Float64Array,
): void {
  const { margin: m, decay: a, band } = settings;
  out.fill(0);
  const N = set.domain.length;
  if (N === 0) return;
  const nx = barrier.nx;
  const P = out.length;
  const gx = new Float64Array(nx);
  const dgx = new Float64Array(nx);
  for (let n = 0; n < N; n++) {
    const bx = barrier.forward(psi, set.domain[n]);
    if (bx > band) continue;
    const bxp = barrier.mixedX(psi, succ.next[n], v, gx, dgx);
    if (bxp - (1 - a) * bx + m <= 0) continue;
    const J = succ.jacobian![n];
    for (let i = 0; i < nx; i++) {
      const c = dgx[i] / N;
      for (let k = 0; k < P; k++) out[k] += c * J[i * P + k];
    }
  }
}
