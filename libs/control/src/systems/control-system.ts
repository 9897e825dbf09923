import type { Polynomial } from '../polynomial';
import type { CertificateTerms } from './certificate-terms';

/** An axis-aligned box {x : lo ≤ x ≤ hi}. */
export interface Box {
  readonly lo: readonly number[];
  readonly hi: readonly number[];
}

/** A Euclidean ball {x : ‖x − centre‖ ≤ radius}. */
export interface Ball {
  readonly centre: readonly number[];
  readonly radius: number;
}

/** A model parameter known only to lie in [lo, hi]; rollouts use `nominal`. */
export interface UncertainParameter {
  readonly name: string;
  readonly nominal: number;
  readonly lo: number;
  readonly hi: number;
  /** Why it is uncertain / where the range comes from. */
  readonly note?: string;
}

/**
 * A benchmark system of certified control, as data (Wang, Zhan, Wang, Huang, Wang, Yang, Zhu, ICCPS 2023).
 *
 * Continuous dynamics ẋ = f(x, u; α) with x ∈ Rⁿˣ, u ∈ Rⁿᵘ and uncertain parameters α ∈ Π_k [lo_k, hi_k];
 * rollouts use the forward-Euler map x_{t+1} = x_t + Δt f(x_t, u_t; α_nominal). A system that is given in
 * discrete time (`discrete: true`, x_{t+1} = A x_t + B u_t) is stored as f = ((A − I)x + Bu)/Δt so that the same
 * Euler map reproduces it exactly, and the continuous certificate conditions are then read for that f.
 *
 * The reward of the value function is r(x, u) = −Σ_i q_i (x_i − x*_i)² − Σ_j r_j u_j², discounted by γ over
 * `horizon` steps.
 */
export interface ControlSystem {
  readonly name: string;
  readonly description: string;
  readonly stateNames: readonly string[];
  readonly nx: number;
  readonly nu: number;
  /** The state box on which the certificate's derivative condition is imposed. */
  readonly domain: Box;
  /** The domain as a ball when the paper states it so (the box then encloses it). */
  readonly domainBall?: Ball;
  /**
   * Where a Lyapunov certificate's decrease is stated and re-verified: 'ball' on `domainBall` (the paper's state
   * space ‖x‖ ≤ R, e.g. attitude control, whose box corners lie √6 times farther out), 'box' on `domain`.
   * Default 'box'.
   */
  readonly stateSpace?: 'box' | 'ball';
  readonly initial: Ball;
  /** The unsafe set (barrier systems); null for stability-only systems. */
  readonly unsafe: Ball | null;
  readonly dt: number;
  readonly horizon: number;
  readonly gamma: number;
  readonly discrete: boolean;
  readonly params: readonly UncertainParameter[];
  /** out ← f(x, u; α). */
  readonly dynamics: (x: ArrayLike<number>, u: ArrayLike<number>, alpha: ArrayLike<number>, out: Float64Array) => void;
  /** fx ← ∂f/∂x (nx × nx, row-major), fu ← ∂f/∂u (nx × nu, row-major). */
  readonly jacobians: (
    x: ArrayLike<number>,
    u: ArrayLike<number>,
    alpha: ArrayLike<number>,
    fx: Float64Array,
    fu: Float64Array,
  ) => void;
  /**
   * f as polynomials over the variables (x_1…x_nx, u_1…u_nu, α_1…α_np), one per state, enclosing the float
   * dynamics for every α in range (remainders of approximations enter as extra bounded parameters); null when the
   * system has no polynomial form (see `polynomialNote`).
   */
  readonly polynomial: readonly Polynomial[] | null;
  readonly polynomialNote: string;
  /** Reward weights: r(x, u) = −Σ q_i (x_i − x*_i)² − Σ r_j u_j², with the target x* = `target` (default 0). */
  readonly cost: { readonly q: readonly number[]; readonly r: readonly number[]; readonly target?: readonly number[] };
  /** barrier: safety (initial set never reaches the unsafe set); lyapunov: stability of the origin. */
  readonly certificate: 'barrier' | 'lyapunov';
  /** The terms of the certificate conditions (λ_B, ε, r₀, the neural barrier's box and decay), checked by checkedTerms. */
  readonly terms: CertificateTerms;
}

/** The bounding box of a ball. */
export function ballBox(ball: Ball): Box {
  return { lo: ball.centre.map((c) => c - ball.radius), hi: ball.centre.map((c) => c + ball.radius) };
}

/** The nominal parameter vector α of a system. */
export function nominalParams(sys: ControlSystem): Float64Array {
  return Float64Array.from(sys.params, (p) => p.nominal);
}

/**
 * The vertices of the parameter box: 2^k for the k parameters with lo < hi (a pinned parameter, lo = hi, adds
 * none; one vertex when every parameter is pinned or there are none).
 */
export function paramVertices(sys: ControlSystem): Float64Array[] {
  const free = sys.params.flatMap((p, k) => (p.lo < p.hi ? [k] : []));
  const out: Float64Array[] = [];
  for (let mask = 0; mask < 1 << free.length; mask++) {
    const v = Float64Array.from(sys.params, (p) => p.lo);
    free.forEach((k, j) => (v[k] = (mask >> j) & 1 ? sys.params[k].hi : sys.params[k].lo));
    out.push(v);
  }
  return out;
}
