// A ridge-regression hyperparameter problem with imbalanced feature scales, for the private-solver tests: coordinate
// smoothness constants spread over orders of magnitude, which is where DP-CD's per-coordinate steps pay off.
import { cholesky, choleskySolve, gemvRows, gemvRowsT, matrix, Rng, symEig } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';
import type { BilevelProblem, Hypergradient, InnerSolution } from '@bilevel/problems';
import { fullBatch } from '@bilevel/problems';

/** Options of {@link RidgeHpo}. */
export interface RidgeHpoOptions {
  /** Column scales s_j of the features (their number is dimZ). */
  readonly scales: readonly number[];
  /** Training samples n. */
  readonly n: number;
  /** Validation samples m. Default n. */
  readonly m?: number;
  /** Label noise std. Default 0.5. */
  readonly noise?: number;
  readonly seed: number;
}

/**
 *   inner  G(z, x) = (1/n) Σ_i ½(a_iᵀz − b_i)² + ½e^x‖z‖²     a_ij = s_j·u_ij, u ~ N(0, 1)
 *   outer  F(z)    = (1/m) Σ_i ½(c_iᵀz − d_i)²
 * with labels b = A w° + noise, w°_j ~ N(0, 1)/s_j (every feature contributes alike), x scalar.
 * Coordinate smoothness M_j = (1/n)Σ_i a_ij² + e^x ≈ s_j² + e^x. Closed-form z*(x), v*(x), ∇h(x).
 */
export class RidgeHpo implements BilevelProblem {
  readonly name = 'ridge-hpo';
  readonly precision = 'float64' as const;
  readonly dimZ: number;
  readonly dimX = 1;
  readonly nInner: number;
  readonly nOuter: number;
  readonly fullInner: Int32Array;
  readonly fullOuter: Int32Array;
  readonly A: Matrix;
  readonly b: Float64Array;
  readonly C: Matrix;
  readonly d: Float64Array;
  /** (1/n) AᵀA. */
  readonly gram: Matrix;
  private readonly u: Float64Array;

  constructor(options: RidgeHpoOptions) {
    const p = options.scales.length;
    const n = options.n;
    const m = options.m ?? n;
    const noise = options.noise ?? 0.5;
    const rng = Rng.fromSeed(options.seed);
    this.dimZ = p;
    this.nInner = n;
    this.nOuter = m;
    this.fullInner = fullBatch(n);
    this.fullOuter = fullBatch(m);
    const wTrue = Float64Array.from(options.scales, (s) => rng.normal() / s);
    const draw = (rows: number) => {
      const M = matrix(rows, p);
      const y = new Float64Array(rows);
      for (let i = 0; i < rows; i++) {
        let dot = 0;
        for (let j = 0; j < p; j++) {
          const v = options.scales[j] * rng.normal();
          M.data[i * p + j] = v;
          dot += v * wTrue[j];
        }
        y[i] = dot + noise * rng.normal();
      }
      return { M, y };
    };
    ({ M: this.A, y: this.b } = draw(n));
    ({ M: this.C, y: this.d } = draw(m));
    this.gram = matrix(p, p);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) for (let k = 0; k < p; k++) this.gram.data[j * p + k] += (this.A.data[i * p + j] * this.A.data[i * p + k]) / n;
    }
    this.u = new Float64Array(Math.max(n, m));
  }

  /** M_j = (1/n) Σ_i a_ij² + e^x: the exact coordinate smoothness of G(·, x). */
  coordinateSmoothness(x: number): number[] {
    return Array.from({ length: this.dimZ }, (_, j) => this.gram.data[j * this.dimZ + j] + Math.exp(x));
  }

  private residual(M: Matrix, y: Float64Array, z: Float64Array, batch: Int32Array): Float64Array {
    gemvRows(M, batch, z, this.u);
    for (let k = 0; k < batch.length; k++) this.u[k] -= y[batch[k]];
    return this.u;
  }

  innerValue(z: Float64Array, x: Float64Array, batch: Int32Array): number {
    const r = this.residual(this.A, this.b, z, batch);
    let s = 0;
    for (let k = 0; k < batch.length; k++) s += 0.5 * r[k] * r[k];
    let zz = 0;
    for (let j = 0; j < this.dimZ; j++) zz += z[j] * z[j];
    return s / batch.length + 0.5 * Math.exp(x[0]) * zz;
  }

  outerValue(z: Float64Array, _x: Float64Array, batch: Int32Array): number {
    const r = this.residual(this.C, this.d, z, batch);
    let s = 0;
    for (let k = 0; k < batch.length; k++) s += 0.5 * r[k] * r[k];
    return s / batch.length;
  }

  innerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    const r = this.residual(this.A, this.b, z, batch);
    gemvRowsT(1 / batch.length, this.A, batch, r, 0, out);
    const e = Math.exp(x[0]);
    for (let j = 0; j < this.dimZ; j++) out[j] += e * z[j];
  }

  innerHvp(_z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    gemvRows(this.A, batch, v, this.u);
    gemvRowsT(1 / batch.length, this.A, batch, this.u, 0, out);
    const e = Math.exp(x[0]);
    for (let j = 0; j < this.dimZ; j++) out[j] += e * v[j];
  }

  innerCross(z: Float64Array, x: Float64Array, v: Float64Array, _batch: Int32Array, out: Float64Array): void {
    let s = 0;
    for (let j = 0; j < this.dimZ; j++) s += z[j] * v[j];
    out[0] = Math.exp(x[0]) * s;
  }

  outerGradZ(z: Float64Array, _x: Float64Array, batch: Int32Array, out: Float64Array): void {
    const r = this.residual(this.C, this.d, z, batch);
    gemvRowsT(1 / batch.length, this.C, batch, r, 0, out);
  }

  outerGradX(_z: Float64Array, _x: Float64Array, _batch: Int32Array, out: Float64Array): void {
    out[0] = 0;
  }

  private hessianChol(x: Float64Array): Matrix {
    const p = this.dimZ;
    const H = matrix(p, p, Float64Array.from(this.gram.data));
    for (let j = 0; j < p; j++) H.data[j * p + j] += Math.exp(x[0]);
    return cholesky(H, matrix(p, p));
  }

  solveInner(x: Float64Array): InnerSolution {
    const z = new Float64Array(this.dimZ);
    gemvRowsT(1 / this.nInner, this.A, this.fullInner, this.b, 0, z);
    choleskySolve(this.hessianChol(x), z);
    const g = new Float64Array(this.dimZ);
    this.innerGradZ(z, x, this.fullInner, g);
    return { z, gradNorm: Math.hypot(...g), iterations: 0, converged: true, tol: 0 };
  }

  hypergradient(x: Float64Array): Hypergradient {
    const inner = this.solveInner(x);
    const fz = new Float64Array(this.dimZ);
    this.outerGradZ(inner.z, x, this.fullOuter, fz);
    const v = Float64Array.from(fz, (e) => -e);
    choleskySolve(this.hessianChol(x), v);
    const grad = new Float64Array(1);
    this.innerCross(inner.z, x, v, this.fullInner, grad);
    return { value: this.outerValue(inner.z, x, this.fullOuter), grad, z: inner.z, v, innerGradNorm: inner.gradNorm, innerConverged: true, innerTol: 0 };
  }

  innerConstants(x: Float64Array): { L: number; mu: number; LMaxSample: number } {
    const { values } = symEig(matrix(this.dimZ, this.dimZ, Float64Array.from(this.gram.data)));
    const e = Math.exp(x[0]);
    let rowMax = 0;
    for (let i = 0; i < this.nInner; i++) {
      let s = 0;
      for (let j = 0; j < this.dimZ; j++) s += this.A.data[i * this.dimZ + j] ** 2;
      rowMax = Math.max(rowMax, s);
    }
    return { L: values[values.length - 1] + e, mu: values[0] + e, LMaxSample: rowMax + e };
  }
}
