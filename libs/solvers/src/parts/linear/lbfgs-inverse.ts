import { dot } from '@bilevel/linalg';

/** One secant pair of a quasi-Newton method: s = z⁺ − z, y = ∇G(z⁺) − ∇G(z), ρ = 1/(sᵀy) > 0. Never mutated. */
export interface CurvaturePair {
  readonly s: Float64Array;
  readonly y: Float64Array;
  readonly rho: number;
}

/** A limited-memory inverse-Hessian approximation: the pairs, oldest first, and the initial matrix H₀ = h0·I. */
export interface InverseHessianApprox {
  readonly pairs: readonly CurvaturePair[];
  readonly h0: number;
}

/**
 * out ← B⁻¹q, the L-BFGS inverse-Hessian approximation applied to q, by the two-loop recursion (Nocedal, 1980):
 *
 *   for i = newest..oldest:  α_i = ρ_i s_iᵀr,  r −= α_i y_i           (r starts at q)
 *   r ← h0·r
 *   for i = oldest..newest:  β = ρ_i y_iᵀr,   r += (α_i − β) s_i
 *
 * B⁻¹ satisfies the secant equation B⁻¹y_i = s_i for the newest pair, and is symmetric positive definite when every
 * ρ_i > 0 and h0 > 0. With no pairs, out = h0·q. No Hessian-vector product is made. `out` may not alias `q`.
 *
 * @example lbfgsInverse({ pairs, h0: 1 }, gradOuterZ, v) // v ≈ H⁻¹∇_zF (SHINE)
 */
export function lbfgsInverse(approx: InverseHessianApprox, q: Float64Array, out: Float64Array): Float64Array {
  const { pairs, h0 } = approx;
  const n = q.length;
  const alpha = new Float64Array(pairs.length);
  out.set(q);
  for (let i = pairs.length - 1; i >= 0; i--) {
    const { s, y, rho } = pairs[i];
    const a = rho * dot(s, out);
    alpha[i] = a;
    for (let k = 0; k < n; k++) out[k] -= a * y[k];
  }
  for (let k = 0; k < n; k++) out[k] *= h0;
  for (let i = 0; i < pairs.length; i++) {
    const { s, y, rho } = pairs[i];
    const c = alpha[i] - rho * dot(y, out);
    for (let k = 0; k < n; k++) out[k] += c * s[k];
  }
  return out;
}
