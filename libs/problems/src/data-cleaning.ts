import { Rng, SimdArena, conjugateGradient, lbfgs, simdAvailable } from '@bilevel/linalg';
import type { BilevelProblem, Hypergradient, InnerSolution, InnerSolveOptions } from './bilevel-problem';
import { fullBatch } from './bilevel-problem';
import { bundledFashionMnistDir } from './bundled-fashion-mnist';
import { InputError } from '@bilevel/io';
import { checkMemoryBudget, memoryBudgetOf } from './memory-budget';
import { loadFashionMnist } from './loaders/fashion-mnist';
import type { LabelledImages } from './loaders/labelled-idx';
import { sigmoidNeg } from './logistic-kernels';
import type { PixelRows, PixelScaling, PixelSimd } from './pixel-rows';
import { countStored, pixelRows, pixelScaling, scalingIn } from './pixel-rows';
import { PairedBatches, pairedBytes, pairedCapacity } from './paired-rows';
import { powerIteration } from './power-iteration';
import type { SampleWeightOracles } from './sample-weight-oracles';
import { CLASSES, batchGradient, batchLogits, batchLogits2, foldScaling, softmaxHessianRows, softmaxRows } from './softmax-kernels';

/** Options of {@link dataCleaning}, with their defaults. */
export interface DataCleaningOptions {
  /**
   * Folder holding the four official Fashion-MNIST (or MNIST) files, `train-images-idx3-ubyte.gz` … `t10k-…`.
   * Default: the bundled subset ({@link bundledFashionMnistDir}: 900 training-file and 200 test-file images).
   */
  readonly dir?: string;
  /** Already loaded images instead of `dir`: the training-file images (train and validation samples are drawn from them) and the test images. */
  readonly data?: { readonly train: LabelledImages; readonly test: LabelledImages };
  /** Training samples n (one outer weight each). Default 20,000 (700 on the bundled subset). */
  readonly n?: number;
  /** Clean validation samples m. Default 5,000 (200 on the bundled subset). */
  readonly m?: number;
  /** Probability that a training label is replaced by a uniformly random label. Default 0.5. */
  readonly p?: number;
  /** Seed of the train/validation draw and of the corruption. Default 0. */
  readonly seed?: number;
  /**
   * Ridge weight C of `C‖z‖²` in the inner objective. Default 0.01. (The public benchmark's `reg` 0.2 is too strong
   * for this normalization on Fashion-MNIST: at n = 20,000, p = 0.5 training on the right labels only then beats
   * training on all labels by under one point (20.3% against 21.1% test error) and weights σ(x) ≤ 1 that drop the
   * wrong half cannot beat either (21.9%): there is little left for cleaning to win. At 0.01 the gap is 16.8% against
   * 19.2%.)
   */
  readonly C?: number;
  /**
   * Bytes the files and the problem may allocate: each IDX file's announced array, and the problem's pixel rows,
   * model-sized and row-sized buffers, checked before allocating them. Default 2 GiB ({@link DEFAULT_MEMORY_BUDGET}).
   */
  readonly memoryBudget?: number;
}

/**
 * Recommended SABA settings for this problem: batch 64, inner step ρ = 0.02, outer step γ = 100 (tools/bench/
 * datacleaning.ts). The public benchmark's tuned SABA on MNIST cleaning used ρ = 0.1 and `outer_ratio` 0.001, i.e.
 * γ = ρ / 0.001 = 100 (the per-weight hypergradient is O(1/n), hence the large γ). On Fashion-MNIST (n = 20,000,
 * p = 0.5, 3,000 steps, grid ρ ∈ {0.01, 0.03, 0.1} × γ ∈ {30, 100, 300} at C = 0.01) ρ = 0.1 oscillates (test error
 * of SABA's z jumping between 18% and 22%, detector precision falling to 0.6–0.8); ρ = 0.03, γ = 100 gave the lowest
 * test error (17.4%) with detector precision and recall ≈ 0.9; γ = 300 with ρ = 0.03 drifts (precision 0.75). Run
 * longer (60 s, ~15,000 steps) ρ = 0.03 with γ = 100 degrades after step 12,500 (test error 17.3% → 18.7%,
 * precision 0.85 → 0.67), while ρ = 0.02 with γ = 100 stays at 17.0% (precision 0.86, recall 0.95) to the end and
 * ρ = 0.03 with γ = 30 at 17.1%: ρ = 0.02 keeps a margin from the inner step's stability edge.
 */
export const DATA_CLEANING_STEPS = { batchSize: 64, innerStep: 0.02, outerStep: 100 } as const;

/** Default ridge weight C (see {@link DataCleaningOptions.C}). */
export const DEFAULT_C = 0.01;

const KNOWN = ['dir', 'data', 'n', 'm', 'p', 'seed', 'C', 'memoryBudget'];

/** σ(t) = 1 / (1 + e^{−t}), stable for every finite t. */
function sigmoid(t: number): number {
  return sigmoidNeg(-t);
}

/**
 * out[k] += alpha·y[k] for k < n: four entries a pass, every read before the writes (the one-line loop reloads
 * after each store that might alias: about 3× slower at 7,840 entries). The same arithmetic.
 */
function addScaled(out: Float64Array, alpha: number, y: Float64Array, n: number): void {
  const n4 = n - (n % 4);
  let k = 0;
  for (; k < n4; k += 4) {
    const o0 = out[k], o1 = out[k + 1], o2 = out[k + 2], o3 = out[k + 3];
    const y0 = y[k], y1 = y[k + 1], y2 = y[k + 2], y3 = y[k + 3];
    out[k] = o0 + alpha * y0;
    out[k + 1] = o1 + alpha * y1;
    out[k + 2] = o2 + alpha * y2;
    out[k + 3] = o3 + alpha * y3;
  }
  for (; k < n; k++) out[k] += alpha * y[k];
}

/** The weights' evaluation-time facts of one z: predicted class errors on a labelled set. */
function errorRate(logits: Float64Array, labels: Int32Array, count: number): number {
  let wrong = 0;
  for (let k = 0; k < count; k++) {
    const r = k * 10;
    let best = 0;
    for (let c = 1; c < 10; c++) if (logits[r + c] > logits[r + best]) best = c;
    if (best !== labels[k]) wrong++;
  }
  return wrong / count;
}

/**
 * Data hyper-cleaning (the public bilevel benchmark's problem (d); Franceschi et al., ICML 2017): learn one weight per
 * training sample so that a model trained on the weighted, partly mislabelled training set does well on clean
 * validation data.
 *
 *   inner  G(z, x) = (1/n) Σ_i σ(x_i) CE(zᵀa_i, y_i) + C‖z‖²        (n training samples, labels corrupted)
 *   outer  F(z, x) = (1/m) Σ_j CE(zᵀb_j, y_j)                       (m clean validation samples)
 *
 * with a linear 10-class model z ∈ R^{d×10} (d = 784 pixels, stored pixel-major `z[p·10 + c]`), CE the softmax
 * cross-entropy `lse(t) − t_y`, σ the logistic function, features standardized with the training samples' pixel
 * mean and spread (as the benchmark's StandardScaler). Data: n + m images drawn without replacement (seeded) from
 * the training file; each of the n training labels is replaced with probability p by a uniformly random label
 * (it stays right with probability 1/10, so about 0.9·p of them are wrong); the test set is the whole test file.
 *
 * Oracles (analytic, float64, allocation-free), with t_i = zᵀa_i, π_i = softmax(t_i), e_y the one-hot label,
 * u_i = vᵀa_i, S(π) = diag(π) − ππᵀ and a batch B of size b:
 *   ∇_z g_B = (1/b) Σ σ(x_i) a_i (π_i − e_{y_i})ᵀ + 2C z
 *   ∇²_zz g_B·v = (1/b) Σ σ(x_i) a_i (S(π_i) u_i)ᵀ + 2C v
 *   (∇²_xz g_B·v)_i = (1/b) σ'(x_i) (π_i − e_{y_i})ᵀ u_i  for i ∈ B, 0 elsewhere
 *   ∇_x F = 0,  ∇_z f_B = (1/b) Σ b_j (π_j − e_{y_j})ᵀ.
 * Sparsity: the cross product of a batch touches only that batch's weights; the problem provides
 * {@link SampleWeightOracles} (`innerCrossOnBatch`, `outerIndependentOfX`), with which SABA keeps n numbers for the
 * SAGA memory of the cross term instead of one dense row of length n per block (313 × 20,000 doubles = 50 MB at
 * batch 64), and no memory at all for ∇_x F; its memory is then the data plus dense tables of dimZ.
 * Data layout and kernels: {@link PixelRows} (sparse bytes, standardization folded into the weights) and
 * softmax-kernels.ts (measured against gemm, gemvRows and tfjs-wasm matMul).
 * Evaluation: z* by L-BFGS (memory 20) on the fused full-batch value and gradient to ‖∇G‖ ≤ 1e-10; v* by conjugate
 * gradient on the full-batch HVP with the softmax at z* computed once. `metrics`: test and validation error, and
 * precision and recall of "σ(x_i) < 0.5" (x_i < 0) as a detector of the wrong labels.
 */
export class DataCleaning implements BilevelProblem, SampleWeightOracles {
  readonly name = 'datacleaning';
  readonly precision = 'float64' as const;
  readonly outerIndependentOfX = true;
  readonly dimZ: number;
  readonly dimX: number;
  readonly nInner: number;
  readonly nOuter: number;
  readonly fullInner: Int32Array;
  readonly fullOuter: Int32Array;
  readonly info: Readonly<Record<string, string | number | boolean>>;
  /** Pixels per image. */
  readonly pixels: number;
  /** Ridge weight C. */
  readonly C: number;
  /** Training images (rows of the inner samples), validation images, test images. */
  readonly train: PixelRows;
  readonly val: PixelRows;
  readonly test: PixelRows;
  /** Standardization fitted on the training samples, used for all three sets. */
  readonly scaling: PixelScaling;
  /** Training labels as the inner objective sees them (after corruption). */
  readonly trainLabels: Int32Array;
  /** The original training labels. */
  readonly trueLabels: Int32Array;
  /** 1 where the training label is wrong (replaced by a different class), else 0. */
  readonly corrupted: Uint8Array;
  /** Number of wrong training labels. */
  readonly corruptedCount: number;
  readonly valLabels: Int32Array;
  readonly testLabels: Int32Array;
  // scratch, sized for the largest of the three sets (full-batch passes use it too)
  private readonly zt: Float64Array;
  private readonly vt: Float64Array;
  private readonly offZ: Float64Array;
  private readonly offV: Float64Array;
  private readonly logits: Float64Array;
  private readonly dirLogits: Float64Array;
  private readonly probs: Float64Array;
  private readonly lse: Float64Array;
  private readonly W: Float64Array;
  private readonly scale: Float64Array;
  private readonly onBatch: Float64Array;
  private readonly fullTest: Int32Array;
  private lambdaMaxGram = NaN;

  constructor(trainFile: LabelledImages, testFile: LabelledImages, options: DataCleaningOptions & { readonly n: number; readonly m: number }) {
    const { n, m } = options;
    const p = options.p ?? 0.5;
    const C = options.C ?? DEFAULT_C;
    const seed = options.seed ?? 0;
    const d = trainFile.height * trainFile.width;
    if (testFile.height * testFile.width !== d) {
      throw new InputError(
        `test images are ${testFile.height}×${testFile.width} but training images are ${trainFile.height}×${trainFile.width}; expected the same size`,
        testFile.source,
      );
    }
    for (const f of [trainFile, testFile]) {
      if (f.classNames.length !== CLASSES) {
        throw new InputError(`${f.classNames.length} classes; data cleaning uses a 10-class model (MNIST, Fashion-MNIST)`, f.source);
      }
    }
    if (n + m > trainFile.count) {
      throw new InputError(`n + m = ${n} + ${m} = ${n + m} samples requested but the training file holds ${trainFile.count} images; lower n or m`, trainFile.source);
    }
    const budget = memoryBudgetOf(options.memoryBudget, 'dataCleaning');
    const rows0 = Math.max(n, m, testFile.count);
    const sets = n + m + testFile.count;
    checkMemoryBudget(
      [
        { what: `pixel rows of ${sets} images × ${d} pixels × 3 bytes (at most)`, bytes: sets * d * 3 },
        { what: `model-sized buffers 3 × ${d} pixels × ${CLASSES} classes × 8 bytes`, bytes: 3 * d * CLASSES * 8 },
        { what: `row buffers ${rows0} rows × (5 × ${CLASSES} + 3) × 8 bytes`, bytes: rows0 * (5 * CLASSES + 3) * 8 },
      ],
      budget,
      trainFile.source,
      `datacleaning with ${d}-pixel images`,
    );
    this.pixels = d;
    this.C = C;
    const rng = Rng.fromSeed(seed);
    const order = rng.permutation(trainFile.count);
    const trainIdx = order.subarray(0, n);
    const valIdx = order.subarray(n, n + m);
    const rows = Math.max(n, m, testFile.count);
    const testIdx = fullBatch(testFile.count);
    const simd = simdAvailable() ? pixelArena(d, rows, [
      countStored(trainFile.pixels, d, trainIdx), countStored(trainFile.pixels, d, valIdx), countStored(testFile.pixels, d, testIdx),
    ], [n, m, testFile.count], budget) : undefined;
    this.train = pixelRows(trainFile.pixels, d, trainIdx, simd);
    this.val = pixelRows(trainFile.pixels, d, valIdx, simd);
    this.test = pixelRows(testFile.pixels, d, testIdx, simd);
    this.scaling = simd ? scalingIn(pixelScaling(this.train), simd.arena) : pixelScaling(this.train);
    this.trueLabels = Int32Array.from(trainIdx, (i) => trainFile.labels[i]);
    this.valLabels = Int32Array.from(valIdx, (i) => trainFile.labels[i]);
    this.testLabels = Int32Array.from(testFile.labels);
    // corruption, as the benchmark: with probability p, a uniform label in 0..9 (possibly the same one)
    this.trainLabels = Int32Array.from(this.trueLabels);
    const corruptRng = rng.split();
    for (let i = 0; i < n; i++) if (corruptRng.float() < p) this.trainLabels[i] = corruptRng.int(0, CLASSES - 1);
    this.corrupted = Uint8Array.from(this.trainLabels, (y, i) => (y !== this.trueLabels[i] ? 1 : 0));
    this.corruptedCount = this.corrupted.reduce((a, b) => a + b, 0);

    this.dimZ = d * CLASSES;
    this.dimX = n;
    this.nInner = n;
    this.nOuter = m;
    this.fullInner = fullBatch(n);
    this.fullOuter = fullBatch(m);
    // the kernels' buffers live in the arena when there is one (the kernels check, and fall back to JavaScript)
    const f64 = (len: number) => (simd ? simd.arena.f64(len) : new Float64Array(len));
    this.zt = f64(this.dimZ);
    this.vt = f64(this.dimZ);
    this.offZ = f64(CLASSES);
    this.offV = f64(CLASSES);
    this.logits = f64(rows * CLASSES);
    this.dirLogits = f64(rows * CLASSES);
    this.probs = new Float64Array(rows * CLASSES);
    this.lse = new Float64Array(rows);
    this.W = f64(rows * CLASSES);
    this.scale = new Float64Array(rows);
    this.onBatch = new Float64Array(rows);
    this.fullTest = fullBatch(testFile.count);
    this.info = {
      data: trainFile.source,
      test: testFile.source,
      n,
      m,
      nTest: testFile.count,
      pixels: d,
      p,
      C,
      seed,
      wrongLabels: this.corruptedCount,
    };
  }

  // ---- shared passes -------------------------------------------------------------------------------------------

  /** logits, probs, lse of the rows `batch` of X at z. */
  private forward(X: PixelRows, batch: Int32Array, z: Float64Array): void {
    foldScaling(z, this.scaling, this.zt, this.offZ);
    batchLogits(X, batch, this.zt, this.offZ, this.logits);
    softmaxRows(this.logits, batch.length, this.probs, this.lse);
  }

  /** {@link forward} at z and {@link directional} along v, in one pass over the rows where the kernels allow. */
  private forwardWithDirection(X: PixelRows, batch: Int32Array, z: Float64Array, v: Float64Array): void {
    foldScaling(z, this.scaling, this.zt, this.offZ);
    foldScaling(v, this.scaling, this.vt, this.offV);
    batchLogits2(X, batch, this.zt, this.offZ, this.logits, this.vt, this.offV, this.dirLogits);
    softmaxRows(this.logits, batch.length, this.probs, this.lse);
  }

  /** dirLogits ← A_B v. */
  private directional(X: PixelRows, batch: Int32Array, v: Float64Array): void {
    foldScaling(v, this.scaling, this.vt, this.offV);
    batchLogits(X, batch, this.vt, this.offV, this.dirLogits);
  }

  private sqNorm(z: Float64Array): number {
    let s = 0;
    for (let k = 0; k < this.dimZ; k++) s += z[k] * z[k];
    return s;
  }

  /** Mean of weight_k·CE over the batch after {@link forward}; weight from `x` (σ(x_i)) or 1 when x is null. */
  private meanLoss(batch: Int32Array, labels: Int32Array, x: Float64Array | null): number {
    let s = 0;
    for (let k = 0; k < batch.length; k++) {
      const i = batch[k];
      const ce = this.lse[k] - this.logits[k * 10 + labels[i]];
      s += x ? sigmoid(x[i]) * ce : ce;
    }
    return s / batch.length;
  }

  /** out ← (1/b) A_Bᵀ[w_k (π_k − e_{y_k})] after {@link forward}, w from x (σ(x_i)) or 1. */
  private lossGrad(X: PixelRows, batch: Int32Array, labels: Int32Array, x: Float64Array | null, out: Float64Array): void {
    const { W, probs } = this;
    for (let k = 0; k < batch.length; k++) {
      const i = batch[k];
      const w = x ? sigmoid(x[i]) : 1;
      const r = k * 10;
      for (let c = 0; c < 10; c++) W[r + c] = w * probs[r + c];
      W[r + labels[i]] -= w;
    }
    batchGradient(X, this.scaling, batch, W, 1 / batch.length, out);
  }

  /** out ← (1/b) A_Bᵀ[w_k S(π_k) u_k] after {@link forward} and {@link directional}. */
  private lossHvp(X: PixelRows, batch: Int32Array, x: Float64Array | null, out: Float64Array): void {
    const inv = 1 / batch.length;
    for (let k = 0; k < batch.length; k++) this.scale[k] = x ? sigmoid(x[batch[k]]) * inv : inv;
    softmaxHessianRows(this.probs, this.dirLogits, batch.length, this.scale, this.W);
    batchGradient(X, this.scaling, batch, this.W, 1, out);
  }

  // ---- inner oracles -------------------------------------------------------------------------------------------

  innerValue(z: Float64Array, x: Float64Array, batch: Int32Array): number {
    this.forward(this.train, batch, z);
    return this.meanLoss(batch, this.trainLabels, x) + this.C * this.sqNorm(z);
  }

  /**
   * Pairs the rows of a solver's fixed batches for the gradient accumulation now (PairedBatches, paired-rows.ts), in
   * the set-up, instead of at each batch's first use (three new blocks an iteration during SABA's first epoch).
   */
  prepareBatches(side: 'inner' | 'outer', batches: readonly Int32Array[]): void {
    const X = side === 'inner' ? this.train : this.val;
    X.simd?.pairs?.prepare(X, batches);
  }

  innerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.forward(this.train, batch, z);
    this.lossGrad(this.train, batch, this.trainLabels, x, out);
    addScaled(out, 2 * this.C, z, this.dimZ);
  }

  innerHvp(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.forwardWithDirection(this.train, batch, z, v);
    this.lossHvp(this.train, batch, x, out);
    addScaled(out, 2 * this.C, v, this.dimZ);
  }

  /**
   * out ← diag ∇²_zz g_B(z, x): entry (p, c) is (1/b) Σ_i σ(x_i) a_ip² π_ic (1 − π_ic) + 2C, the Hessian's diagonal in one
   * forward pass and one pass over the stored pixels (dimZ HVPs with unit vectors would give the same numbers at dimZ
   * times the cost). With a_ip = (u_ip − μ_p) s_p and a_ip = −μ_p s_p at the pixels a row does not store,
   * Σ_i h_i a_ip² = s_p² (μ_p² Σ_i h_i + Σ_{stored} h_i (u_ip² − 2 u_ip μ_p)).
   */
  innerHessianDiagonal(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.forward(this.train, batch, z);
    const { probs } = this;
    const { rowStart, pixel, value } = this.train;
    const { mean, invStd } = this.scaling;
    const b = batch.length;
    const h = this.W;
    const total = new Float64Array(CLASSES);
    for (let k = 0; k < b; k++) {
      const w = sigmoid(x[batch[k]]);
      for (let c = 0; c < CLASSES; c++) {
        const pc = probs[k * CLASSES + c];
        const hc = w * pc * (1 - pc);
        h[k * CLASSES + c] = hc;
        total[c] += hc;
      }
    }
    out.fill(0, 0, this.dimZ);
    for (let k = 0; k < b; k++) {
      const i = batch[k];
      for (let e = rowStart[i]; e < rowStart[i + 1]; e++) {
        const p = pixel[e];
        const u = value[e];
        const t = u * u - 2 * u * mean[p];
        for (let c = 0; c < CLASSES; c++) out[p * CLASSES + c] += h[k * CLASSES + c] * t;
      }
    }
    const c2 = 2 * this.C;
    for (let p = 0; p < this.pixels; p++) {
      const s2 = invStd[p] * invStd[p];
      const m2 = mean[p] * mean[p];
      for (let c = 0; c < CLASSES; c++) {
        const q = p * CLASSES + c;
        out[q] = (s2 * (m2 * total[c] + out[q])) / b + c2;
      }
    }
  }

  /** out[k] ← (1/b) σ'(x_i) (π_i − e_{y_i})ᵀ(A_i v), i = batch[k]: the batch's own entries of ∇²_xz g_B·v. */
  innerCrossOnBatch(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.forwardWithDirection(this.train, batch, z, v);
    const { probs, dirLogits } = this;
    const inv = 1 / batch.length;
    for (let k = 0; k < batch.length; k++) {
      const i = batch[k];
      const r = k * 10;
      let s = -dirLogits[r + this.trainLabels[i]];
      for (let c = 0; c < 10; c++) s += probs[r + c] * dirLogits[r + c];
      const sg = sigmoid(x[i]);
      out[k] = sg * (1 - sg) * inv * s;
    }
  }

  innerCross(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.innerCrossOnBatch(z, x, v, batch, this.onBatch);
    out.fill(0, 0, this.dimX);
    for (let k = 0; k < batch.length; k++) out[batch[k]] += this.onBatch[k];
  }

  /** (∇_x g_B)_i = (1/b) σ'(x_i) CE_i for i ∈ B, 0 elsewhere. */
  innerGradX(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.forward(this.train, batch, z);
    out.fill(0, 0, this.dimX);
    const inv = 1 / batch.length;
    for (let k = 0; k < batch.length; k++) {
      const i = batch[k];
      const sg = sigmoid(x[i]);
      out[i] += sg * (1 - sg) * inv * (this.lse[k] - this.logits[k * 10 + this.trainLabels[i]]);
    }
  }

  // ---- outer oracles -------------------------------------------------------------------------------------------

  outerValue(z: Float64Array, _x: Float64Array, batch: Int32Array): number {
    this.forward(this.val, batch, z);
    return this.meanLoss(batch, this.valLabels, null);
  }

  outerGradZ(z: Float64Array, _x: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.forward(this.val, batch, z);
    this.lossGrad(this.val, batch, this.valLabels, null, out);
  }

  outerGradX(_z: Float64Array, _x: Float64Array, _batch: Int32Array, out: Float64Array): void {
    out.fill(0, 0, this.dimX);
  }

  /** ∇²_zz f_B·v = (1/b) Σ b_j (S(π_j) u_j)ᵀ (plain cross-entropy on the validation set). */
  outerHvp(z: Float64Array, _x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.forwardWithDirection(this.val, batch, z, v);
    this.lossHvp(this.val, batch, null, out);
  }

  /** ∇²_xz f_B·v = 0: the outer loss does not depend on x. */
  outerCross(_z: Float64Array, _x: Float64Array, _v: Float64Array, _batch: Int32Array, out: Float64Array): void {
    out.fill(0, 0, this.dimX);
  }

  // ---- evaluation ----------------------------------------------------------------------------------------------

  /** Full-batch value and gradient (into g) of `(1/n) Σ ω_i CE_i + C‖z‖²`. */
  private weightedValueGrad(weights: Float64Array, z: Float64Array, g: Float64Array): number {
    const n = this.nInner;
    const all = this.fullInner;
    this.forward(this.train, all, z);
    const { W, probs, lse, logits } = this;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i];
      const r = i * 10;
      const y = this.trainLabels[i];
      loss += w * (lse[i] - logits[r + y]);
      for (let c = 0; c < 10; c++) W[r + c] = w * probs[r + c];
      W[r + y] -= w;
    }
    batchGradient(this.train, this.scaling, all, W, 1 / n, g);
    const c2 = 2 * this.C;
    for (let k = 0; k < this.dimZ; k++) g[k] += c2 * z[k];
    return loss / n + this.C * this.sqNorm(z);
  }

  /**
   * The full-batch Hessian of `(1/n) Σ ω_i CE_i + C‖z‖²` at z as an operator `(v, out)`: the softmax at z is computed
   * once, so each product is one directional pass and one gradient pass.
   */
  private weightedHessian(weights: Float64Array, z: Float64Array): (v: Float64Array, out: Float64Array) => void {
    const all = this.fullInner;
    this.forward(this.train, all, z);
    const probs = Float64Array.from(this.probs.subarray(0, all.length * 10));
    const scale = Float64Array.from(weights, (w) => w / all.length);
    const c2 = 2 * this.C;
    return (v, out) => {
      this.directional(this.train, all, v);
      softmaxHessianRows(probs, this.dirLogits, all.length, scale, this.W);
      batchGradient(this.train, this.scaling, all, this.W, 1, out);
      for (let k = 0; k < this.dimZ; k++) out[k] += c2 * v[k];
    };
  }

  /**
   * Trains the model with fixed per-sample weights ω (length n): `min_z (1/n) Σ ω_i CE_i + C‖z‖²` to ‖∇‖ ≤ tol
   * (default 1e-10), warm-started at `z0`. L-BFGS (memory 20) first; its Armijo test on values stalls once the decrease
   * is below the rounding of the value (‖∇‖ ≈ 1e-7 here), so inexact Newton steps (CG on the exact Hessian, each kept
   * only if it lowers ‖∇‖) finish the job. `ω = σ(x)` is the inner problem; see {@link baselineWeights} for the
   * reference trainings.
   */
  solveWeighted(weights: Float64Array, options: InnerSolveOptions = {}): InnerSolution {
    if (weights.length !== this.nInner) throw new RangeError(`solveWeighted: ${weights.length} weights, expected n = ${this.nInner}`);
    const tol = options.tol ?? 1e-10;
    const maxIter = options.maxIter ?? 5000;
    const z = options.z0 ? Float64Array.from(options.z0) : new Float64Array(this.dimZ);
    const res = lbfgs((zz, g) => this.weightedValueGrad(weights, zz, g), z, { gtol: tol, maxIter, memory: 20 });
    let iterations = res.iterations;
    let gradNorm = res.gradNorm;
    const g = new Float64Array(this.dimZ);
    const gTry = new Float64Array(this.dimZ);
    const step = new Float64Array(this.dimZ);
    const zTry = new Float64Array(this.dimZ);
    for (let polish = 0; polish < 8 && gradNorm > tol && iterations < maxIter; polish++) {
      this.weightedValueGrad(weights, z, g);
      for (let k = 0; k < this.dimZ; k++) g[k] = -g[k];
      step.fill(0);
      // a relative residual ρ cuts ‖∇‖ by about ρ per step near the solution
      conjugateGradient(this.weightedHessian(weights, z), g, step, { rtol: Math.min(1e-2, Math.max(1e-8, (0.1 * tol) / gradNorm)), maxIter: 500 });
      for (let k = 0; k < this.dimZ; k++) zTry[k] = z[k] + step[k];
      this.weightedValueGrad(weights, zTry, gTry);
      let nTry = 0;
      for (let k = 0; k < this.dimZ; k++) nTry += gTry[k] * gTry[k];
      nTry = Math.sqrt(nTry);
      if (!(nTry < gradNorm)) break;
      z.set(zTry);
      gradNorm = nTry;
      iterations++;
    }
    return { z, gradNorm, iterations, converged: gradNorm <= tol, tol };
  }

  /**
   * Sample weights of the two reference trainings of the same model and C: `corrupted` (every weight 1: plain
   * training on the corrupted labels) and `clean` (only the right labels, each weighted n/n_clean so the loss is
   * their mean).
   */
  baselineWeights(kind: 'corrupted' | 'clean'): Float64Array {
    const n = this.nInner;
    if (kind === 'corrupted') return new Float64Array(n).fill(1);
    const nClean = n - this.corruptedCount;
    return Float64Array.from(this.corrupted, (c) => (c ? 0 : n / nClean));
  }

  solveInner(x: Float64Array, options: InnerSolveOptions = {}): InnerSolution {
    return this.solveWeighted(Float64Array.from(x, sigmoid), options);
  }

  hypergradient(x: Float64Array, options: InnerSolveOptions = {}): Hypergradient {
    const inner = this.solveInner(x, options);
    const { z } = inner;
    const b = new Float64Array(this.dimZ);
    this.outerGradZ(z, x, this.fullOuter, b);
    const value = this.meanLoss(this.fullOuter, this.valLabels, null);
    const rhs = Float64Array.from(b, (e) => -e);
    const v = new Float64Array(this.dimZ);
    const all = this.fullInner;
    conjugateGradient(this.weightedHessian(Float64Array.from(x, sigmoid), z), rhs, v, { rtol: 1e-12, atol: 1e-300, maxIter: 10 * this.dimZ });
    const grad = new Float64Array(this.dimX);
    this.innerCross(z, x, v, all, grad); // ∇_x F = 0
    return { value, grad, z, v, innerGradNorm: inner.gradNorm, innerConverged: inner.converged, innerTol: inner.tol };
  }

  /** Test and validation error (fraction of wrong argmax predictions) of the model z. */
  errors(z: Float64Array): { testError: number; valError: number } {
    foldScaling(z, this.scaling, this.zt, this.offZ);
    batchLogits(this.test, this.fullTest, this.zt, this.offZ, this.logits);
    const testError = errorRate(this.logits, this.testLabels, this.test.rows);
    batchLogits(this.val, this.fullOuter, this.zt, this.offZ, this.logits);
    const valError = errorRate(this.logits, this.valLabels, this.nOuter);
    return { testError, valError };
  }

  /**
   * Test and validation error of z, and the detector "σ(x_i) < 0.5" (x_i < 0) of wrong training labels: precision
   * (wrong among flagged; 0 when nothing is flagged), recall (flagged among wrong), and the fraction flagged.
   */
  metrics(x: Float64Array, z: Float64Array): Readonly<Record<string, number>> {
    let flagged = 0;
    let hit = 0;
    for (let i = 0; i < this.nInner; i++) {
      if (x[i] < 0) {
        flagged++;
        hit += this.corrupted[i];
      }
    }
    return {
      ...this.errors(z),
      detectorPrecision: flagged > 0 ? hit / flagged : 0,
      detectorRecall: this.corruptedCount > 0 ? hit / this.corruptedCount : 0,
      flaggedFraction: flagged / this.nInner,
    };
  }

  /**
   * L = ½ λ_max((1/n) AᵀA)·max σ(x_i) + 2C (the softmax curvature is at most ½), μ = 2C, and
   * LMaxSample = ½ max_i ‖a_i‖² max σ(x_i) + 2C. λ_max by power iteration, computed once.
   */
  innerConstants(x: Float64Array): { L: number; mu: number; LMaxSample: number } {
    const d = this.pixels;
    if (Number.isNaN(this.lambdaMaxGram)) {
      const n = this.nInner;
      const all = this.fullInner;
      const col = new Float64Array(this.dimZ);
      const zt = new Float64Array(this.dimZ);
      const off = new Float64Array(CLASSES);
      const out = new Float64Array(this.dimZ);
      // one column of z carries u, the others zero: the Gram operator of A on R^d
      this.lambdaMaxGram = powerIteration(
        (u, res) => {
          col.fill(0);
          for (let p = 0; p < d; p++) col[p * 10] = u[p];
          foldScaling(col, this.scaling, zt, off);
          batchLogits(this.train, all, zt, off, this.logits);
          this.W.fill(0, 0, n * 10);
          for (let i = 0; i < n; i++) this.W[i * 10] = this.logits[i * 10];
          batchGradient(this.train, this.scaling, all, this.W, 1 / n, out);
          for (let p = 0; p < d; p++) res[p] = out[p * 10];
        },
        d,
        200,
      );
    }
    let rowMax = 0;
    const a = new Float64Array(d);
    const { mean, invStd } = this.scaling;
    for (let i = 0; i < this.nInner; i++) {
      for (let p = 0; p < d; p++) a[p] = -mean[p] * invStd[p];
      for (let e = this.train.rowStart[i]; e < this.train.rowStart[i + 1]; e++) {
        const p = this.train.pixel[e];
        a[p] = (this.train.value[e] - mean[p]) * invStd[p];
      }
      rowMax = Math.max(rowMax, a.reduce((s, v) => s + v * v, 0));
    }
    let sMax = 0;
    for (let i = 0; i < x.length; i++) sMax = Math.max(sMax, sigmoid(x[i]));
    const mu = 2 * this.C;
    return { L: 0.5 * this.lambdaMaxGram * sMax + mu, mu, LMaxSample: 0.5 * rowMax * sMax + mu };
  }
}

function positiveInt(value: unknown, name: string): number {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 1)) {
    throw new InputError(`${name} must be a positive integer, received ${String(value)}`, 'dataCleaning');
  }
  return value;
}

/**
 * Builds the {@link DataCleaning} problem from a Fashion-MNIST (or MNIST) folder, from loaded images, or (neither
 * given) from the bundled subset. Options are validated up front; a bad file or option is an {@link InputError}.
 *
 * @example dataCleaning({ dir: '../shared/data/fashion-mnist', n: 20_000, m: 5_000, p: 0.5, seed: 0 })
 */
export function dataCleaning(options: DataCleaningOptions = {}): DataCleaning {
  const where = 'dataCleaning';
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) throw new InputError(`unknown option "${key}"; expected one of ${KNOWN.join(', ')}`, where);
  }
  if (options.dir !== undefined && options.data !== undefined) throw new InputError('give either dir or data, not both', where);
  const bundled = options.dir === undefined && options.data === undefined;
  const n = positiveInt(options.n ?? (bundled ? 700 : 20_000), 'n');
  const m = positiveInt(options.m ?? (bundled ? 200 : 5_000), 'm');
  const p = options.p ?? 0.5;
  if (!(typeof p === 'number' && p >= 0 && p <= 1)) throw new InputError(`p must be a probability in [0, 1], received ${String(p)}`, where);
  const C = options.C ?? DEFAULT_C;
  if (!(typeof C === 'number' && C > 0 && Number.isFinite(C))) throw new InputError(`C must be a finite number > 0, received ${String(C)}`, where);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new InputError(`seed must be a safe integer, received ${String(seed)}`, where);
  if (options.dir !== undefined && typeof options.dir !== 'string') throw new InputError(`dir must be a folder path, received ${String(options.dir)}`, where);
  let data = options.data;
  if (!data) {
    const dir = options.dir ?? bundledFashionMnistDir();
    const budget = options.memoryBudget !== undefined ? { memoryBudget: options.memoryBudget } : {};
    data = { train: loadFashionMnist(dir, { split: 'train', ...budget }), test: loadFashionMnist(dir, { split: 'test', ...budget }) };
  }
  return new DataCleaning(data.train, data.test, { n, m, p, C, seed, ...(options.memoryBudget !== undefined ? { memoryBudget: options.memoryBudget } : {}) });
}

/**
 * One WebAssembly arena for the three pixel sets (stored entries `nnz[i]` of `rowCounts[i]` rows) and the SIMD
 * kernels' buffers: batch indices, the gradient accumulator, z and v folded, their offsets, two logit blocks,
 * the class weights W and the pixel scaling (the sizes {@link DataCleaning}'s constructor carves out), and room to
 * pair the minibatches of two samplers over the training rows and one over the validation rows for the gradient
 * accumulation ({@link PairedBatches}; SABA's inner and linear-system streams, and its outer-gradient sampler), when
 * the arena with that room stays within the memory budget (Fashion-MNIST, n = 20,000: about 47 MB reserved for every
 * block of the three samplers, about two thirds of it written).
 */
function pixelArena(cols: number, rows: number, nnz: readonly number[], rowCounts: readonly number[], budget: number): PixelSimd {
  const dim = cols * CLASSES;
  const base = {
    u16: nnz,
    u8: nnz,
    i32: [...rowCounts.map((r) => r + 1), rows],
    f64: [dim, dim, dim, CLASSES, CLASSES, rows * CLASSES, rows * CLASSES, rows * CLASSES, cols, cols],
  };
  const cap = pairedCapacity([
    { stored: nnz[0], rows: rowCounts[0], passes: 2 },
    { stored: nnz[1], rows: rowCounts[1], passes: 1 },
  ]);
  const extra = pairedBytes(cap.entries, cap.pairs);
  const withPairs = { u16: [...base.u16, ...extra.u16], u8: [...base.u8, ...extra.u8], i32: [...base.i32, ...extra.i32], f64: base.f64 };
  const sized = SimdArena.bytesFor(withPairs);
  const pairs = sized <= budget;
  // not prefaulted: the data is written now, and the pairings' room in the solver's set-up (prepareBatches), where
  // only the pages the merged lists need (about two thirds of the room) are touched
  const arena = new SimdArena(pairs ? sized : SimdArena.bytesFor(base));
  const batch = arena.i32(rows);
  const acc = arena.f64(dim);
  return pairs ? { arena, batch, acc, pairs: new PairedBatches(arena, cap.entries, cap.pairs) } : { arena, batch, acc };
}
