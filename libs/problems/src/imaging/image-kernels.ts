import { conjugateGradient } from '@bilevel/linalg';
import type { ForwardOperator } from './forward-operator';
import { fista, fistaWorkspace } from './fista';
import type { ObservedPatchSet } from './patch-set';
import type { PatchRegularizer, Regularizer } from './regularizer';

/** What {@link ImageKernels.solve} reached over a set of images. */
export interface SetSolveResult {
  /** FISTA iterations summed over the images. */
  readonly iterations: number;
  /** The largest per-image ‖∇g_j‖ at the returned point. */
  readonly worstGradNorm: number;
  readonly converged: boolean;
}

/**
 * The per-image lower level of one set of equally sized images (internal to the imaging problems):
 *   g_j(z_j, θ) = ½‖A z_j − y_j‖² + ½γ‖z_j‖² + R_θ(z_j)
 * (γ: a fixed ridge, 0 by default for denoising), with its value, gradient, Hessian-vector product, a per-image
 * FISTA solve and a per-image CG solve. Image j lives at offset j·P of the vectors it is given.
 */
export class ImageKernels {
  readonly P: number;
  readonly reg: PatchRegularizer;
  private readonly tmp: Float64Array;
  private readonly work;
  private readonly local: Float64Array;

  constructor(
    readonly op: ForwardOperator,
    readonly family: Regularizer,
    readonly ridge: number,
    readonly set: ObservedPatchSet,
  ) {
    this.P = set.width * set.height;
    this.reg = family.bind(set.width, set.height);
    this.tmp = new Float64Array(this.P);
    this.work = fistaWorkspace(this.P);
    this.local = new Float64Array(this.P);
  }

  /** Smoothness of every g_j: ‖A‖² + γ + the curvature of R_θ on this geometry. */
  lipschitz(theta: Float64Array): number {
    return this.op.normSquaredBound + this.ridge + this.reg.curvature(theta);
  }

  /** Strong convexity of every g_j: λ_min(AᵀA) (bound) + γ. */
  get strongConvexity(): number {
    return this.op.minEigenvalueBound + this.ridge;
  }

  /** g_j at the image stored at z[zo…]. */
  value(theta: Float64Array, z: Float64Array, zo: number, j: number): number {
    const { P, tmp, set, ridge } = this;
    this.op.apply(z, zo, tmp, 0);
    let data = 0;
    let norm = 0;
    for (let p = 0; p < P; p++) {
      const r = tmp[p] - set.observed[j * P + p];
      data += r * r;
      norm += z[zo + p] * z[zo + p];
    }
    return 0.5 * data + 0.5 * ridge * norm + this.reg.value(theta, z, zo);
  }

  /** out[oo…] += scale·∇g_j(z[zo…]). */
  grad(theta: Float64Array, z: Float64Array, zo: number, j: number, out: Float64Array, oo: number, scale: number): void {
    const { P, tmp, set } = this;
    const y = set.observed;
    const yo = j * P;
    if (this.op.name === 'identity') {
      const c = 1 + this.ridge;
      for (let p = 0; p < P; p++) out[oo + p] += scale * (c * z[zo + p] - y[yo + p]);
    } else {
      this.op.apply(z, zo, tmp, 0);
      for (let p = 0; p < P; p++) tmp[p] -= y[yo + p];
      this.op.adjointAdd(tmp, 0, out, oo, scale);
      if (this.ridge !== 0) for (let p = 0; p < P; p++) out[oo + p] += scale * this.ridge * z[zo + p];
    }
    this.reg.grad(theta, z, zo, out, oo, scale);
  }

  /** out[oo…] += scale·∇²g_j(z[zo…])·v[vo…]. */
  hvp(theta: Float64Array, z: Float64Array, zo: number, v: Float64Array, vo: number, out: Float64Array, oo: number, scale: number): void {
    const { P, tmp } = this;
    if (this.op.name === 'identity') {
      const c = scale * (1 + this.ridge);
      for (let p = 0; p < P; p++) out[oo + p] += c * v[vo + p];
    } else {
      this.op.apply(v, vo, tmp, 0);
      this.op.adjointAdd(tmp, 0, out, oo, scale);
      if (this.ridge !== 0) for (let p = 0; p < P; p++) out[oo + p] += scale * this.ridge * v[vo + p];
    }
    this.reg.hvp(theta, z, zo, v, vo, out, oo, scale);
  }

  /**
   * Solves every image's lower level by warm-started FISTA (step 1/L, strongly convex momentum) until
   * ‖∇g_j‖ ≤ tol for each image j (or `maxIter` iterations per image); z holds the whole set, updated in place.
   */
  solve(theta: Float64Array, z: Float64Array, tol: number, maxIter: number): SetSolveResult {
    const { P, local } = this;
    const L = this.lipschitz(theta);
    const mu = this.strongConvexity;
    let iterations = 0;
    let worst = 0;
    for (let j = 0; j < this.set.count; j++) {
      local.set(z.subarray(j * P, (j + 1) * P));
      const res = fista(
        (u, g) => {
          g.fill(0);
          this.grad(theta, u, 0, j, g, 0, 1);
        },
        local,
        this.work,
        { L, mu, tol, maxIter },
      );
      z.set(local, j * P);
      iterations += res.iterations;
      worst = Math.max(worst, res.gradNorm);
    }
    return { iterations, worstGradNorm: worst, converged: worst <= tol };
  }

  /**
   * v_j ← solution of ∇²g_j(z_j)·v_j = b_j for every image, by CG from v (warm start) to relative residual
   * `rtol` per image; returns the CG iterations summed over the images.
   */
  solveLinear(theta: Float64Array, z: Float64Array, b: Float64Array, v: Float64Array, rtol: number): number {
    const { P } = this;
    const bj = new Float64Array(P);
    const vj = new Float64Array(P);
    let iterations = 0;
    for (let j = 0; j < this.set.count; j++) {
      bj.set(b.subarray(j * P, (j + 1) * P));
      vj.set(v.subarray(j * P, (j + 1) * P));
      const res = conjugateGradient(
        (u, out) => {
          out.fill(0);
          this.hvp(theta, z, j * P, u, 0, out, 0, 1);
        },
        bj,
        vj,
        { rtol, atol: 1e-300, maxIter: 20 * P },
      );
      v.set(vj, j * P);
      iterations += res.iterations;
    }
    return iterations;
  }
}
