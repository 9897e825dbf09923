/**
 * A parametric regularizer R_θ of the lower level `min_z ½‖Az − y‖² + R_θ(z)`, bound to one image geometry.
 * θ is the whole outer variable x. Every method works on the image stored at an offset of a long vector (a batch of
 * images back to back) and *accumulates* `scale ×` its result into `out`, so a batch mean is a loop over images.
 * Implementations own their scratch buffers and do not allocate per call.
 */
export interface PatchRegularizer {
  readonly width: number;
  readonly height: number;
  /** R_θ(z). */
  value(theta: Float64Array, z: Float64Array, zo: number): number;
  /** out[oo…] += scale·∇_z R_θ(z). */
  grad(theta: Float64Array, z: Float64Array, zo: number, out: Float64Array, oo: number, scale: number): void;
  /** out[oo…] += scale·∇²_zz R_θ(z)·v. */
  hvp(theta: Float64Array, z: Float64Array, zo: number, v: Float64Array, vo: number, out: Float64Array, oo: number, scale: number): void;
  /** out[0…dimθ) += scale·∇²_θz R_θ(z)·v, the θ-gradient of ⟨∇_z R_θ(z), v⟩. */
  cross(theta: Float64Array, z: Float64Array, zo: number, v: Float64Array, vo: number, out: Float64Array, scale: number): void;
  /** out[0…dimθ) += scale·∇_θ R_θ(z). */
  gradTheta(theta: Float64Array, z: Float64Array, zo: number, out: Float64Array, scale: number): void;
  /**
   * sup_z ‖∇²_zz R_θ(z)‖ on images of this size, the smoothness that sets FISTA's step: the family's bound, or a
   * tighter value the kernels compute for this geometry (documented by each family).
   */
  curvature(theta: Float64Array): number;
}

/** A family of regularizers: its parameters, its default start, and the per-geometry kernels. */
export interface Regularizer {
  /** `tv` (smoothed total variation) or `foe` (Field of Experts). */
  readonly name: 'tv' | 'foe';
  /** Number of parameters θ (= dimX of the bilevel problem). */
  readonly dimTheta: number;
  /** The starting θ of training. */
  initialTheta(): Float64Array;
  /** An upper bound on ‖∇²_zz R_θ(z)‖ valid for every z (the smoothness of R_θ). */
  curvatureBound(theta: Float64Array): number;
  /** The kernels for images of this size. */
  bind(width: number, height: number): PatchRegularizer;
  /** Human-readable facts (sizes, parametrization) for logs and summaries. */
  readonly info: Readonly<Record<string, string | number | boolean>>;
}
