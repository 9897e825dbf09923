import type { OptimalityCondition } from './optimality-condition';
import { dimension, product } from './optimality-condition';

/** The products of a fixed-point map T(z, x) at its fixed point z* = T(z*, x). */
export interface FixedPointConditionSpec {
  readonly dimZ: number;
  readonly dimX: number;
  /** out ← ∂_zTᵀ·u (length dimZ). */
  readonly vjpZ: (u: Float64Array, out: Float64Array) => void;
  /** out ← ∂_xTᵀ·u (length dimX). */
  readonly vjpX: (u: Float64Array, out: Float64Array) => void;
  /** out ← ∂_zT·v (length dimZ); needed only by normal-equation CG. */
  readonly jvpZ?: (v: Float64Array, out: Float64Array) => void;
  /** ∂_zT is symmetric (T a gradient step z − α∇g, a proximal step of a quadratic…). Default false. */
  readonly symmetric?: boolean;
}

/**
 * The optimality condition of a fixed point z* = T(z*, x) (a DEQ layer, an iterative solver's map, jaxopt's
 * `custom_fixed_point`), written F = z − T(z, x) = 0 (F's sign does not change the VJP):
 *
 *   ∂_zF = I − ∂_zT,   ∂_zFᵀu = u − ∂_zTᵀu,   ∂_xFᵀu = −∂_xTᵀu.
 *
 * For a contraction (‖∂_zT‖ < 1) the Neumann series with η = 1 is the classic backward fixed-point iteration
 * u ← w + ∂_zTᵀu; GMRES (the default, ∂_zT being non-symmetric in general) converges much faster. `definite` is
 * true only when `symmetric` is (I − ∂_zT is then positive definite for a symmetric contraction).
 *
 * @example fixedPointCondition({ dimZ, dimX, vjpZ: (u, out) => vjpTz(u, out), vjpX: (u, out) => vjpTx(u, out) })
 */
export function fixedPointCondition(spec: FixedPointConditionSpec): OptimalityCondition {
  const fn = 'fixedPointCondition';
  const dimZ = dimension(fn, 'dimZ', spec.dimZ);
  const dimX = dimension(fn, 'dimX', spec.dimX);
  const tz = product(fn, 'vjpZ', spec.vjpZ, '∂_zTᵀ·u');
  const tx = product(fn, 'vjpX', spec.vjpX, '∂_xTᵀ·u');
  const tzT = spec.jvpZ === undefined ? undefined : product(fn, 'jvpZ', spec.jvpZ, '∂_zT·v');
  const symmetric = spec.symmetric ?? false;
  if (typeof symmetric !== 'boolean') throw new RangeError(`${fn}: symmetric must be a boolean, received ${String(symmetric)}`);
  const vjpZ = (u: Float64Array, out: Float64Array) => {
    tz(u, out);
    for (let i = 0; i < dimZ; i++) out[i] = u[i] - out[i];
  };
  const jvpZ = tzT
    ? (v: Float64Array, out: Float64Array) => {
        tzT(v, out);
        for (let i = 0; i < dimZ; i++) out[i] = v[i] - out[i];
      }
    : symmetric
      ? vjpZ
      : undefined;
  return {
    kind: 'fixed-point',
    dimZ,
    dimX,
    symmetric,
    definite: symmetric,
    ...(jvpZ ? { jvpZ } : {}),
    vjpZ,
    vjpX: (u, out) => {
      tx(u, out);
      for (let i = 0; i < dimX; i++) out[i] = -out[i];
    },
  };
}
