import { dot } from './dot';
import type { Precond } from './linear-solve';

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
 * Ridge λ > 0: the pairs of A + λI are (s_i, y_i + λs_i), so the recursion runs on those (ρ_i = 1/(s_iᵀy_i + λ‖s_i‖²),
 * H₀ = h0/(1 + λh0)), an approximation of (A + λI)⁻¹ from the same pairs; λ = 0 is the plain recursion, to the bit.
 * Allocates one array of pairs.length numbers per call.
 *
 * The quasi-Newton pairs of a forward solve (SHINE, Ramzi et al., ICLR 2022) give v ≈ H⁻¹∇_zF with no product at
 * all, or a preconditioner for CG ({@link lbfgsPreconditioner}).
 *
 * @example lbfgsInverse({ pairs, h0: 1 }, gradOuterZ, v) // v ≈ H⁻¹∇_zF (SHINE)
 */
export function lbfgsInverse(approx: InverseHessianApprox, q: Float64Array, out: Float64Array, ridge = 0): Float64Array {
  const { pairs, h0 } = approx;
  const n = q.length;
  const alpha = new Float64Array(pairs.length);
  out.set(q);
  if (ridge === 0) {
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
  const rhoRidge = new Float64Array(pairs.length);
  for (let i = 0; i < pairs.length; i++) {
    const { s, rho } = pairs[i];
    rhoRidge[i] = 1 / (1 / rho + ridge * dot(s, s));
  }
  for (let i = pairs.length - 1; i >= 0; i--) {
    const { s, y } = pairs[i];
    const a = rhoRidge[i] * dot(s, out);
    alpha[i] = a;
    for (let k = 0; k < n; k++) out[k] -= a * (y[k] + ridge * s[k]);
  }
  const h0Ridge = h0 / (1 + ridge * h0);
  for (let k = 0; k < n; k++) out[k] *= h0Ridge;
  for (let i = 0; i < pairs.length; i++) {
    const { s, y } = pairs[i];
    let yr = 0;
    for (let k = 0; k < n; k++) yr += (y[k] + ridge * s[k]) * out[k];
    const c = alpha[i] - rhoRidge[i] * yr;
    for (let k = 0; k < n; k++) out[k] += c * s[k];
  }
  return out;
}

/**
 * The L-BFGS inverse of `approx` as a preconditioner `(r, out) => out ← B⁻¹r` for {@link conjugateGradient} and the
 * other solvers: symmetric positive definite when every ρ > 0 and h0 > 0, so it suits preconditioned CG.
 *
 * @example conjugateGradient(hvp, b, x, { precond: lbfgsPreconditioner(qn.approx()) })
 */
export function lbfgsPreconditioner(approx: InverseHessianApprox, ridge = 0): Precond {
  return (r, out) => {
    lbfgsInverse(approx, r, out, ridge);
  };
}
