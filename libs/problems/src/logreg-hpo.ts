import { SimdArena, cholesky, choleskySolve, dampedNewton, gemvRows, gemvRowsT, matrix, simdAvailable } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';
import type { BilevelProblem, Hypergradient, InnerSolution, InnerSolveOptions } from './bilevel-problem';
import { fullBatch, INNER_TOL } from './bilevel-problem';
import type { Dataset } from './dataset';
import { featureMoments, standardize } from './dataset';
import { InputError } from '@bilevel/io';
import type { Allocation } from './memory-budget';
import { checkMemoryBudget, memoryBudgetOf } from './memory-budget';
import { sigmoidCurvature, sigmoidNeg, softplusNeg } from './logistic-kernels';
import { powerIteration } from './power-iteration';

/** Options of {@link logregHpo}. */
export interface LogregHpoOptions {
  /** One regularization weight shared by all features (`scalar`, default) or one per feature (`feature`). */
  readonly reg?: 'scalar' | 'feature';
  /** Standardize features with the training split's mean and std (`train`, default) or leave them (`none`). */
  readonly standardize?: 'train' | 'none';
  /**
   * Bytes the problem may allocate (its copies of the data and the dense d × d Hessian of the exact evaluation),
   * checked before allocating any of them. Default 2 GiB ({@link DEFAULT_MEMORY_BUDGET}).
   */
  readonly memoryBudget?: number;
}

/**
 * L2 hyperparameter selection for binary logistic regression (the public bilevel benchmark's problem (b)).
 *
 *   inner  G(z, x) = (1/n) Σ_j log(1 + exp(−y_j a_jᵀz)) + ½ Σ_k exp(x_k) z_k²      (training set)
 *   outer  F(z, x) = (1/m) Σ_i log(1 + exp(−y_i b_iᵀz))                           (validation set)
 *
 * x is one scalar shared by all features (`reg: 'scalar'`, dimX = 1) or one weight per feature (dimX = d).
 * Labels: the smallest class index present maps to −1, every other class to +1.
 * Oracles (analytic, float64, allocation-free): with m_j = y_j a_jᵀz,
 *   ∇_z g_B = −(1/|B|) Σ y_j σ(−m_j) a_j + e^x ⊙ z,   ∇²_zz g_B·v = (1/|B|) Σ σ(m_j)σ(−m_j)(a_jᵀv) a_j + e^x ⊙ v,
 *   ∇²_xz g_B·v = e^x ⊙ z ⊙ v (summed over features when x is scalar),   ∇_x f = 0.
 * Evaluation: Newton's method with a Cholesky solve and Armijo backtracking (to ‖∇G‖ ≤ 1e-10), v* by the same
 * factorization, in one dense d × d buffer allocated at the first evaluation. Memory: the constructor adds up the
 * data it is given, its copies of it (standardized, and the SIMD arena's) and that d × d buffer, and refuses beyond
 * `memoryBudget` before allocating any of them: 20,000 features need 3 GiB for the Hessian alone.
 */
export class LogregHpo implements BilevelProblem {
  readonly name = 'logreg-hpo';
  readonly precision = 'float64' as const;
  readonly dimZ: number;
  readonly dimX: number;
  readonly nInner: number;
  readonly nOuter: number;
  readonly fullInner: Int32Array;
  readonly fullOuter: Int32Array;
  readonly info: Readonly<Record<string, string | number | boolean>>;
  /** Training features (standardized if asked) and ±1 labels. */
  readonly A: Matrix;
  readonly yA: Float64Array;
  /** Validation features and ±1 labels. */
  readonly B: Matrix;
  readonly yB: Float64Array;
  readonly reg: 'scalar' | 'feature';
  private readonly t: Float64Array;
  private readonly s: Float64Array;
  private readonly w: Float64Array;
  private readonly expX: Float64Array;
  private readonly lastX: Float64Array;
  private lambdaMaxGram = NaN;
  /** The dense d × d buffer of the evaluation-time Newton solves and the Cholesky factor, allocated once on first use. */
  private hessian?: Matrix;
  /** The WebAssembly SIMD kernels and their buffers (A, B, t, s, w live in the arena), or null for the JS kernels. */
  private readonly simd: { readonly arena: SimdArena; readonly rows: Int32Array; readonly vec: Float64Array; readonly vec2: Float64Array; readonly acc: Float64Array } | null;

  constructor(train: Dataset, val: Dataset, options: LogregHpoOptions = {}) {
    const reg = options.reg ?? 'scalar';
    const std = options.standardize ?? 'train';
    if (reg !== 'scalar' && reg !== 'feature') throw new InputError(`reg must be "scalar" or "feature", received "${String(reg)}"`, 'logregHpo');
    if (std !== 'train' && std !== 'none') throw new InputError(`standardize must be "train" or "none", received "${String(std)}"`, 'logregHpo');
    if (train.features.cols !== val.features.cols) {
      throw new InputError(
        `training data has ${train.features.cols} features but validation data has ${val.features.cols}`,
        val.source,
      );
    }
    const budget = memoryBudgetOf(options.memoryBudget, 'logregHpo');
    const d0 = train.features.cols;
    const nAll = train.features.rows + val.features.rows;
    const simd = simdAvailable();
    checkMemoryBudget(
      [{ what: `the data as given ${nAll} × ${d0} × 8 bytes`, bytes: nAll * d0 * 8 }, ...logregHpoAllocations(nAll, d0, { standardize: std, simd })],
      budget,
      train.source,
      `logreg-hpo with ${d0} features`,
    );
    const trainSet = std === 'train' ? standardize(train, featureMoments(train.features)) : train;
    const valSet = std === 'train' ? standardize(val, featureMoments(train.features)) : val;
    // the smallest class present (a loop: spreading 10⁵ labels into Math.min overflows the call stack)
    let negative = Infinity;
    for (const labels of [train.labels, val.labels]) for (let i = 0; i < labels.length; i++) negative = Math.min(negative, labels[i]);
    const pm = (labels: Int32Array) => Float64Array.from(labels, (l) => (l === negative ? -1 : 1));
    const nMaxRows = Math.max(trainSet.features.rows, valSet.features.rows);
    const d = trainSet.features.cols;
    if (simd) {
      const arena = new SimdArena(
        SimdArena.bytesFor({ f64: [trainSet.features.data.length, valSet.features.data.length, nMaxRows, nMaxRows, nMaxRows, d, d, d], i32: [nMaxRows] }),
      );
      this.A = matrix(trainSet.features.rows, d, arena.copyF64(trainSet.features.data));
      this.B = matrix(valSet.features.rows, d, arena.copyF64(valSet.features.data));
      this.t = arena.f64(nMaxRows);
      this.s = arena.f64(nMaxRows);
      this.w = arena.f64(nMaxRows);
      this.simd = { arena, rows: arena.i32(nMaxRows), vec: arena.f64(d), vec2: arena.f64(d), acc: arena.f64(d) };
    } else {
      this.A = trainSet.features;
      this.B = valSet.features;
      this.t = new Float64Array(nMaxRows);
      this.s = new Float64Array(nMaxRows);
      this.w = new Float64Array(nMaxRows);
      this.simd = null;
    }
    this.yA = pm(trainSet.labels);
    this.yB = pm(valSet.labels);
    if (new Set(this.yA).size < 2) {
      throw new InputError('the training labels hold a single class after mapping to ±1; logistic regression needs both', train.source);
    }
    this.reg = reg;
    this.dimZ = this.A.cols;
    this.dimX = reg === 'scalar' ? 1 : this.dimZ;
    this.nInner = this.A.rows;
    this.nOuter = this.B.rows;
    this.fullInner = fullBatch(this.nInner);
    this.fullOuter = fullBatch(this.nOuter);
    this.expX = new Float64Array(this.dimX);
    this.lastX = new Float64Array(this.dimX).fill(NaN);
    this.info = {
      train: train.source,
      val: val.source,
      nTrain: this.nInner,
      nVal: this.nOuter,
      features: this.dimZ,
      reg,
      standardize: std,
    };
  }

  /** e^x, cached for the last x seen (the oracles of one iteration share it). */
  private ex(x: Float64Array): Float64Array {
    const last = this.lastX;
    let same = true;
    for (let k = 0; k < x.length; k++) if (x[k] !== last[k]) same = false;
    if (!same) {
      for (let k = 0; k < x.length; k++) {
        last[k] = x[k];
        this.expX[k] = Math.exp(x[k]);
      }
    }
    return this.expX;
  }

  private regAt(ex: Float64Array, k: number): number {
    return this.reg === 'scalar' ? ex[0] : ex[k];
  }

  /** out[k] = M_{batch[k]} · u (out is this.t or this.s). */
  private rowsDot(M: Matrix, batch: Int32Array, u: Float64Array, out: Float64Array): void {
    const simd = this.simd;
    if (simd === null) {
      gemvRows(M, batch, u, out);
      return;
    }
    simd.rows.set(batch);
    simd.vec.set(u);
    simd.arena.gemvRows(M, simd.rows, batch.length, simd.vec, out);
  }

  /** t[k] = M_{batch[k]} · z and s[k] = M_{batch[k]} · v (one pass over the rows in SIMD). */
  private rowsDot2(M: Matrix, batch: Int32Array, z: Float64Array, v: Float64Array): void {
    const simd = this.simd;
    if (simd === null) {
      gemvRows(M, batch, z, this.t);
      gemvRows(M, batch, v, this.s);
      return;
    }
    simd.rows.set(batch);
    simd.vec.set(z);
    simd.vec2.set(v);
    simd.arena.gemvRows2(M, simd.rows, batch.length, simd.vec, this.t, simd.vec2, this.s);
  }

  /** out ← Σ_k w[k] M_{batch[k]} (w is this.w). */
  private rowsAccumulate(M: Matrix, batch: Int32Array, w: Float64Array, out: Float64Array): void {
    const simd = this.simd;
    if (simd === null) {
      gemvRowsT(1, M, batch, w, 0, out);
      return;
    }
    simd.rows.set(batch);
    simd.acc.fill(0);
    simd.arena.gemvRowsT(1, M, simd.rows, batch.length, w, simd.acc);
    out.set(simd.acc);
  }

  private lossValue(M: Matrix, y: Float64Array, z: Float64Array, batch: Int32Array): number {
    const t = this.t;
    this.rowsDot(M, batch, z, t);
    let s = 0;
    for (let k = 0; k < batch.length; k++) s += softplusNeg(y[batch[k]] * t[k]);
    return s / batch.length;
  }

  private lossGrad(M: Matrix, y: Float64Array, z: Float64Array, batch: Int32Array, out: Float64Array): void {
    const t = this.t;
    const w = this.w;
    this.rowsDot(M, batch, z, t);
    const inv = 1 / batch.length;
    for (let k = 0; k < batch.length; k++) {
      const yj = y[batch[k]];
      w[k] = -yj * sigmoidNeg(yj * t[k]) * inv;
    }
    this.rowsAccumulate(M, batch, w, out);
  }

  innerValue(z: Float64Array, x: Float64Array, batch: Int32Array): number {
    const ex = this.ex(x);
    let r = 0;
    for (let k = 0; k < this.dimZ; k++) r += this.regAt(ex, k) * z[k] * z[k];
    return this.lossValue(this.A, this.yA, z, batch) + 0.5 * r;
  }

  outerValue(z: Float64Array, _x: Float64Array, batch: Int32Array): number {
    return this.lossValue(this.B, this.yB, z, batch);
  }

  innerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.lossGrad(this.A, this.yA, z, batch, out);
    const ex = this.ex(x);
    for (let k = 0; k < this.dimZ; k++) out[k] += this.regAt(ex, k) * z[k];
  }

  innerHvp(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    const { t, s, w } = this;
    this.rowsDot2(this.A, batch, z, v);
    const inv = 1 / batch.length;
    for (let k = 0; k < batch.length; k++) w[k] = sigmoidCurvature(this.yA[batch[k]] * t[k]) * s[k] * inv;
    this.rowsAccumulate(this.A, batch, w, out);
    const ex = this.ex(x);
    for (let k = 0; k < this.dimZ; k++) out[k] += this.regAt(ex, k) * v[k];
  }

  innerCross(z: Float64Array, x: Float64Array, v: Float64Array, _batch: Int32Array, out: Float64Array): void {
    const ex = this.ex(x);
    if (this.reg === 'scalar') {
      let s = 0;
      for (let k = 0; k < this.dimZ; k++) s += z[k] * v[k];
      out[0] = ex[0] * s;
    } else {
      for (let k = 0; k < this.dimZ; k++) out[k] = ex[k] * z[k] * v[k];
    }
  }

  outerGradZ(z: Float64Array, _x: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.lossGrad(this.B, this.yB, z, batch, out);
  }

  outerGradX(_z: Float64Array, _x: Float64Array, _batch: Int32Array, out: Float64Array): void {
    out.fill(0, 0, this.dimX);
  }

  /** ∇_x g_B = ½ e^x ⊙ z² (summed over features when x is scalar); the loss does not depend on x. */
  innerGradX(z: Float64Array, x: Float64Array, _batch: Int32Array, out: Float64Array): void {
    const ex = this.ex(x);
    if (this.reg === 'scalar') {
      let s = 0;
      for (let k = 0; k < this.dimZ; k++) s += z[k] * z[k];
      out[0] = 0.5 * ex[0] * s;
    } else {
      for (let k = 0; k < this.dimZ; k++) out[k] = 0.5 * ex[k] * z[k] * z[k];
    }
  }

  /** ∇²_zz f_B·v = (1/|B|) Σ σ(m_i)σ(−m_i)(b_iᵀv) b_i on the validation set. */
  outerHvp(z: Float64Array, _x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    const { t, s, w } = this;
    this.rowsDot2(this.B, batch, z, v);
    const inv = 1 / batch.length;
    for (let k = 0; k < batch.length; k++) w[k] = sigmoidCurvature(this.yB[batch[k]] * t[k]) * s[k] * inv;
    this.rowsAccumulate(this.B, batch, w, out);
  }

  /** ∇²_xz f_B·v = 0: the outer loss does not depend on x. */
  outerCross(_z: Float64Array, _x: Float64Array, _v: Float64Array, _batch: Int32Array, out: Float64Array): void {
    out.fill(0, 0, this.dimX);
  }

  /** Full inner Hessian (1/n) AᵀDA + diag(e^x) at z, as a dense matrix. */
  innerHessian(z: Float64Array, x: Float64Array, out: Matrix = matrix(this.dimZ, this.dimZ)): Matrix {
    const d = this.dimZ;
    const n = this.nInner;
    const a = this.A.data;
    const h = out.data;
    h.fill(0);
    this.rowsDot(this.A, this.fullInner, z, this.t);
    for (let j = 0; j < n; j++) {
      const c = sigmoidCurvature(this.yA[j] * this.t[j]) / n;
      const off = j * d;
      for (let p = 0; p < d; p++) {
        const cp = c * a[off + p];
        for (let q = 0; q <= p; q++) h[p * d + q] += cp * a[off + q];
      }
    }
    const ex = this.ex(x);
    for (let p = 0; p < d; p++) {
      h[p * d + p] += this.regAt(ex, p);
      for (let q = 0; q < p; q++) h[q * d + p] = h[p * d + q];
    }
    return out;
  }

  /** The Hessian buffer, allocated once and reused by the evaluation-time solves (its size was checked against the budget). */
  private hessianBuffer(): Matrix {
    this.hessian ??= matrix(this.dimZ, this.dimZ);
    return this.hessian;
  }

  solveInner(x: Float64Array, options: InnerSolveOptions = {}): InnerSolution {
    const d = this.dimZ;
    const z = options.z0 ? Float64Array.from(options.z0) : new Float64Array(d);
    const objective = {
      value: (zz: Float64Array) => this.innerValue(zz, x, this.fullInner),
      gradient: (zz: Float64Array, out: Float64Array) => this.innerGradZ(zz, x, this.fullInner, out),
      hessian: (zz: Float64Array, H: Matrix) => void this.innerHessian(zz, x, H),
    };
    const tol = options.tol ?? INNER_TOL;
    return { ...dampedNewton(objective, z, this.hessianBuffer(), { tol, maxIter: options.maxIter ?? 100 }), tol };
  }

  hypergradient(x: Float64Array, options: InnerSolveOptions = {}): Hypergradient {
    const inner = this.solveInner(x, options);
    const { z } = inner;
    const b = new Float64Array(this.dimZ);
    this.outerGradZ(z, x, this.fullOuter, b);
    const H = this.hessianBuffer();
    cholesky(this.innerHessian(z, x, H), H);
    const v = new Float64Array(this.dimZ);
    for (let k = 0; k < this.dimZ; k++) v[k] = -b[k];
    choleskySolve(H, v);
    const grad = new Float64Array(this.dimX);
    this.innerCross(z, x, v, this.fullInner, grad); // ∇_x F = 0 for this family
    return { value: this.outerValue(z, x, this.fullOuter), grad, z, v, innerGradNorm: inner.gradNorm, innerConverged: inner.converged, innerTol: inner.tol };
  }

  /**
   * L = λ_max((1/4n) AᵀA) + max e^x bounds the inner Hessian; μ = min e^x bounds it below (the loss is convex);
   * LMaxSample = max_j ‖a_j‖²/4 + max e^x bounds every single-sample Hessian.
   */
  innerConstants(x: Float64Array): { L: number; mu: number; LMaxSample: number } {
    if (Number.isNaN(this.lambdaMaxGram)) {
      const n = this.nInner;
      const tmp = new Float64Array(n);
      this.lambdaMaxGram = powerIteration(
        (u, out) => {
          gemvRows(this.A, this.fullInner, u, tmp);
          gemvRowsT(1 / n, this.A, this.fullInner, tmp, 0, out);
        },
        this.dimZ,
      );
    }
    let rowMax = 0;
    const d = this.dimZ;
    for (let j = 0; j < this.nInner; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += this.A.data[j * d + k] ** 2;
      rowMax = Math.max(rowMax, s);
    }
    let eMax = -Infinity;
    let eMin = Infinity;
    for (let k = 0; k < this.dimX; k++) {
      eMax = Math.max(eMax, Math.exp(x[k]));
      eMin = Math.min(eMin, Math.exp(x[k]));
    }
    return { L: this.lambdaMaxGram / 4 + eMax, mu: eMin, LMaxSample: rowMax / 4 + eMax };
  }
}

/**
 * The arrays {@link LogregHpo} allocates for `rows` samples (training and validation together) of `cols` features,
 * beyond the data it is given: its standardized copy, the SIMD kernels' copy, and the exact evaluation's dense
 * `cols × cols` Hessian. For a budget check before the data is even loaded (a loader's {@link Reserve}).
 */
export function logregHpoAllocations(rows: number, cols: number, options: { readonly standardize?: 'train' | 'none'; readonly simd?: boolean } = {}): Allocation[] {
  const data = rows * cols * 8;
  return [
    ...((options.standardize ?? 'train') === 'train' ? [{ what: 'its standardized copy', bytes: data }] : []),
    ...((options.simd ?? simdAvailable()) ? [{ what: "the SIMD kernels' copy", bytes: data }] : []),
    { what: `the exact evaluation's dense Hessian ${cols} × ${cols} × 8 bytes`, bytes: cols * cols * 8, elements: cols * cols },
  ];
}

/** Builds the {@link LogregHpo} problem from a training and a validation data set. */
export function logregHpo(train: Dataset, val: Dataset, options: LogregHpoOptions = {}): LogregHpo {
  return new LogregHpo(train, val, options);
}
