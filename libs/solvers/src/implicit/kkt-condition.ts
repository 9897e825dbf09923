import type { OptimalityCondition } from './optimality-condition';
import { dimension, product } from './optimality-condition';

/** The products of one block of constraints at (z*, x): h(z, x) = 0 (equality) or c(z, x) ≤ 0 (inequality). */
export interface ConstraintProducts {
  /** Number of constraints. */
  readonly dim: number;
  /** out ← ∂_z h·v (length dim). */
  readonly jvpZ: (v: Float64Array, out: Float64Array) => void;
  /** out ← ∂_z hᵀ·u (length dimZ). */
  readonly vjpZ: (u: Float64Array, out: Float64Array) => void;
  /** out ← ∂_x hᵀ·u (length dimX). */
  readonly vjpX: (u: Float64Array, out: Float64Array) => void;
}

/** The inequality block adds the values c(z*, x) ≤ 0 and the multipliers λ ≥ 0 at the solution. */
export interface InequalityProducts extends ConstraintProducts {
  readonly value: Float64Array;
  readonly multipliers: Float64Array;
}

/** The KKT system of min_z g(z, x) s.t. h(z, x) = 0, c(z, x) ≤ 0 at a primal-dual solution (z*, ν*, λ*). */
export interface KktConditionSpec {
  readonly dimZ: number;
  readonly dimX: number;
  /** out ← ∇²_zz L·v, L = g + ν*ᵀh + λ*ᵀc the Lagrangian at the multipliers (length dimZ). */
  readonly hvp: (v: Float64Array, out: Float64Array) => void;
  /** out ← ∇²_xz L·u, the x-gradient of ⟨∇_z L, u⟩ (length dimX). */
  readonly cross: (u: Float64Array, out: Float64Array) => void;
  readonly equality?: ConstraintProducts;
  readonly inequality?: InequalityProducts;
}

/**
 * The optimality condition of a constrained inner problem min_z g(z, x) s.t. h(z, x) = 0 (p equalities) and
 * c(z, x) ≤ 0 (q inequalities), over the unknown y = (z, ν, λ) of length n + p + q (jaxopt's `make_kkt_optimality_fun`):
 *
 *   F(y, x) = [ ∇_z L ; h ; λ ⊙ c ],   L = g + νᵀh + λᵀc,
 *
 *   ∂_yF = [ ∇²_zz L   ∂_zhᵀ   ∂_zcᵀ  ]        ∂_xFᵀu = ∇²_xz L·u_z + ∂_xhᵀu_ν + ∂_xcᵀ(λ ⊙ u_λ).
 *          [ ∂_zh      0       0      ]
 *          [ λ⊙∂_zc    0       diag c ]
 *
 * Covered: equality constraints (symmetric, indefinite saddle-point matrix) and inequality constraints through the
 * complementarity row, which is nonsingular under strict complementarity (an active constraint has λ_i > 0, an
 * inactive one c_i < 0, so dλ_i = 0 there); a degenerate constraint (c_i = λ_i = 0) makes ∂_yF singular, which
 * the fallback of {@link implicitVjp} (ridge) handles. Not covered: conic or non-smooth constraints. The cotangent of
 * z* alone (length n) is padded with zeros for ν and λ (`primalDim`); x̄ is the VJP of z*(x). GMRES is the default
 * solver (the matrix is indefinite even when symmetric, so CG does not apply).
 *
 * @example kktCondition({ dimZ: n, dimX, hvp, cross, equality: { dim: p, jvpZ: (v, o) => gemv(1, C, v, 0, o), vjpZ: (u, o) => gemv(1, C, u, 0, o, true), vjpX } })
 */
export function kktCondition(spec: KktConditionSpec): OptimalityCondition {
  const fn = 'kktCondition';
  const n = dimension(fn, 'dimZ', spec.dimZ);
  const dimX = dimension(fn, 'dimX', spec.dimX);
  const hvp = product(fn, 'hvp', spec.hvp, '∇²_zz L·v');
  const cross = product(fn, 'cross', spec.cross, '∇²_xz L·u');
  const eq = spec.equality ? block(fn, 'equality', spec.equality) : undefined;
  const ineq = spec.inequality ? block(fn, 'inequality', spec.inequality) : undefined;
  const p = eq?.dim ?? 0;
  const q = ineq?.dim ?? 0;
  let c: Float64Array = new Float64Array(0);
  let lambda: Float64Array = new Float64Array(0);
  if (ineq && spec.inequality) {
    c = spec.inequality.value;
    lambda = spec.inequality.multipliers;
    if (!(c instanceof Float64Array) || c.length !== q) throw new RangeError(`${fn}: inequality.value must be a Float64Array of length ${q}, received length ${String((c as { length?: unknown })?.length)}`);
    if (!(lambda instanceof Float64Array) || lambda.length !== q) throw new RangeError(`${fn}: inequality.multipliers must be a Float64Array of length ${q}, received length ${String((lambda as { length?: unknown })?.length)}`);
    for (let i = 0; i < q; i++) {
      if (!(lambda[i] >= 0)) throw new RangeError(`${fn}: inequality.multipliers[${i}] must be ≥ 0, received ${lambda[i]}`);
    }
  }
  const dim = n + p + q;
  // one work buffer per block, allocated once with the condition
  const wz = new Float64Array(n);
  const wq = new Float64Array(q);
  const wx = new Float64Array(dimX);
  const apply = (transpose: boolean) => (v: Float64Array, out: Float64Array) => {
    const vz = v.subarray(0, n);
    const oz = out.subarray(0, n);
    hvp(vz, oz);
    if (eq) {
      eq.vjpZ(v.subarray(n, n + p), wz);
      for (let i = 0; i < n; i++) oz[i] += wz[i];
      eq.jvpZ(vz, out.subarray(n, n + p));
    }
    if (ineq) {
      const vl = v.subarray(n + p, dim);
      const ol = out.subarray(n + p, dim);
      if (transpose) {
        for (let i = 0; i < q; i++) wq[i] = lambda[i] * vl[i];
        ineq.vjpZ(wq, wz);
        for (let i = 0; i < n; i++) oz[i] += wz[i];
        ineq.jvpZ(vz, ol);
        for (let i = 0; i < q; i++) ol[i] += c[i] * vl[i];
      } else {
        ineq.vjpZ(vl, wz);
        for (let i = 0; i < n; i++) oz[i] += wz[i];
        ineq.jvpZ(vz, ol);
        for (let i = 0; i < q; i++) ol[i] = lambda[i] * ol[i] + c[i] * vl[i];
      }
    }
  };
  const vjpZ = apply(true);
  const jvpZ = q === 0 ? vjpZ : apply(false);
  return {
    kind: 'kkt',
    dimZ: dim,
    dimX,
    primalDim: n,
    symmetric: q === 0,
    definite: p === 0 && q === 0,
    jvpZ,
    vjpZ,
    vjpX(u, out) {
      cross(u.subarray(0, n), out);
      if (eq) {
        eq.vjpX(u.subarray(n, n + p), wx);
        for (let i = 0; i < dimX; i++) out[i] += wx[i];
      }
      if (ineq) {
        for (let i = 0; i < q; i++) wq[i] = lambda[i] * u[n + p + i];
        ineq.vjpX(wq, wx);
        for (let i = 0; i < dimX; i++) out[i] += wx[i];
      }
    },
  };
}

function block(fn: string, field: string, b: ConstraintProducts): ConstraintProducts {
  return {
    dim: dimension(fn, `${field}.dim`, b.dim),
    jvpZ: product(fn, `${field}.jvpZ`, b.jvpZ, '∂_z h·v'),
    vjpZ: product(fn, `${field}.vjpZ`, b.vjpZ, '∂_z hᵀ·u'),
    vjpX: product(fn, `${field}.vjpX`, b.vjpX, '∂_x hᵀ·u'),
  };
}
