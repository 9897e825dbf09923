import { Polynomial, monomialBasis } from './polynomial';

/**
 * A deterministic state-feedback policy u = π_θ(x) with parameters θ ∈ R^{nTheta} in a Float64Array, and its
 * Jacobians, as the value gradient through rollouts (rollout.ts) needs them.
 */
export interface Policy {
  readonly nx: number;
  readonly nu: number;
  readonly nTheta: number;
  /** u ← π_θ(x). */
  act(theta: Float64Array, x: ArrayLike<number>, u: Float64Array): void;
  /** u ← π_θ(x), dudx ← ∂u/∂x (nu × nx, row-major), dudtheta ← ∂u/∂θ (nu × nTheta, row-major). */
  jacobians(theta: Float64Array, x: ArrayLike<number>, u: Float64Array, dudx: Float64Array, dudtheta: Float64Array): void;
}

/** Options of {@link FeaturePolicy}. */
export interface FeaturePolicyOptions {
  /** Highest monomial degree k of the features. Default 1 (a linear controller). */
  readonly degree?: number;
  /** Whether the constant monomial is a feature (an offset). Default false (π(0) = 0). */
  readonly constant?: boolean;
}

/**
 * A policy linear in a monomial feature basis: u_a = Σ_k θ_{a,k} φ_k(x) with φ the monomials of degree 1…k (and
 * degree 0 when `constant`), θ stored output-major (θ[a·K + k]). Then ∂u_a/∂θ_{a,k} = φ_k(x) and
 * ∂u_a/∂x_i = Σ_k θ_{a,k} ∂φ_k/∂x_i. Being polynomial in x and linear in θ, it composes with polynomial
 * dynamics into a polynomial closed loop ({@link FeaturePolicy.polynomials}), which the LP certificate needs.
 *
 * @example
 * const pi = new FeaturePolicy(2, 1);          // u = θ₀ x₁ + θ₁ x₂
 */
export class FeaturePolicy implements Policy {
  readonly nTheta: number;
  /** Exponent vectors of the features, in order. */
  readonly exponents: readonly (readonly number[])[];

  constructor(
    readonly nx: number,
    readonly nu: number,
    options: FeaturePolicyOptions = {},
  ) {
    const degree = options.degree ?? 1;
    if (!Number.isInteger(nx) || nx < 1) throw new RangeError(`FeaturePolicy: nx must be an integer ≥ 1, received ${nx}`);
    if (!Number.isInteger(nu) || nu < 1) throw new RangeError(`FeaturePolicy: nu must be an integer ≥ 1, received ${nu}`);
    if (!Number.isInteger(degree) || degree < 1) {
      throw new RangeError(`FeaturePolicy: options.degree must be an integer ≥ 1, received ${degree}`);
    }
    this.exponents = monomialBasis(nx, degree, options.constant ? 0 : 1);
    this.nTheta = nu * this.exponents.length;
  }

  /** Number of features K. */
  get nFeatures(): number {
    return this.exponents.length;
  }

  /** out ← φ(x). */
  features(x: ArrayLike<number>, out: Float64Array): void {
    this.exponents.forEach((e, k) => {
      let v = 1;
      for (let i = 0; i < this.nx; i++) if (e[i] > 0) v *= x[i] ** e[i];
      out[k] = v;
    });
  }

  act(theta: Float64Array, x: ArrayLike<number>, u: Float64Array): void {
    const K = this.nFeatures;
    const phi = new Float64Array(K);
    this.features(x, phi);
    for (let a = 0; a < this.nu; a++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += theta[a * K + k] * phi[k];
      u[a] = s;
    }
  }

  jacobians(theta: Float64Array, x: ArrayLike<number>, u: Float64Array, dudx: Float64Array, dudtheta: Float64Array): void {
    const K = this.nFeatures;
    const phi = new Float64Array(K);
    this.features(x, phi);
    dudx.fill(0);
    dudtheta.fill(0);
    for (let a = 0; a < this.nu; a++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const th = theta[a * K + k];
        s += th * phi[k];
        dudtheta[a * this.nTheta + a * K + k] = phi[k];
        const e = this.exponents[k];
        for (let i = 0; i < this.nx; i++) {
          if (e[i] === 0) continue;
          let d = e[i] * x[i] ** (e[i] - 1);
          for (let j = 0; j < this.nx; j++) if (j !== i && e[j] > 0) d *= x[j] ** e[j];
          dudx[a * this.nx + i] += th * d;
        }
      }
      u[a] = s;
    }
  }

  /** The features φ_k as polynomials over nvars ≥ nx variables (the state being the first nx). */
  featurePolynomials(nvars = this.nx): Polynomial[] {
    return this.exponents.map((e) => Polynomial.fromTerms(nvars, [[[...e, ...new Array<number>(nvars - this.nx).fill(0)], 1]]));
  }

  /** π_θ as nu polynomials over nvars ≥ nx variables. */
  polynomials(theta: Float64Array, nvars = this.nx): Polynomial[] {
    const K = this.nFeatures;
    const phi = this.featurePolynomials(nvars);
    return Array.from({ length: this.nu }, (_, a) =>
      phi.reduce((acc, p, k) => acc.add(p.scale(theta[a * K + k])), Polynomial.zero(nvars)),
    );
  }
}
