import { cholesky, choleskySolve, gemm, gemv, gemvRows, gemvRowsT, matrix, randomOrthogonal, Rng, symEig } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';
import type { BilevelProblem, Hypergradient, InnerSolution, InnerSolveOptions } from './bilevel-problem';
import { fullBatch, INNER_TOL } from './bilevel-problem';

/** Options of {@link quadraticProblem}; defaults are the public benchmark's sizes. */
export interface QuadraticOptions {
  /** Dimension of z. Default 100. */
  readonly dimZ?: number;
  /** Dimension of x. Default 100. */
  readonly dimX?: number;
  /** Inner samples n (at least dimZ, so the average Hessian can be set exactly). Default 1024. */
  readonly nInner?: number;
  /** Outer samples m. Default 1024. */
  readonly nOuter?: number;
  /** Smallest eigenvalue of the average inner Hessian. Default 0.1. */
  readonly mu?: number;
  /** Largest eigenvalue of the average inner Hessian. Default 1. */
  readonly L?: number;
  /** Largest singular value of the average cross matrices. Default 0.1 (as the benchmark). */
  readonly LCross?: number;
  /** Smallest eigenvalue of the Hessian of h (made so by a ridge ½r‖x‖² in F). Default 0.1. */
  readonly muOuter?: number;
  /** Seed of the generator. Default 2442. */
  readonly seed?: number;
}

/** Geometric spacing from lo to hi, k points (hi alone when k = 1). */
function logspace(lo: number, hi: number, k: number): number[] {
  if (k === 1) return [hi];
  return Array.from({ length: k }, (_, i) => lo * Math.pow(hi / lo, i / (k - 1)));
}

/** Q·diag(f(λ))·Qᵀ for a symmetric eigendecomposition. */
function spectralMap(Q: Matrix, lambda: ArrayLike<number>, f: (l: number) => number): Matrix {
  const n = Q.rows;
  const QL = matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) QL.data[i * n + j] = Q.data[i * n + j] * f(lambda[j]);
  const out = matrix(n, n);
  gemm(1, QL, Q, 0, out, false, true);
  return out;
}

/**
 * Rows r_j (n × d) with (1/n) Σ r_j r_jᵀ = Q·diag(target)·Qᵀ exactly when n ≥ d: Gaussian rows, whitened by their
 * empirical second moment, then coloured to the target. Each sample's Hessian r_j r_jᵀ is rank one.
 */
function rankOneRows(n: number, d: number, target: number[], rng: Rng): Matrix {
  const X = matrix(n, d, rng.normals(new Float64Array(n * d)));
  const Q = randomOrthogonal(d, rng);
  const S = spectralMap(Q, target, Math.sqrt);
  if (n >= d) {
    const M = matrix(d, d);
    gemm(1 / n, X, X, 0, M, true, false);
    const { values, vectors } = symEig(M);
    const W = spectralMap(vectors, values, (l) => 1 / Math.sqrt(l));
    const T = matrix(d, d);
    gemm(1, S, W, 0, T); // T = S·M^{-1/2}: (1/n) Σ (T x_j)(T x_j)ᵀ = S² exactly
    const R = matrix(n, d);
    gemm(1, X, T, 0, R, false, true);
    return R;
  }
  const R = matrix(n, d);
  gemm(1, X, S, 0, R, false, true); // E[r rᵀ] = S², approximately in the sample mean
  return R;
}

/** Mean of the rows of M. */
function rowMean(M: Matrix): Float64Array {
  const out = new Float64Array(M.cols);
  for (let i = 0; i < M.rows; i++) for (let j = 0; j < M.cols; j++) out[j] += M.data[i * M.cols + j];
  for (let j = 0; j < M.cols; j++) out[j] /= M.rows;
  return out;
}

/** (1/n) Σ_j p_j q_jᵀ for row matrices P (n × a) and Q (n × b). */
function meanOuter(P: Matrix, Q: Matrix): Matrix {
  const out = matrix(P.cols, Q.cols);
  gemm(1 / P.rows, P, Q, 0, out, true, false);
  return out;
}

/**
 * A finite-sum quadratic bilevel problem with closed-form solution, after the public benchmark's problem (a):
 *
 *   g_j(z, x) = ½ (α_jᵀz)² + (p_jᵀx)(q_jᵀz) + a_jᵀz
 *   f_i(z, x) = ½ (γ_iᵀz)² + ½ (β_iᵀx)² + ½ r‖x‖² + (s_iᵀx)(t_iᵀz) + c_iᵀz + b_iᵀx
 *
 * Every per-sample Hessian is rank one; the average inner Hessian Ā = (1/n) Σ α_jα_jᵀ has its eigenvalues exactly
 * geometrically spaced in [μ, L] (the rows are whitened, so this holds for the sample mean, not just in
 * expectation). The average cross matrix C̄ = (1/n) Σ p_j q_jᵀ has singular values up to LCross. The ridge r is the
 * smallest value that makes the Hessian of h at least `muOuter`.
 *
 * Closed form: z*(x) = −Ā⁻¹(C̄ᵀx + ā) = Jx + z₀, v*(x) = −Ā⁻¹∇_zF(z*, x), ∇h(x) = ∇_xF(z*, x) + C̄v*,
 * ∇²h = JᵀĀ_F J + B̄_F + C̄_F J + (C̄_F J)ᵀ, x* = −(∇²h)⁻¹∇h(0).
 */
export class QuadraticProblem implements BilevelProblem {
  readonly name = 'quadratic';
  readonly precision = 'float64' as const;
  readonly dimZ: number;
  readonly dimX: number;
  readonly nInner: number;
  readonly nOuter: number;
  readonly fullInner: Int32Array;
  readonly fullOuter: Int32Array;
  readonly info: Readonly<Record<string, string | number | boolean>>;
  readonly mu: number;
  readonly L: number;
  /** Ridge weight r added to F so that ∇²h ⪰ muOuter·I. */
  readonly ridge: number;
  private readonly alpha: Matrix;
  private readonly p: Matrix;
  private readonly q: Matrix;
  private readonly a: Matrix;
  private readonly gamma: Matrix;
  private readonly beta: Matrix;
  private readonly s: Matrix;
  private readonly t: Matrix;
  private readonly c: Matrix;
  private readonly b: Matrix;
  private readonly u1: Float64Array;
  private readonly u2: Float64Array;
  /** Averages: Ā (inner Hessian), C̄ (dimX × dimZ), ā; Ā_F, B̄_F (with ridge), C̄_F, c̄, b̄. */
  private readonly Abar: Matrix;
  private readonly AbarChol: Matrix;
  private readonly Cbar: Matrix;
  private readonly abar: Float64Array;
  private readonly AFbar: Matrix;
  private readonly BFbar: Matrix;
  private readonly CFbar: Matrix;
  private readonly cbar: Float64Array;
  private readonly bbar: Float64Array;
  private readonly hessH: Matrix;
  private readonly xStar: Float64Array;
  private readonly hStar: number;
  private readonly LMaxSample: number;

  constructor(options: QuadraticOptions = {}) {
    const dz = options.dimZ ?? 100;
    const dx = options.dimX ?? 100;
    const n = options.nInner ?? 1024;
    const m = options.nOuter ?? 1024;
    const mu = options.mu ?? 0.1;
    const L = options.L ?? 1;
    const LCross = options.LCross ?? 0.1;
    const muOuter = options.muOuter ?? 0.1;
    const seed = options.seed ?? 2442;
    const check = (ok: boolean, what: string) => {
      if (!ok) throw new RangeError(`quadraticProblem: ${what}`);
    };
    check(Number.isInteger(dz) && dz >= 1 && Number.isInteger(dx) && dx >= 1, `dimZ and dimX must be positive integers, received ${dz}, ${dx}`);
    check(Number.isInteger(n) && n >= dz, `nInner must be an integer ≥ dimZ (${dz}) so the average Hessian is exact, received ${n}`);
    check(Number.isInteger(m) && m >= 1, `nOuter must be a positive integer, received ${m}`);
    check(mu > 0 && L >= mu && Number.isFinite(L), `need 0 < mu ≤ L < ∞, received mu=${mu}, L=${L}`);
    check(LCross >= 0 && Number.isFinite(LCross), `LCross must be ≥ 0, received ${LCross}`);
    check(muOuter > 0 && Number.isFinite(muOuter), `muOuter must be > 0, received ${muOuter}`);
    this.dimZ = dz;
    this.dimX = dx;
    this.nInner = n;
    this.nOuter = m;
    this.mu = mu;
    this.L = L;
    this.fullInner = fullBatch(n);
    this.fullOuter = fullBatch(m);
    const rng = Rng.fromSeed(seed);

    // inner: α_j with exact average spectrum, cross factors p_j q_jᵀ = (U D ξ_j)(V ξ_j)ᵀ with mean U D Vᵀ
    this.alpha = rankOneRows(n, dz, logspace(mu, L, dz), rng);
    const crossFactors = (rows: number) => {
      const k = Math.min(dx, dz);
      const D = LCross === 0 ? new Array<number>(k).fill(0) : logspace(LCross / 10, LCross, k);
      const U = randomOrthogonal(dx, rng);
      const V = randomOrthogonal(dz, rng);
      const xi = matrix(rows, dz, rng.normals(new Float64Array(rows * dz)));
      const P = matrix(rows, dx);
      const Qm = matrix(rows, dz);
      gemm(1, xi, V, 0, Qm, false, true); // q_j = V ξ_j
      for (let j = 0; j < rows; j++) {
        const dxi = new Float64Array(dx);
        for (let i = 0; i < k; i++) dxi[i] = D[i] * xi.data[j * dz + i];
        const pj = new Float64Array(dx);
        gemv(1, U, dxi, 0, pj);
        P.data.set(pj, j * dx);
      }
      return { P, Q: Qm };
    };
    ({ P: this.p, Q: this.q } = crossFactors(n));
    this.a = matrix(n, dz, rng.normals(new Float64Array(n * dz)));
    // outer
    this.gamma = rankOneRows(m, dz, logspace(mu, L, dz), rng);
    this.beta = rankOneRows(m, dx, logspace(mu, L, dx), rng);
    ({ P: this.s, Q: this.t } = crossFactors(m));
    this.c = matrix(m, dz, rng.normals(new Float64Array(m * dz)));
    this.b = matrix(m, dx, rng.normals(new Float64Array(m * dx)));

    // averages and closed form
    this.Abar = meanOuter(this.alpha, this.alpha);
    this.AbarChol = cholesky(this.Abar, matrix(dz, dz));
    this.Cbar = meanOuter(this.p, this.q);
    this.abar = rowMean(this.a);
    this.AFbar = meanOuter(this.gamma, this.gamma);
    this.CFbar = meanOuter(this.s, this.t);
    this.cbar = rowMean(this.c);
    this.bbar = rowMean(this.b);
    const BF0 = meanOuter(this.beta, this.beta);
    // J = −Ā⁻¹C̄ᵀ (dz × dx), column by column
    const J = matrix(dz, dx);
    const col = new Float64Array(dz);
    for (let k = 0; k < dx; k++) {
      for (let i = 0; i < dz; i++) col[i] = -this.Cbar.data[k * dz + i];
      choleskySolve(this.AbarChol, col);
      for (let i = 0; i < dz; i++) J.data[i * dx + k] = col[i];
    }
    const AJ = matrix(dz, dx);
    gemm(1, this.AFbar, J, 0, AJ);
    const H = matrix(dx, dx);
    gemm(1, J, AJ, 0, H, true, false);
    const CJ = matrix(dx, dx);
    gemm(1, this.CFbar, J, 0, CJ);
    for (let i = 0; i < dx; i++) {
      for (let j = 0; j < dx; j++) H.data[i * dx + j] += BF0.data[i * dx + j] + CJ.data[i * dx + j] + CJ.data[j * dx + i];
    }
    const lambdaMin = symEig(H).values[0];
    this.ridge = Math.max(0, muOuter - lambdaMin);
    for (let i = 0; i < dx; i++) {
      H.data[i * dx + i] += this.ridge;
      BF0.data[i * dx + i] += this.ridge;
    }
    this.BFbar = BF0;
    this.hessH = H;
    this.u1 = new Float64Array(Math.max(n, m));
    this.u2 = new Float64Array(Math.max(n, m));
    const g0 = this.hypergradient(new Float64Array(dx)).grad;
    const xs = Float64Array.from(g0, (v) => -v);
    choleskySolve(cholesky(H, matrix(dx, dx)), xs);
    this.xStar = xs;
    this.hStar = this.hypergradient(xs).value;
    let rowMax = 0;
    for (let j = 0; j < n; j++) {
      let r = 0;
      for (let i = 0; i < dz; i++) r += this.alpha.data[j * dz + i] ** 2;
      rowMax = Math.max(rowMax, r);
    }
    this.LMaxSample = rowMax;
    this.info = { dimZ: dz, dimX: dx, nInner: n, nOuter: m, mu, L, LCross, ridge: this.ridge, seed };
  }

  innerValue(z: Float64Array, x: Float64Array, batch: Int32Array): number {
    const { u1, u2 } = this;
    gemvRows(this.alpha, batch, z, u1);
    let s = 0;
    for (let k = 0; k < batch.length; k++) s += 0.5 * u1[k] * u1[k];
    gemvRows(this.p, batch, x, u1);
    gemvRows(this.q, batch, z, u2);
    for (let k = 0; k < batch.length; k++) s += u1[k] * u2[k];
    gemvRows(this.a, batch, z, u1);
    for (let k = 0; k < batch.length; k++) s += u1[k];
    return s / batch.length;
  }

  outerValue(z: Float64Array, x: Float64Array, batch: Int32Array): number {
    const { u1, u2 } = this;
    let s = 0;
    gemvRows(this.gamma, batch, z, u1);
    for (let k = 0; k < batch.length; k++) s += 0.5 * u1[k] * u1[k];
    gemvRows(this.beta, batch, x, u1);
    for (let k = 0; k < batch.length; k++) s += 0.5 * u1[k] * u1[k];
    gemvRows(this.s, batch, x, u1);
    gemvRows(this.t, batch, z, u2);
    for (let k = 0; k < batch.length; k++) s += u1[k] * u2[k];
    gemvRows(this.c, batch, z, u1);
    for (let k = 0; k < batch.length; k++) s += u1[k];
    gemvRows(this.b, batch, x, u1);
    for (let k = 0; k < batch.length; k++) s += u1[k];
    let xx = 0;
    for (let k = 0; k < this.dimX; k++) xx += x[k] * x[k];
    return s / batch.length + 0.5 * this.ridge * xx;
  }

  innerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    const { u1 } = this;
    const inv = 1 / batch.length;
    gemvRows(this.alpha, batch, z, u1);
    gemvRowsT(inv, this.alpha, batch, u1, 0, out);
    gemvRows(this.p, batch, x, u1);
    gemvRowsT(inv, this.q, batch, u1, 1, out);
    u1.fill(1, 0, batch.length);
    gemvRowsT(inv, this.a, batch, u1, 1, out);
  }

  innerHvp(_z: Float64Array, _x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    gemvRows(this.alpha, batch, v, this.u1);
    gemvRowsT(1 / batch.length, this.alpha, batch, this.u1, 0, out);
  }

  innerCross(_z: Float64Array, _x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    gemvRows(this.q, batch, v, this.u1);
    gemvRowsT(1 / batch.length, this.p, batch, this.u1, 0, out);
  }

  outerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    const { u1 } = this;
    const inv = 1 / batch.length;
    gemvRows(this.gamma, batch, z, u1);
    gemvRowsT(inv, this.gamma, batch, u1, 0, out);
    gemvRows(this.s, batch, x, u1);
    gemvRowsT(inv, this.t, batch, u1, 1, out);
    u1.fill(1, 0, batch.length);
    gemvRowsT(inv, this.c, batch, u1, 1, out);
  }

  outerGradX(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    const { u1 } = this;
    const inv = 1 / batch.length;
    gemvRows(this.beta, batch, x, u1);
    gemvRowsT(inv, this.beta, batch, u1, 0, out);
    gemvRows(this.t, batch, z, u1);
    gemvRowsT(inv, this.s, batch, u1, 1, out);
    u1.fill(1, 0, batch.length);
    gemvRowsT(inv, this.b, batch, u1, 1, out);
    for (let k = 0; k < this.dimX; k++) out[k] += this.ridge * x[k];
  }

  /** ∇_x g_B = (1/|B|) Σ p_j (q_jᵀz). */
  innerGradX(z: Float64Array, _x: Float64Array, batch: Int32Array, out: Float64Array): void {
    gemvRows(this.q, batch, z, this.u1);
    gemvRowsT(1 / batch.length, this.p, batch, this.u1, 0, out);
  }

  /** ∇²_zz f_B·v = (1/|B|) Σ γ_i (γ_iᵀv). */
  outerHvp(_z: Float64Array, _x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    gemvRows(this.gamma, batch, v, this.u1);
    gemvRowsT(1 / batch.length, this.gamma, batch, this.u1, 0, out);
  }

  /** ∇²_xz f_B·v = (1/|B|) Σ s_i (t_iᵀv). */
  outerCross(_z: Float64Array, _x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    gemvRows(this.t, batch, v, this.u1);
    gemvRowsT(1 / batch.length, this.s, batch, this.u1, 0, out);
  }

  /** z*(x) = −Ā⁻¹(C̄ᵀx + ā), exact (maxIter and z0 are accepted for the contract and ignored; tol is reported). */
  solveInner(x: Float64Array, options?: InnerSolveOptions): InnerSolution {
    const z = new Float64Array(this.dimZ);
    gemv(-1, this.Cbar, x, 0, z, true);
    for (let i = 0; i < this.dimZ; i++) z[i] -= this.abar[i];
    choleskySolve(this.AbarChol, z);
    const g = new Float64Array(this.dimZ);
    this.innerGradZ(z, x, this.fullInner, g);
    const tol = options?.tol ?? INNER_TOL;
    const gradNorm = Math.hypot(...g);
    return { z, gradNorm, iterations: 0, converged: gradNorm <= tol, tol };
  }

  hypergradient(x: Float64Array, options?: InnerSolveOptions): Hypergradient {
    const inner = this.solveInner(x, options);
    const { z } = inner;
    const bz = new Float64Array(this.dimZ);
    gemv(1, this.AFbar, z, 0, bz);
    gemv(1, this.CFbar, x, 1, bz, true);
    for (let i = 0; i < this.dimZ; i++) bz[i] += this.cbar[i];
    const v = Float64Array.from(bz, (e) => -e);
    choleskySolve(this.AbarChol, v);
    const grad = new Float64Array(this.dimX);
    gemv(1, this.BFbar, x, 0, grad);
    gemv(1, this.CFbar, z, 1, grad);
    for (let k = 0; k < this.dimX; k++) grad[k] += this.bbar[k];
    gemv(1, this.Cbar, v, 1, grad);
    return { value: this.outerValue(z, x, this.fullOuter), grad, z, v, innerGradNorm: inner.gradNorm, innerConverged: inner.converged, innerTol: inner.tol };
  }

  solution(): { x: Float64Array; value: number } {
    return { x: Float64Array.from(this.xStar), value: this.hStar };
  }

  /** Hessian of h (constant for a quadratic). */
  outerHessian(): Matrix {
    return matrix(this.dimX, this.dimX, Float64Array.from(this.hessH.data));
  }

  innerConstants(): { L: number; mu: number; LMaxSample: number } {
    return { L: this.L, mu: this.mu, LMaxSample: this.LMaxSample };
  }
}

/** Builds a {@link QuadraticProblem}. */
export function quadraticProblem(options: QuadraticOptions = {}): QuadraticProblem {
  return new QuadraticProblem(options);
}
