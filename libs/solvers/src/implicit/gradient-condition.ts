import type { BilevelProblem } from '@bilevel/problems';
import type { OptimalityCondition } from './optimality-condition';
import { dimension, product } from './optimality-condition';

/** The products of a gradient condition F = ∇_z g(z, x) at (z*, x). */
export interface GradientConditionSpec {
  readonly dimZ: number;
  readonly dimX: number;
  /** out ← ∇²_zz g·v, the Hessian-vector product (length dimZ). */
  readonly hvp: (v: Float64Array, out: Float64Array) => void;
  /** out ← ∇²_xz g·u, the cross product: the x-gradient of ⟨∇_z g, u⟩ (length dimX). */
  readonly cross: (u: Float64Array, out: Float64Array) => void;
  /** Whether ∇²_zz g is positive definite at z* (a strict minimum). Default true. */
  readonly definite?: boolean;
}

/**
 * The optimality condition of an unconstrained inner problem z*(x) = argmin_z g(z, x): F = ∇_z g = 0, so
 * ∂_zF = ∇²_zz g (symmetric: jvpZ = vjpZ = the HVP) and ∂_xFᵀu = ∇²_xz g·u (the cross product). With w = ∇_zf the
 * implicit VJP is the hypergradient's second term: ∇h = ∇_x f + implicitVjp(condition, ∇_z f).xBar.
 *
 * @example const cond = gradientCondition({ dimZ, dimX, hvp: (v, out) => hess(v, out), cross: (u, out) => cross(u, out) })
 */
export function gradientCondition(spec: GradientConditionSpec): OptimalityCondition {
  const fn = 'gradientCondition';
  const dimZ = dimension(fn, 'dimZ', spec.dimZ);
  const dimX = dimension(fn, 'dimX', spec.dimX);
  const hvp = product(fn, 'hvp', spec.hvp, '∇²_zz g·v');
  const cross = product(fn, 'cross', spec.cross, '∇²_xz g·u');
  const definite = spec.definite ?? true;
  if (typeof definite !== 'boolean') throw new RangeError(`${fn}: definite must be a boolean, received ${String(definite)}`);
  return { kind: 'gradient', dimZ, dimX, symmetric: true, definite, jvpZ: hvp, vjpZ: hvp, vjpX: cross };
}

/**
 * {@link gradientCondition} of a BilevelProblem's inner objective on `batch` (default the full batch) at (z*, x):
 * hvp = innerHvp, cross = innerCross, i.e. F = ∇_z g_B(z, x). `z` and `x` are read at each product (not copied):
 * keep them unchanged while the condition is in use.
 *
 * @example const { grad } = problem.hypergradient(x) // reference: ∇_xF + implicitVjp(bilevelCondition(problem, z, x), ∇_zF).xBar
 */
export function bilevelCondition(problem: BilevelProblem, z: Float64Array, x: Float64Array, batch: Int32Array = problem.fullInner): OptimalityCondition {
  const fn = 'bilevelCondition';
  if (z.length !== problem.dimZ) throw new RangeError(`${fn}: z has length ${z.length}, expected dimZ = ${problem.dimZ} of problem "${problem.name}"`);
  if (x.length !== problem.dimX) throw new RangeError(`${fn}: x has length ${x.length}, expected dimX = ${problem.dimX} of problem "${problem.name}"`);
  return gradientCondition({
    dimZ: problem.dimZ,
    dimX: problem.dimX,
    hvp: (v, out) => problem.innerHvp(z, x, v, batch, out),
    cross: (u, out) => problem.innerCross(z, x, u, batch, out),
  });
}
