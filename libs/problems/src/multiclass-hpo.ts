import { cholesky, choleskySolve, dampedNewton, gemvRows, gemvRowsT, matrix } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';
import type { BilevelProblem, Hypergradient, InnerSolution, InnerSolveOptions } from './bilevel-problem';
import { fullBatch } from './bilevel-problem';
import type { Dataset } from './dataset';
import { featureMoments, standardize } from './dataset';
import { InputError } from '@bilevel/io';
import type { Allocation } from './memory-budget';
import { checkMemoryBudget, memoryBudgetOf } from './memory-budget';
import { classGradAccumulate, classLogits, softmaxRow } from './multiclass-kernels';
import { MulticlassSimd } from './multiclass-simd';
import { powerIteration } from './power-iteration';

/** Options of {@link multiclassHpo}, with their defaults. */
export interface MulticlassHpoOptions {
  /**
   * Which L2 weights x holds: one per class (`class`, default, dimX = K, the public benchmark's covtype form), one
   * per feature (`feature`, dimX = d), or one shared by every entry of z (`scalar`, dimX = 1: the grid-search
   * baseline).
   */
  readonly reg?: 'class' | 'feature' | 'scalar';
  /** Standardize every split with the training split's mean and std (`train`, default) or leave them (`none`). */
  readonly standardize?: 'train' | 'none';
  /**
   * Append a constant feature 1 (after standardization) so each class has a bias, regularized like the other
   * weights (as liblinear does): `true` (default) or `false` (the public benchmark's form, no bias).
   */
  readonly intercept?: boolean;
  /** A held-out test split: when given, {@link MulticlassHpo.metrics} reports its error and loss. */
  readonly test?: Dataset;
  /**
   * Bytes the problem may allocate (its copies of the data, the softmax buffers and the dense (K·d')² Hessian of the
   * exact evaluation), checked before allocating any of them. Default 2 GiB ({@link DEFAULT_MEMORY_BUDGET}).
   */
  readonly memoryBudget?: number;
}

const OPTION_KEYS = ['reg', 'standardize', 'intercept', 'test', 'memoryBudget'] as const;

/** The feature matrix with a constant column 1 appended. */
function withBias(M: Matrix): Matrix {
  const { rows: n, cols: d, data } = M;
  const out = new Float64Array(n * (d + 1));
  for (let j = 0; j < n; j++) {
    out.set(data.subarray(j * d, j * d + d), j * (d + 1));
    out[j * (d + 1) + d] = 1;
  }
  return { rows: n, cols: d + 1, data: out };
}
const NEWTON_MAX_ITER = 100;
const DEFAULT_TOL = 1e-10;

/**
 * L2 hyperparameter selection for multinomial logistic regression (the public bilevel benchmark's problem (c)).
 * With W ∈ R^{K×d'} the inner variable (z = W stored class-major, K × d' row-major: `z[c·d' + i]` is the weight of
 * column i for class c, so dimZ = K·d'), training rows a_j with labels y_j ∈ 0..K−1, validation rows b_i:
 *
 *   inner  G(W, x) = (1/n) Σ_j CE(W a_j, y_j) + ½ Σ_{c,i} e^{x_r(c,i)} W_{c,i}²      CE(t, y) = logsumexp(t) − t_y
 *   outer  F(W, x) = (1/m) Σ_i CE(W b_i, y_i)                                       (validation cross-entropy)
 *
 * with r(c, i) = c (`reg: 'class'`, dimX = K), i (`'feature'`, dimX = d') or 0 (`'scalar'`, dimX = 1). The rows are
 * the d standardized features followed, with `intercept: true` (default), by a constant 1, so d' = d + 1 and the last
 * column of W is each class's bias, regularized like the rest (with `intercept: false`, d' = d: the benchmark's form).
 * Oracles (analytic, float64, allocation-free), with p_j = softmax(W a_j) and u_j = V a_j:
 *   ∇_W g_B = (1/|B|) Σ (p_j − e_{y_j}) a_jᵀ + e^x ⊙ W
 *   ∇²_WW g_B·V = (1/|B|) Σ (p_j ⊙ (u_j − p_jᵀu_j)) a_jᵀ + e^x ⊙ V        (the softmax Hessian diag(p) − ppᵀ)
 *   ∇²_xW g_B·V = Σ_{(c,i): r(c,i)=k} e^{x_k} W_{c,i} V_{c,i},   ∇_x g_B = ½ Σ_{r(c,i)=k} e^{x_k} W_{c,i}²,   ∇_x f = 0.
 * The outer oracles (∇_W f, ∇²_WW f·V) are the same softmax kernels on the validation rows; ∇²_xW f = 0.
 * Evaluation: Newton's method with a dense Cholesky factorization of the (K·d')² Hessian and Armijo backtracking, to
 * ‖∇_W G‖ ≤ 1e-10; v* by the same factorization at z*. Meant for K·d' up to about 10³ (digits: 10·65 = 650, a
 * Newton step takes about 0.25 s here). Memory: the constructor adds up the data it is given, its copies, the softmax
 * buffers and that Hessian, and refuses beyond `memoryBudget` before allocating any of them.
 *
 * @example const p = multiclassHpo(train, val, { reg: 'class', test }); const { value, grad } = p.hypergradient(x);
 */
export class MulticlassHpo implements BilevelProblem {
  readonly name = 'multiclass-hpo';
  readonly precision = 'float64' as const;
  readonly dimZ: number;
  readonly dimX: number;
  readonly nInner: number;
  readonly nOuter: number;
  readonly fullInner: Int32Array;
  readonly fullOuter: Int32Array;
  readonly info: Readonly<Record<string, string | number | boolean>>;
  /** Number of classes K. */
  readonly nClasses: number;
  /** Number of columns of the model, d' = d + 1 with the intercept column (the last), else d. */
  readonly nFeatures: number;
  readonly reg: 'class' | 'feature' | 'scalar';
  /** Training features (standardized if asked) and labels. */
  readonly A: Matrix;
  readonly yA: Int32Array;
  /** Validation features and labels. */
  readonly B: Matrix;
  readonly yB: Int32Array;
  /** Test features and labels, when a test split was given. */
  readonly C?: Matrix;
  readonly yC?: Int32Array;
  /** r(p): the coordinate of x that weighs entry p of z. */
  private readonly regIndex: Int32Array;
  private readonly logits: Float64Array;
  private readonly probs: Float64Array;
  private readonly dirLogits: Float64Array;
  private readonly expX: Float64Array;
  private readonly lastX: Float64Array;
  private readonly blockWeights: Float64Array;
  private readonly fullTest?: Int32Array;
  private hessian?: Matrix;
  private lambdaMaxGram = NaN;
  /** The softmax kernels in WebAssembly SIMD over A, B and C (null: the JavaScript kernels). */
  private readonly simd: MulticlassSimd | null;

  constructor(train: Dataset, val: Dataset, options: MulticlassHpoOptions = {}) {
    const where = 'multiclassHpo';
    if (options === null || typeof options !== 'object') throw new InputError(`options must be an object, received ${String(options)}`, where);
    for (const key of Object.keys(options)) {
      if (!(OPTION_KEYS as readonly string[]).includes(key)) {
        throw new InputError(`unknown option "${key}"; expected one of ${OPTION_KEYS.join(', ')}`, where);
      }
    }
    const reg = options.reg ?? 'class';
    const std = options.standardize ?? 'train';
    if (reg !== 'class' && reg !== 'feature' && reg !== 'scalar') {
      throw new InputError(`reg must be "class", "feature" or "scalar", received "${String(reg)}"`, where);
    }
    if (std !== 'train' && std !== 'none') throw new InputError(`standardize must be "train" or "none", received "${String(std)}"`, where);
    const intercept = options.intercept ?? true;
    if (typeof intercept !== 'boolean') throw new InputError(`intercept must be true or false, received ${String(intercept)}`, where);
    const test = options.test;
    const d = train.features.cols;
    for (const [set, role] of [[train, 'training'], [val, 'validation'], ...(test ? [[test, 'test'] as const] : [])] as const) {
      if (set.features.rows < 1) throw new InputError(`the ${role} data set is empty`, set.source);
      if (set.features.cols !== d) {
        throw new InputError(`${role} data has ${set.features.cols} features but the training data has ${d}`, set.source);
      }
    }
    const K = Math.max(train.classNames.length, val.classNames.length, test?.classNames.length ?? 0);
    for (const set of [train, val, ...(test ? [test] : [])]) {
      for (let j = 0; j < set.labels.length; j++) {
        const l = set.labels[j];
        if (!(Number.isInteger(l) && l >= 0 && l < K)) throw new InputError(`row ${j + 1}: label ${l} is not a class index in 0..${K - 1}`, set.source);
      }
    }
    if (K < 2 || new Set(train.labels).size < 2) {
      throw new InputError('the training labels hold a single class; multinomial logistic regression needs at least two', train.source);
    }
    const budget = memoryBudgetOf(options.memoryBudget, where);
    const nAll = train.features.rows + val.features.rows + (test?.features.rows ?? 0);
    const nMax0 = Math.max(train.features.rows, val.features.rows, test?.features.rows ?? 0);
    checkMemoryBudget(
      [{ what: `the data as given ${nAll} × ${d} × 8 bytes`, bytes: nAll * d * 8 }, ...multiclassHpoAllocations(nAll, d, K, { standardize: std, intercept, maxRows: nMax0 })],
      budget,
      train.source,
      `multiclass-hpo with ${d} features and ${K} classes`,
    );
    const moments = std === 'train' ? featureMoments(train.features) : undefined;
    const prep = (set: Dataset): Matrix => {
      const features = (moments ? standardize(set, moments) : set).features;
      return intercept ? withBias(features) : features;
    };
    // the prepared matrices live in the SIMD kernels' memory where WebAssembly SIMD is available (the same bits)
    const prepared = [prep(train), prep(val), ...(test ? [prep(test)] : [])];
    this.simd = MulticlassSimd.create(prepared, K, nMax0);
    const [A, B, C] = this.simd?.matrices ?? prepared;
    this.A = A;
    this.B = B;
    this.yA = Int32Array.from(train.labels);
    this.yB = Int32Array.from(val.labels);
    if (test) {
      this.C = C;
      this.yC = Int32Array.from(test.labels);
      this.fullTest = fullBatch(C.rows);
    }
    this.reg = reg;
    this.nClasses = K;
    const dz = intercept ? d + 1 : d;
    this.nFeatures = dz;
    this.dimZ = K * dz;
    this.dimX = reg === 'class' ? K : reg === 'feature' ? dz : 1;
    this.regIndex = Int32Array.from({ length: K * dz }, (_, p) => (reg === 'class' ? Math.floor(p / dz) : reg === 'feature' ? p % dz : 0));
    this.nInner = this.A.rows;
    this.nOuter = this.B.rows;
    this.fullInner = fullBatch(this.nInner);
    this.fullOuter = fullBatch(this.nOuter);
    const nMax = Math.max(this.nInner, this.nOuter, this.C?.rows ?? 0);
    this.logits = new Float64Array(nMax * K);
    this.probs = new Float64Array(nMax * K);
    this.dirLogits = new Float64Array(nMax * K);
    this.blockWeights = new Float64Array(this.nInner);
    this.expX = new Float64Array(this.dimX);
    this.lastX = new Float64Array(this.dimX).fill(NaN);
    this.info = {
      train: train.source,
      val: val.source,
      ...(test ? { test: test.source, nTest: test.features.rows } : {}),
      nTrain: this.nInner,
      nVal: this.nOuter,
      features: d,
      intercept,
      classes: K,
      reg,
      standardize: std,
      layout: "z = W, K×d' row-major (class-major)",
    };
  }

  /** classLogits, in SIMD when available. */
  private classLogits(M: Matrix, rows: Int32Array, W: Float64Array, out: Float64Array): void {
    if (this.simd) this.simd.logits(M, rows, W, this.nClasses, out);
    else classLogits(M, rows, W, this.nClasses, out);
  }

  /** classGradAccumulate with β = 0, in SIMD when available. */
  private classGrad(alpha: number, M: Matrix, rows: Int32Array, r: Float64Array, out: Float64Array): void {
    if (this.simd) this.simd.gradAccumulate(alpha, M, rows, r, this.nClasses, 0, out);
    else classGradAccumulate(alpha, M, rows, r, this.nClasses, 0, out);
  }

  /** e^x, cached for the last x seen (the oracles of one iteration share it). */
  private ex(x: Float64Array): Float64Array {
    const last = this.lastX;
    let same = true;
    for (let k = 0; k < this.dimX; k++) if (x[k] !== last[k]) same = false;
    if (!same) {
      for (let k = 0; k < this.dimX; k++) {
        last[k] = x[k];
        this.expX[k] = Math.exp(x[k]);
      }
    }
    return this.expX;
  }

  /** Mean cross-entropy of W on the rows `batch` of M. */
  private lossValue(M: Matrix, y: Int32Array, z: Float64Array, batch: Int32Array): number {
    const K = this.nClasses;
    const t = this.logits;
    this.classLogits(M, batch, z, t);
    let s = 0;
    for (let k = 0; k < batch.length; k++) s += softmaxRow(t, k * K, K, this.probs) - t[k * K + y[batch[k]]];
    return s / batch.length;
  }

  /** out ← mean over `batch` of (p_j − e_{y_j}) a_jᵀ. */
  private lossGrad(M: Matrix, y: Int32Array, z: Float64Array, batch: Int32Array, out: Float64Array): void {
    const K = this.nClasses;
    const { logits: t, probs: p } = this;
    this.classLogits(M, batch, z, t);
    for (let k = 0; k < batch.length; k++) {
      softmaxRow(t, k * K, K, p);
      p[k * K + y[batch[k]]] -= 1;
    }
    this.classGrad(1 / batch.length, M, batch, p, out);
  }

  /** out ← mean over `batch` of (diag(p_j) − p_j p_jᵀ)(V a_j) a_jᵀ. */
  private lossHvp(M: Matrix, z: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    const K = this.nClasses;
    const { logits: t, probs: p, dirLogits: u } = this;
    this.classLogits(M, batch, z, t);
    this.classLogits(M, batch, v, u);
    for (let k = 0; k < batch.length; k++) {
      const off = k * K;
      softmaxRow(t, off, K, p);
      let pu = 0;
      for (let c = 0; c < K; c++) pu += p[off + c] * u[off + c];
      for (let c = 0; c < K; c++) u[off + c] = p[off + c] * (u[off + c] - pu);
    }
    this.classGrad(1 / batch.length, M, batch, u, out);
  }

  innerValue(z: Float64Array, x: Float64Array, batch: Int32Array): number {
    const ex = this.ex(x);
    const r = this.regIndex;
    let s = 0;
    for (let p = 0; p < this.dimZ; p++) s += ex[r[p]] * z[p] * z[p];
    return this.lossValue(this.A, this.yA, z, batch) + 0.5 * s;
  }

  outerValue(z: Float64Array, _x: Float64Array, batch: Int32Array): number {
    return this.lossValue(this.B, this.yB, z, batch);
  }

  innerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.lossGrad(this.A, this.yA, z, batch, out);
    const ex = this.ex(x);
    const r = this.regIndex;
    for (let p = 0; p < this.dimZ; p++) out[p] += ex[r[p]] * z[p];
  }

  innerHvp(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.lossHvp(this.A, z, v, batch, out);
    const ex = this.ex(x);
    const r = this.regIndex;
    for (let p = 0; p < this.dimZ; p++) out[p] += ex[r[p]] * v[p];
  }

  /** ∇²_xz g_B·v: out_k = e^{x_k} Σ_{r(p)=k} z_p v_p (the loss does not depend on x). */
  innerCross(z: Float64Array, x: Float64Array, v: Float64Array, _batch: Int32Array, out: Float64Array): void {
    const ex = this.ex(x);
    const r = this.regIndex;
    out.fill(0, 0, this.dimX);
    for (let p = 0; p < this.dimZ; p++) out[r[p]] += z[p] * v[p];
    for (let k = 0; k < this.dimX; k++) out[k] *= ex[k];
  }

  outerGradZ(z: Float64Array, _x: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.lossGrad(this.B, this.yB, z, batch, out);
  }

  /** ∇_x f = 0: the validation loss does not depend on x. */
  outerGradX(_z: Float64Array, _x: Float64Array, _batch: Int32Array, out: Float64Array): void {
    out.fill(0, 0, this.dimX);
  }

  /** ∇_x g_B: out_k = ½ e^{x_k} Σ_{r(p)=k} z_p². */
  innerGradX(z: Float64Array, x: Float64Array, _batch: Int32Array, out: Float64Array): void {
    const ex = this.ex(x);
    const r = this.regIndex;
    out.fill(0, 0, this.dimX);
    for (let p = 0; p < this.dimZ; p++) out[r[p]] += z[p] * z[p];
    for (let k = 0; k < this.dimX; k++) out[k] *= 0.5 * ex[k];
  }

  /** ∇²_zz f_B·v: the softmax Hessian-vector product on the validation rows. */
  outerHvp(z: Float64Array, _x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.lossHvp(this.B, z, v, batch, out);
  }

  /** ∇²_xz f_B·v = 0: the outer loss does not depend on x. */
  outerCross(_z: Float64Array, _x: Float64Array, _v: Float64Array, _batch: Int32Array, out: Float64Array): void {
    out.fill(0, 0, this.dimX);
  }

  /**
   * Full inner Hessian at (z, x) as a dense symmetric (K·d)² matrix: block (c, c') is
   * (1/n) Σ_j (p_jc δ_cc' − p_jc p_jc') a_j a_jᵀ, plus diag(e^{x_r(p)}). Each of the K(K+1)/2 distinct blocks is one
   * weighted Gram matrix (its lower triangle, four samples per pass), then mirrored.
   */
  innerHessian(z: Float64Array, x: Float64Array, out: Matrix = matrix(this.dimZ, this.dimZ)): Matrix {
    const { nClasses: K, nFeatures: d, dimZ: D, nInner: n } = this;
    if (out.rows !== D || out.cols !== D) throw new RangeError(`innerHessian: out is ${out.rows}×${out.cols}, expected ${D}×${D}`);
    const a = this.A.data;
    const h = out.data;
    const { logits: t, probs: p, blockWeights: w } = this;
    this.classLogits(this.A, this.fullInner, z, t);
    for (let j = 0; j < n; j++) softmaxRow(t, j * K, K, p);
    h.fill(0);
    for (let c = 0; c < K; c++) {
      for (let c2 = 0; c2 <= c; c2++) {
        for (let j = 0; j < n; j++) w[j] = ((c === c2 ? p[j * K + c] : 0) - p[j * K + c] * p[j * K + c2]) / n;
        const base = c * d * D + c2 * d; // row block c, column block c2
        let j = 0;
        for (; j + 3 < n; j += 4) {
          const o0 = j * d;
          const o1 = o0 + d;
          const o2 = o1 + d;
          const o3 = o2 + d;
          const w0 = w[j];
          const w1 = w[j + 1];
          const w2 = w[j + 2];
          const w3 = w[j + 3];
          // two rows (i, i + 1) of the block per pass share the loads of the four samples
          let i = 0;
          for (; i + 1 < d; i += 2) {
            const b0 = w0 * a[o0 + i];
            const b1 = w1 * a[o1 + i];
            const b2 = w2 * a[o2 + i];
            const b3 = w3 * a[o3 + i];
            const e0 = w0 * a[o0 + i + 1];
            const e1 = w1 * a[o1 + i + 1];
            const e2 = w2 * a[o2 + i + 1];
            const e3 = w3 * a[o3 + i + 1];
            const row = base + i * D;
            const row1 = row + D;
            for (let i2 = 0; i2 <= i; i2++) {
              const x0 = a[o0 + i2];
              const x1 = a[o1 + i2];
              const x2 = a[o2 + i2];
              const x3 = a[o3 + i2];
              h[row + i2] += b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3;
              h[row1 + i2] += e0 * x0 + e1 * x1 + e2 * x2 + e3 * x3;
            }
            h[row1 + i + 1] += e0 * a[o0 + i + 1] + e1 * a[o1 + i + 1] + e2 * a[o2 + i + 1] + e3 * a[o3 + i + 1];
          }
          for (; i < d; i++) {
            const b0 = w0 * a[o0 + i];
            const b1 = w1 * a[o1 + i];
            const b2 = w2 * a[o2 + i];
            const b3 = w3 * a[o3 + i];
            const row = base + i * D;
            for (let i2 = 0; i2 <= i; i2++) h[row + i2] += b0 * a[o0 + i2] + b1 * a[o1 + i2] + b2 * a[o2 + i2] + b3 * a[o3 + i2];
          }
        }
        for (; j < n; j++) {
          const o0 = j * d;
          const w0 = w[j];
          for (let i = 0; i < d; i++) {
            const b0 = w0 * a[o0 + i];
            const row = base + i * D;
            for (let i2 = 0; i2 <= i; i2++) h[row + i2] += b0 * a[o0 + i2];
          }
        }
        // each block is symmetric: mirror its lower triangle into its upper one
        for (let i = 0; i < d; i++) for (let i2 = 0; i2 < i; i2++) h[base + i2 * D + i] = h[base + i * D + i2];
      }
    }
    const ex = this.ex(x);
    const r = this.regIndex;
    for (let q = 0; q < D; q++) {
      h[q * D + q] += ex[r[q]];
      for (let q2 = 0; q2 < q; q2++) h[q2 * D + q] = h[q * D + q2];
    }
    return out;
  }

  /** The Hessian buffer, allocated once and reused by the evaluation-time solves. */
  private hessianBuffer(): Matrix {
    this.hessian ??= matrix(this.dimZ, this.dimZ);
    return this.hessian;
  }

  /** Newton's method on G(·, x): dense Cholesky steps with Armijo backtracking, to ‖∇_z G‖ ≤ tol (default 1e-10). */
  solveInner(x: Float64Array, options: InnerSolveOptions = {}): InnerSolution {
    const D = this.dimZ;
    if (x.length !== this.dimX) throw new RangeError(`solveInner: x has ${x.length} entries, expected dimX = ${this.dimX}`);
    if (options.z0 && options.z0.length !== D) throw new RangeError(`solveInner: z0 has ${options.z0.length} entries, expected dimZ = ${D}`);
    const z = options.z0 ? Float64Array.from(options.z0) : new Float64Array(D);
    const objective = {
      value: (zz: Float64Array) => this.innerValue(zz, x, this.fullInner),
      gradient: (zz: Float64Array, out: Float64Array) => this.innerGradZ(zz, x, this.fullInner, out),
      hessian: (zz: Float64Array, H: Matrix) => void this.innerHessian(zz, x, H),
    };
    const tol = options.tol ?? DEFAULT_TOL;
    return { ...dampedNewton(objective, z, this.hessianBuffer(), { tol, maxIter: options.maxIter ?? NEWTON_MAX_ITER }), tol };
  }

  /** h(x) and ∇h(x) = ∇²_xz G·v*, v* = −H⁻¹∇_z F at the Newton solution z*, H factored by Cholesky. */
  hypergradient(x: Float64Array, options: InnerSolveOptions = {}): Hypergradient {
    const inner = this.solveInner(x, options);
    const { z } = inner;
    const v = new Float64Array(this.dimZ);
    this.outerGradZ(z, x, this.fullOuter, v);
    for (let q = 0; q < this.dimZ; q++) v[q] = -v[q];
    const H = this.hessianBuffer();
    cholesky(this.innerHessian(z, x, H), H);
    choleskySolve(H, v);
    const grad = new Float64Array(this.dimX);
    this.innerCross(z, x, v, this.fullInner, grad); // ∇_x F = 0 for this family
    return { value: this.outerValue(z, x, this.fullOuter), grad, z, v, innerGradNorm: inner.gradNorm, innerConverged: inner.converged, innerTol: inner.tol };
  }

  /**
   * L = ½ λ_max((1/n) AᵀA) + max e^x bounds the inner Hessian (the softmax Hessian diag(p) − ppᵀ has norm ≤ ½);
   * μ = min e^x bounds it below (the loss is convex); LMaxSample = ½ max_j ‖a_j‖² + max e^x bounds every sample's.
   */
  innerConstants(x: Float64Array): { L: number; mu: number; LMaxSample: number } {
    const n = this.nInner;
    if (Number.isNaN(this.lambdaMaxGram)) {
      const tmp = new Float64Array(n);
      this.lambdaMaxGram = powerIteration((u, out) => {
        gemvRows(this.A, this.fullInner, u, tmp);
        gemvRowsT(1 / n, this.A, this.fullInner, tmp, 0, out);
      }, this.nFeatures);
    }
    const d = this.nFeatures;
    let rowMax = 0;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += this.A.data[j * d + i] ** 2;
      rowMax = Math.max(rowMax, s);
    }
    let eMax = -Infinity;
    let eMin = Infinity;
    for (let k = 0; k < this.dimX; k++) {
      eMax = Math.max(eMax, Math.exp(x[k]));
      eMin = Math.min(eMin, Math.exp(x[k]));
    }
    return { L: this.lambdaMaxGram / 2 + eMax, mu: eMin, LMaxSample: rowMax / 2 + eMax };
  }

  /** Error rate (argmax of the logits, first maximum on ties) and mean cross-entropy of W on all rows of M. */
  private evaluate(M: Matrix, y: Int32Array, rows: Int32Array, z: Float64Array): { error: number; loss: number } {
    const K = this.nClasses;
    const t = this.logits;
    this.classLogits(M, rows, z, t);
    let wrong = 0;
    let loss = 0;
    for (let k = 0; k < rows.length; k++) {
      const off = k * K;
      let best = 0;
      for (let c = 1; c < K; c++) if (t[off + c] > t[off + best]) best = c;
      if (best !== y[rows[k]]) wrong++;
      loss += softmaxRow(t, off, K, this.probs) - t[off + y[rows[k]]];
    }
    return { error: wrong / rows.length, loss: loss / rows.length };
  }

  /**
   * Held-out figures at (x, z = z*(x)): `valError` (validation error rate), and with a test split `testError` and
   * `testLoss` (mean cross-entropy on the test rows). The validation loss is h(x) itself.
   */
  metrics(_x: Float64Array, z: Float64Array): Readonly<Record<string, number>> {
    const val = this.evaluate(this.B, this.yB, this.fullOuter, z);
    if (!this.C || !this.yC || !this.fullTest) return { valError: val.error };
    const test = this.evaluate(this.C, this.yC, this.fullTest, z);
    return { valError: val.error, testError: test.error, testLoss: test.loss };
  }
}

/**
 * The arrays {@link MulticlassHpo} allocates for `rows` samples (all splits together) of `cols` features and
 * `classes` classes, beyond the data it is given: its standardized copy, its copy with a bias column, the softmax
 * buffers (of the largest split, `maxRows`, default `rows`) and the exact evaluation's dense (K·d')² Hessian. For a
 * budget check before the data is even loaded (a loader's {@link Reserve}).
 */
export function multiclassHpoAllocations(
  rows: number,
  cols: number,
  classes: number,
  options: { readonly standardize?: 'train' | 'none'; readonly intercept?: boolean; readonly maxRows?: number } = {},
): Allocation[] {
  const intercept = options.intercept ?? true;
  const dz = intercept ? cols + 1 : cols;
  const D = classes * dz;
  const maxRows = options.maxRows ?? rows;
  return [
    ...((options.standardize ?? 'train') === 'train' ? [{ what: 'its standardized copy', bytes: rows * cols * 8 }] : []),
    ...(intercept ? [{ what: `its copy with a bias column ${rows} × ${cols + 1} × 8 bytes`, bytes: rows * (cols + 1) * 8 }] : []),
    { what: `its copy in the SIMD kernels' memory ${rows} × ${dz} × 8 bytes`, bytes: rows * dz * 8 },
    { what: `softmax buffers 3 × ${maxRows} × ${classes} × 8 bytes`, bytes: 3 * maxRows * classes * 8 },
    { what: `the exact evaluation's dense Hessian (${classes} classes × ${dz})² × 8 bytes`, bytes: D * D * 8, elements: D * D },
  ];
}

/**
 * Builds the {@link MulticlassHpo} problem from a training and a validation data set (and optionally a test set for
 * held-out error). Labels are the class indices 0..K−1 of the data sets (K = the longest class-name list).
 */
export function multiclassHpo(train: Dataset, val: Dataset, options: MulticlassHpoOptions = {}): MulticlassHpo {
  return new MulticlassHpo(train, val, options);
}
