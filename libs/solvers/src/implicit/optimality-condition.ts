/**
 * An optimality condition F(z, x) = 0 that defines z*(x) implicitly, given by its products at (z*, x) — the data
 * the implicit function theorem needs, and nothing else (the style of jaxopt's `custom_root`, over explicit
 * products instead of a traced function):
 *
 *   J = −(∂_zF)⁻¹ ∂_xF (J the Jacobian of z*),   so the VJP of the solution map is  x̄ = −∂_xFᵀu  with  ∂_zFᵀu = w.
 *
 * Built by {@link gradientCondition} (F = ∇_z g), {@link bilevelCondition} (the same from a BilevelProblem),
 * {@link fixedPointCondition} (F = z − T(z, x)) and {@link kktCondition} (equality and inequality constraints), or
 * by hand; an autodiff engine supplies the products through an adapter. All products write into `out` (a buffer
 * distinct from the input) and must not keep references to their arguments.
 */
export interface OptimalityCondition {
  /** What built it (`gradient`, `fixed-point`, `kkt`, or a user's label), for diagnostics. */
  readonly kind: string;
  /** Length of the condition's unknown: z, or (z, ν, λ) for a KKT system. */
  readonly dimZ: number;
  /** Length of x. */
  readonly dimX: number;
  /** Length of the primal part of the unknown (z only), when shorter than `dimZ` (KKT): a cotangent of that length is padded with zeros. */
  readonly primalDim?: number;
  /** ∂_zF is symmetric (a Hessian, a KKT matrix without inequalities): vjpZ = jvpZ. */
  readonly symmetric: boolean;
  /** ∂_zF is (assumed) positive definite: z* is a strict minimum of a smooth inner loss. CG is then the default. */
  readonly definite: boolean;
  /** out ← ∂_zF·v (length dimZ). Needed by normal-equation CG on a non-symmetric condition; optional otherwise. */
  jvpZ?(v: Float64Array, out: Float64Array): void;
  /** out ← ∂_zFᵀ·u (length dimZ). */
  vjpZ(u: Float64Array, out: Float64Array): void;
  /** out ← ∂_xFᵀ·u (length dimX). */
  vjpX(u: Float64Array, out: Float64Array): void;
}

/** A product `(input, out) => void`, checked to be a function. */
export type Product = (input: Float64Array, out: Float64Array) => void;

/** Throws unless `value` is a positive integer (a dimension), naming the function and the field. */
export function dimension(fn: string, field: string, value: unknown, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new RangeError(`${fn}: ${field} must be ${allowZero ? 'an integer ≥ 0' : 'a positive integer'}, received ${String(value)}`);
  }
  return value;
}

/** Throws unless `value` is a function, naming the function, the field and what the product computes. */
export function product(fn: string, field: string, value: unknown, what: string): Product {
  if (typeof value !== 'function') throw new RangeError(`${fn}: ${field} must be a function (v, out) => void writing ${what}, received ${typeof value}`);
  return value as Product;
}
