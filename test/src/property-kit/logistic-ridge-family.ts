// A user's own family of bilevel problems for the property kit: not quadratic (a logistic inner loss), written as a
// class with #private fields, with no closed form: exact evaluation by the generic L-BFGS + Newton–CG solve and CG,
// and its constants estimated from its oracles (estimateConstants), as a user without closed-form bounds would.
import fc from 'fast-check';
import { Rng } from '@bilevel/linalg';
import type { Hypergradient, InnerSolution, InnerSolveOptions } from '@bilevel/problems';
import { fullBatch, hypergradientCg, solveInnerLbfgs } from '@bilevel/problems';
import type { BilevelConstants, GeneratedProblem, ProblemWithConstants } from '@bilevel/verify';
import { estimateConstants } from '@bilevel/verify';

/** The parameters a problem of the family is built from (`new LogisticRidgeProblem(params)` rebuilds it). */
export interface LogisticRidgeParams {
  readonly dimZ: number;
  readonly dimX: number;
  readonly nInner: number;
  readonly nOuter: number;
  /** μ₀: the inner ridge, so G(·, x) is μ₀-strongly convex. */
  readonly mu0: number;
  /** ν: the outer ridge on x. */
  readonly nu: number;
  /** ‖C‖_F / μ₀: the coupling of x into the inner problem, relative to μ₀. */
  readonly cross: number;
  readonly seed: number;
}

const softplus = (t: number) => Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)));
const sigmoid = (t: number) => (t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t)));

/**
 * inner  g_j(z, x) = softplus(a_jᵀz) − y_j·a_jᵀz + (μ₀/2)‖z‖² − zᵀCx      (logistic loss, labels y_j ∈ {0, 1})
 * outer  f_i(z, x) = ½(d_iᵀz − e_i)² + (ν/2)‖x‖²
 * z*(x) is nonlinear in x, so h is not quadratic; ‖C‖_F = cross·μ₀ keeps ‖dz*∕dx‖ ≤ cross.
 */
export class LogisticRidgeProblem implements ProblemWithConstants {
  readonly #p: LogisticRidgeParams;
  readonly #a: Float64Array;
  readonly #y: Float64Array;
  readonly #c: Float64Array;
  readonly #d: Float64Array;
  readonly #e: Float64Array;
  readonly #full: { inner: Int32Array; outer: Int32Array };
  readonly #t: Float64Array;
  #constants?: BilevelConstants;

  constructor(params: LogisticRidgeParams) {
    this.#p = params;
    const { dimZ, dimX, nInner, nOuter, mu0, cross, seed } = params;
    const rng = Rng.fromSeed(seed);
    const scale = 1 / Math.sqrt(dimZ);
    this.#a = Float64Array.from(rng.normals(new Float64Array(nInner * dimZ)), (v) => v * scale);
    this.#y = Float64Array.from(rng.normals(new Float64Array(nInner)), (v) => (v > 0 ? 1 : 0));
    const c = rng.normals(new Float64Array(dimZ * dimX));
    const frob = Math.hypot(...c);
    this.#c = Float64Array.from(c, (v) => (frob > 0 ? (v / frob) * cross * mu0 : 0));
    this.#d = Float64Array.from(rng.normals(new Float64Array(nOuter * dimZ)), (v) => v * scale);
    this.#e = rng.normals(new Float64Array(nOuter));
    this.#full = { inner: fullBatch(nInner), outer: fullBatch(nOuter) };
    this.#t = new Float64Array(Math.max(nInner, nOuter));
  }

  get name() {
    return 'logistic-ridge';
  }
  get dimZ() {
    return this.#p.dimZ;
  }
  get dimX() {
    return this.#p.dimX;
  }
  get nInner() {
    return this.#p.nInner;
  }
  get nOuter() {
    return this.#p.nOuter;
  }
  get precision() {
    return 'float64' as const;
  }
  get fullInner() {
    return this.#full.inner;
  }
  get fullOuter() {
    return this.#full.outer;
  }
  get params(): LogisticRidgeParams {
    return this.#p;
  }

  /** t_k = a_jᵀz for j = batch[k] (rows of `m`, width dimZ). */
  #rows(m: Float64Array, batch: Int32Array, z: Float64Array): Float64Array {
    const d = this.#p.dimZ;
    for (let k = 0; k < batch.length; k++) {
      let s = 0;
      const off = batch[k] * d;
      for (let i = 0; i < d; i++) s += m[off + i] * z[i];
      this.#t[k] = s;
    }
    return this.#t;
  }
  /** zᵀCx. */
  #zCx(z: Float64Array, x: Float64Array): number {
    const { dimZ, dimX } = this.#p;
    let s = 0;
    for (let i = 0; i < dimZ; i++) for (let k = 0; k < dimX; k++) s += z[i] * this.#c[i * dimX + k] * x[k];
    return s;
  }

  innerValue(z: Float64Array, x: Float64Array, batch: Int32Array): number {
    const t = this.#rows(this.#a, batch, z);
    let s = 0;
    for (let k = 0; k < batch.length; k++) s += softplus(t[k]) - this.#y[batch[k]] * t[k];
    let zz = 0;
    for (let i = 0; i < this.dimZ; i++) zz += z[i] * z[i];
    return s / batch.length + 0.5 * this.#p.mu0 * zz - this.#zCx(z, x);
  }
  innerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    const { dimZ, dimX, mu0 } = this.#p;
    const t = this.#rows(this.#a, batch, z);
    for (let i = 0; i < dimZ; i++) {
      let cx = 0;
      for (let k = 0; k < dimX; k++) cx += this.#c[i * dimX + k] * x[k];
      out[i] = mu0 * z[i] - cx;
    }
    for (let k = 0; k < batch.length; k++) {
      const w = (sigmoid(t[k]) - this.#y[batch[k]]) / batch.length;
      const off = batch[k] * dimZ;
      for (let i = 0; i < dimZ; i++) out[i] += w * this.#a[off + i];
    }
  }
  innerHvp(z: Float64Array, _x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    const { dimZ, mu0 } = this.#p;
    const t = Float64Array.from(this.#rows(this.#a, batch, z).subarray(0, batch.length));
    const av = this.#rows(this.#a, batch, v);
    for (let i = 0; i < dimZ; i++) out[i] = mu0 * v[i];
    for (let k = 0; k < batch.length; k++) {
      const s = sigmoid(t[k]);
      const w = (s * (1 - s) * av[k]) / batch.length;
      const off = batch[k] * dimZ;
      for (let i = 0; i < dimZ; i++) out[i] += w * this.#a[off + i];
    }
  }
  innerCross(_z: Float64Array, _x: Float64Array, v: Float64Array, _batch: Int32Array, out: Float64Array): void {
    const { dimZ, dimX } = this.#p;
    for (let k = 0; k < dimX; k++) {
      let s = 0;
      for (let i = 0; i < dimZ; i++) s -= this.#c[i * dimX + k] * v[i];
      out[k] = s;
    }
  }
  outerValue(z: Float64Array, x: Float64Array, batch: Int32Array): number {
    const t = this.#rows(this.#d, batch, z);
    let s = 0;
    for (let k = 0; k < batch.length; k++) s += 0.5 * (t[k] - this.#e[batch[k]]) ** 2;
    let xx = 0;
    for (let k = 0; k < this.dimX; k++) xx += x[k] * x[k];
    return s / batch.length + 0.5 * this.#p.nu * xx;
  }
  outerGradZ(z: Float64Array, _x: Float64Array, batch: Int32Array, out: Float64Array): void {
    const dimZ = this.dimZ;
    const t = this.#rows(this.#d, batch, z);
    out.fill(0, 0, dimZ);
    for (let k = 0; k < batch.length; k++) {
      const w = (t[k] - this.#e[batch[k]]) / batch.length;
      const off = batch[k] * dimZ;
      for (let i = 0; i < dimZ; i++) out[i] += w * this.#d[off + i];
    }
  }
  outerGradX(_z: Float64Array, x: Float64Array, _batch: Int32Array, out: Float64Array): void {
    for (let k = 0; k < this.dimX; k++) out[k] = this.#p.nu * x[k];
  }
  solveInner(x: Float64Array, options?: InnerSolveOptions): InnerSolution {
    return solveInnerLbfgs(this, x, options);
  }
  hypergradient(x: Float64Array, options?: InnerSolveOptions): Hypergradient {
    return hypergradientCg(this, x, (xx, o) => this.solveInner(xx, o), options);
  }
  /** No closed form: estimated once from the oracles, with estimateConstants' safety factor. */
  bilevelConstants(): BilevelConstants {
    return (this.#constants ??= estimateConstants(this));
  }
}

/** A generated problem of the family, printed in counterexamples as the call that rebuilds it. */
export type GeneratedLogisticRidge = GeneratedProblem<LogisticRidgeProblem> & { readonly params: LogisticRidgeParams };

/** Small problems of the family (milliseconds per run). */
export function logisticRidgeArb(): fc.Arbitrary<GeneratedLogisticRidge> {
  return fc
    .record({
      dimZ: fc.integer({ min: 1, max: 4 }),
      dimX: fc.integer({ min: 1, max: 3 }),
      nInner: fc.integer({ min: 8, max: 24 }),
      nOuter: fc.integer({ min: 8, max: 24 }),
      mu0: fc.integer({ min: 2, max: 10 }).map((k) => k / 10),
      nu: fc.integer({ min: 5, max: 50 }).map((k) => k / 100),
      cross: fc.integer({ min: 0, max: 5 }).map((k) => k / 10),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
    })
    .map((params) => {
      const text = `new LogisticRidgeProblem(${JSON.stringify(params)})`;
      return { params, problem: new LogisticRidgeProblem(params), toString: () => text, [fc.toStringMethod]: () => text };
    });
}
