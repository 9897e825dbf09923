import { BatchedBroyden, gmres, nrm2, Rng } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';
import { fullBatch, INNER_TOL } from '@bilevel/problems';
import type { EquilibriumBatch, EquilibriumProblem, Hypergradient, InnerSolution, InnerSolveOptions } from '@bilevel/problems';
import type { TapeOptions } from '../tape/tape';
import { tensorLayout } from '../model/tensor-layout';
import type { TensorLayout } from '../model/tensor-layout';
import type { DeqArchitecture, DeqLayerKind } from './deq-tapes';
import { deqParamShapes, deqStateDim, DeqTapes, EnergyTape, NO_DATA } from './deq-tapes';

/** Labelled samples: one row of features per sample and its class. */
export interface DeqData {
  readonly features: Matrix;
  readonly labels: Int32Array;
}

/** Options of {@link deqProblem}, with their defaults. */
export interface DeqSpec {
  /** Training samples (the n of the bilevel problem). */
  readonly train: DeqData;
  /** Held-out samples for the test accuracy metric. Default none. */
  readonly test?: DeqData;
  /** K, the classes (every label below it). */
  readonly classes: number;
  /** `dense` (default) or `conv` (needs `imageShape`); see {@link DeqArchitecture}. */
  readonly layer?: DeqLayerKind;
  /** dense: the state size d (default 64); conv: the state's channels (default 8). */
  readonly hidden?: number;
  /** conv: [C, H, W] of one sample (C·H·W = the feature columns). */
  readonly imageShape?: readonly [number, number, number];
  /**
   * The start of x: flat values, or seeded random weights: W with N(0, s²/fanIn) entries (spectral radius ≈ s: a
   * contraction for s < 1, tanh' ≤ 1), U and Wc Glorot-uniform, biases zero. Default `{ seed: 0, layerScale: 0.5 }`.
   */
  readonly init?: Float64Array | { readonly seed?: number; readonly layerScale?: number };
  /** Samples per replay of the evaluation oracles (longer batches run in chunks). Default 256. */
  readonly chunk?: number;
  /** The evaluation forward solves (Broyden): relative tolerance per sample and iteration cap. Default 1e-10, 200. */
  readonly forwardTol?: number;
  readonly forwardMaxIter?: number;
  /** The hypergradient's GMRES: relative tolerance and cap. Default 1e-10, 500. */
  readonly backwardTol?: number;
  readonly backwardMaxIter?: number;
  /** Tape kernels. Default `auto`. */
  readonly kernels?: TapeOptions['kernels'];
  /** Short identifier. Default `deq`. */
  readonly name?: string;
  /** Facts for logs and summaries (the data's source…). */
  readonly info?: Readonly<Record<string, string | number | boolean>>;
}

const KEYS = ['train', 'test', 'classes', 'layer', 'hidden', 'imageShape', 'init', 'chunk', 'forwardTol', 'forwardMaxIter', 'backwardTol', 'backwardMaxIter', 'kernels', 'name', 'info'];

const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : Array.isArray(v) ? `[${v.map(String).join(', ')}]` : typeof v === 'object' ? 'an object' : String(v));

type DeqShapes = ReturnType<typeof deqParamShapes>;

/** Products bound to one batch of one split at one x (see {@link EquilibriumBatch}). */
class DeqBinding implements EquilibriumBatch {
  readonly size: number;
  readonly dim: number;
  split: 'train' | 'test' | '' = '';
  batch: Int32Array;
  x: Float64Array;

  constructor(
    private readonly owner: DeqProblem,
    private readonly tapes: DeqTapes,
  ) {
    this.size = tapes.size;
    this.dim = owner.stateDim;
    this.batch = new Int32Array(tapes.size);
    this.x = new Float64Array(owner.dimX);
  }

  matches(split: 'train' | 'test', batch: Int32Array, x: Float64Array): boolean {
    if (split !== this.split) return false;
    for (let k = 0; k < batch.length; k++) if (batch[k] !== this.batch[k]) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== this.x[i]) return false;
    return true;
  }

  /** Loads the batch's inputs and labels and x, and computes the injection X once. */
  bind(split: 'train' | 'test', batch: Int32Array, x: Float64Array): void {
    const o = this.owner;
    const data = o.dataOf(split);
    const { injection: inj, layer, head } = this.tapes;
    const p = data.features.cols;
    const K = o.classes;
    const A = inj.A.val;
    const Y = head.Y.val;
    Y.fill(0);
    for (let k = 0; k < batch.length; k++) {
      const i = batch[k];
      A.set(data.features.data.subarray(i * p, i * p + p), k * p);
      Y[k * K + data.labels[i]] = 1;
    }
    const P = o.layout.split(x);
    inj.U.val.set(P.U);
    inj.b.val.set(P.b);
    inj.value.run(NO_DATA);
    layer.X.val.set(inj.X.val);
    layer.W.val.set(P.W);
    head.Wc.val.set(P.Wc);
    head.bc.val.set(P.bc);
    this.batch.set(batch);
    this.x.set(x);
    this.split = split;
  }

  layer(z: Float64Array, out: Float64Array): void {
    const L = this.tapes.layer;
    L.z.val.set(z);
    L.value.run(NO_DATA);
    out.set(L.f.val);
  }

  vjpZ(z: Float64Array, u: Float64Array, out: Float64Array): void {
    const L = this.tapes.layer;
    L.z.val.set(z);
    L.u.val.set(u);
    L.vjpZ.run(NO_DATA);
    out.set(L.z.bar);
  }

  jvpZ(z: Float64Array, v: Float64Array, out: Float64Array): void {
    const L = this.tapes.layer;
    L.z.val.set(z);
    L.z.dot.set(v);
    L.jvpZ.run(NO_DATA);
    out.set(L.u.bdot);
  }

  vjpX(z: Float64Array, u: Float64Array, out: Float64Array): void {
    const { layer: L, injection: inj } = this.tapes;
    L.z.val.set(z);
    L.u.val.set(u);
    L.vjpP.run(NO_DATA);
    inj.ubar.val.set(L.X.bar);
    inj.grad.run(NO_DATA);
    out.fill(0);
    const P = this.owner.layout.split(out);
    P.W.set(L.W.bar);
    P.U.set(inj.U.bar);
    P.b.set(inj.b.bar);
  }

  loss(z: Float64Array, gz: Float64Array, gx?: Float64Array): number {
    const H = this.tapes.head;
    H.z.val.set(z);
    // the gradient's replay skips the output's value (activity analysis): the value plan computes it
    H.value.run(NO_DATA);
    const value = H.loss.val[0];
    H.grad.run(NO_DATA);
    gz.set(H.z.bar);
    if (gx) {
      gx.fill(0);
      const P = this.owner.layout.split(gx);
      P.Wc.set(H.Wc.bar);
      P.bc.set(H.bc.bar);
    }
    return value;
  }

  predict(z: Float64Array, out: Int32Array): void {
    const H = this.tapes.head;
    H.z.val.set(z);
    H.value.run(NO_DATA);
    const K = this.owner.classes;
    const lg = H.logits.val;
    for (let k = 0; k < this.size; k++) {
      let best = 0;
      for (let c = 1; c < K; c++) if (lg[k * K + c] > lg[k * K + best]) best = c;
      out[k] = best;
    }
  }
}

/**
 * A deep equilibrium classifier on the tape engine as an {@link EquilibriumProblem}: the layer, its products and the
 * head recorded once per batch size ({@link DeqTapes}), the BilevelProblem oracles from the residual energy G and
 * the training loss F (chunked means over any batch), an evaluation-time forward solve (batched Broyden) and exact
 * hypergradient (GMRES on (I − J)ᵀu = ∇_zF, then (I − J)w = u for the contract's v = −n·w), and the test accuracy
 * as a metric. Build it with {@link deqProblem}.
 */
export class DeqProblem implements EquilibriumProblem {
  readonly kind = 'equilibrium' as const;
  readonly name: string;
  readonly precision = 'float64' as const;
  readonly arch: DeqArchitecture;
  readonly stateDim: number;
  readonly classes: number;
  readonly dimZ: number;
  readonly dimX: number;
  readonly nInner: number;
  readonly nOuter: number;
  readonly nHeldOut: number;
  readonly fullInner: Int32Array;
  readonly fullOuter: Int32Array;
  readonly layout: TensorLayout<DeqShapes>;
  readonly info: Readonly<Record<string, string | number | boolean>>;
  private readonly trainData: DeqData;
  private readonly testData: DeqData | null;
  private readonly x0: Float64Array;
  private readonly chunk: number;
  private readonly forwardTol: number;
  private readonly forwardMaxIter: number;
  private readonly backwardTol: number;
  private readonly backwardMaxIter: number;
  private readonly kernels: TapeOptions['kernels'];
  private readonly tapes = new Map<number, DeqBinding>();
  private readonly energies = new Map<number, EnergyTape>();
  private readonly broydens = new Map<number, BatchedBroyden>();

  constructor(spec: DeqSpec) {
    const fn = 'deqProblem';
    if (spec === null || typeof spec !== 'object') throw new TypeError(`${fn}: spec must be an object { train, classes, … }, received ${describe(spec)}`);
    for (const k of Object.keys(spec)) if (!KEYS.includes(k)) throw new RangeError(`${fn}: unknown field spec.${k}; expected one of ${KEYS.join(', ')}`);
    const K = spec.classes;
    if (!(Number.isSafeInteger(K) && K >= 2)) throw new RangeError(`${fn}: spec.classes must be an integer ≥ 2, received ${describe(K)}`);
    checkData(fn, 'train', spec.train, K);
    if (spec.test !== undefined) {
      checkData(fn, 'test', spec.test, K);
      if (spec.test.features.cols !== spec.train.features.cols) {
        throw new RangeError(`${fn}: spec.test has ${spec.test.features.cols} features per sample, spec.train ${spec.train.features.cols}`);
      }
    }
    const layer = spec.layer ?? 'dense';
    if (layer !== 'dense' && layer !== 'conv') throw new RangeError(`${fn}: spec.layer must be "dense" or "conv", received ${describe(layer)}`);
    const hidden = spec.hidden ?? (layer === 'dense' ? 64 : 8);
    if (!(Number.isSafeInteger(hidden) && hidden >= 1)) throw new RangeError(`${fn}: spec.hidden must be a positive integer, received ${describe(hidden)}`);
    const p = spec.train.features.cols;
    let imageShape: readonly [number, number, number] | undefined;
    if (layer === 'conv') {
      const s = spec.imageShape;
      if (!Array.isArray(s) || s.length !== 3 || !s.every((v) => Number.isSafeInteger(v) && v >= 1) || s[0] * s[1] * s[2] !== p) {
        throw new RangeError(`${fn}: spec.imageShape must be [C, H, W] with C·H·W = ${p} (the features of a sample) for a conv layer, received ${describe(s)}`);
      }
      imageShape = [s[0], s[1], s[2]];
    }
    const positive = (field: keyof DeqSpec, v: unknown, dflt: number, integer: boolean): number => {
      if (v === undefined) return dflt;
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isSafeInteger(v))) {
        throw new RangeError(`${fn}: spec.${field} must be a positive ${integer ? 'integer' : 'number'}, received ${describe(v)}`);
      }
      return v;
    };
    this.chunk = positive('chunk', spec.chunk, 256, true);
    this.forwardTol = positive('forwardTol', spec.forwardTol, 1e-10, false);
    this.forwardMaxIter = positive('forwardMaxIter', spec.forwardMaxIter, 200, true);
    this.backwardTol = positive('backwardTol', spec.backwardTol, 1e-10, false);
    this.backwardMaxIter = positive('backwardMaxIter', spec.backwardMaxIter, 500, true);
    if (spec.kernels !== undefined && spec.kernels !== 'auto' && spec.kernels !== 'js') throw new RangeError(`${fn}: spec.kernels must be "auto" or "js", received ${describe(spec.kernels)}`);
    this.kernels = spec.kernels ?? 'auto';
    this.arch = { layer, inputDim: p, hidden, classes: K, ...(imageShape ? { imageShape } : {}) };
    this.stateDim = deqStateDim(this.arch);
    this.classes = K;
    this.layout = tensorLayout(deqParamShapes(this.arch), fn, 'parameters');
    this.name = spec.name ?? 'deq';
    this.trainData = spec.train;
    this.testData = spec.test ?? null;
    this.nInner = spec.train.features.rows;
    this.nOuter = this.nInner;
    this.nHeldOut = spec.test?.features.rows ?? 0;
    this.dimZ = this.nInner * this.stateDim;
    this.dimX = this.layout.size;
    this.fullInner = fullBatch(this.nInner);
    this.fullOuter = this.fullInner;
    this.x0 = initialX(fn, this.layout, this.arch, spec.init);
    this.info = {
      layer,
      hidden,
      stateDim: this.stateDim,
      parameters: this.dimX,
      train: this.nInner,
      test: this.nHeldOut,
      classes: K,
      ...(spec.info ?? {}),
    };
  }

  /** The starting x of the spec (a copy). */
  initialX(): Float64Array {
    return Float64Array.from(this.x0);
  }

  dataOf(split: 'train' | 'test'): DeqData {
    if (split === 'train') return this.trainData;
    if (!this.testData) throw new RangeError(`${this.name}: no held-out samples (spec.test)`);
    return this.testData;
  }

  labels(split: 'train' | 'test'): Int32Array {
    return this.dataOf(split).labels;
  }

  private checkBatch(fn: string, split: 'train' | 'test', batch: Int32Array, x: Float64Array): void {
    const n = split === 'train' ? this.nInner : this.nHeldOut;
    if (!(batch instanceof Int32Array) || batch.length === 0) throw new RangeError(`${this.name}.${fn}: batch must be a non-empty Int32Array of sample indices`);
    for (let k = 0; k < batch.length; k++) {
      if (!(batch[k] >= 0 && batch[k] < n)) throw new RangeError(`${this.name}.${fn}: batch[${k}] = ${batch[k]} is not a ${split} sample index in 0..${n - 1}`);
    }
    if (!(x instanceof Float64Array) || x.length !== this.dimX) throw new RangeError(`${this.name}.${fn}: x must be a Float64Array of length ${this.dimX}`);
  }

  private binding(split: 'train' | 'test', batch: Int32Array, x: Float64Array): DeqBinding {
    let b = this.tapes.get(batch.length);
    if (!b) {
      b = new DeqBinding(this, new DeqTapes(this.arch, batch.length, this.kernels));
      this.tapes.set(batch.length, b);
    }
    if (!b.matches(split, batch, x)) b.bind(split, batch, x);
    return b;
  }

  equilibriumBatch(batch: Int32Array, x: Float64Array): EquilibriumBatch {
    this.checkBatch('equilibriumBatch', 'train', batch, x);
    return this.binding('train', batch, x);
  }

  heldOutBatch(batch: Int32Array, x: Float64Array): EquilibriumBatch {
    this.checkBatch('heldOutBatch', 'test', batch, x);
    return this.binding('test', batch, x);
  }

  // ---- the BilevelProblem oracles: chunked means over the batch ---------------------------------------------------

  /** Calls `fn` on consecutive chunks of `batch` with the weight |chunk|/|batch| of each chunk's mean. */
  private chunks(batch: Int32Array, fn: (idx: Int32Array, w: number) => void): void {
    for (let s = 0; s < batch.length; s += this.chunk) {
      const idx = batch.subarray(s, Math.min(batch.length, s + this.chunk));
      fn(idx, idx.length / batch.length);
    }
  }

  private energyTape(idx: Int32Array, z: Float64Array, x: Float64Array, v?: Float64Array): EnergyTape {
    let e = this.energies.get(idx.length);
    if (!e) {
      e = new EnergyTape(this.arch, idx.length, this.kernels);
      this.energies.set(idx.length, e);
    }
    const d = this.stateDim;
    const p = this.arch.inputDim;
    const F = this.trainData.features.data;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      e.z.val.set(z.subarray(i * d, i * d + d), k * d);
      e.A.val.set(F.subarray(i * p, i * p + p), k * p);
      if (v) e.z.dot.set(v.subarray(i * d, i * d + d), k * d);
    }
    const P = this.layout.split(x);
    e.W.val.set(P.W);
    e.U.val.set(P.U);
    e.b.val.set(P.b);
    return e;
  }

  /** out[i·d …] += w·rows[k·d …] for the chunk's sample i = idx[k] (full-length z-shaped out). */
  private scatter(idx: Int32Array, rows: Float64Array, w: number, out: Float64Array): void {
    const d = this.stateDim;
    for (let k = 0; k < idx.length; k++) {
      const o = idx[k] * d;
      for (let j = 0; j < d; j++) out[o + j] += w * rows[k * d + j];
    }
  }

  private gather(idx: Int32Array, z: Float64Array, out: Float64Array): Float64Array {
    const d = this.stateDim;
    for (let k = 0; k < idx.length; k++) out.set(z.subarray(idx[k] * d, idx[k] * d + d), k * d);
    return out;
  }

  /** out (x-shaped) += w·(the layer parameters' adjoints or adjoint tangents of the energy tape). */
  private addTheta(e: EnergyTape, which: 'bar' | 'bdot', w: number, out: Float64Array): void {
    const P = this.layout.split(out);
    for (const [view, node] of [
      [P.W, e.W],
      [P.U, e.U],
      [P.b, e.b],
    ] as const) {
      const src = node[which];
      for (let j = 0; j < view.length; j++) view[j] += w * src[j];
    }
  }

  innerValue(z: Float64Array, x: Float64Array, batch: Int32Array): number {
    let s = 0;
    this.chunks(batch, (idx, w) => {
      const e = this.energyTape(idx, z, x);
      e.value.run(NO_DATA);
      s += w * e.energy.val[0];
    });
    return s;
  }

  innerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    out.fill(0);
    this.chunks(batch, (idx, w) => {
      const e = this.energyTape(idx, z, x);
      e.gradZ.run(NO_DATA);
      this.scatter(idx, e.z.bar, w, out);
    });
  }

  innerHvp(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    out.fill(0);
    this.chunks(batch, (idx, w) => {
      const e = this.energyTape(idx, z, x, v);
      e.hvp.run(NO_DATA);
      this.scatter(idx, e.z.bdot, w, out);
    });
  }

  innerCross(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    out.fill(0);
    this.chunks(batch, (idx, w) => {
      const e = this.energyTape(idx, z, x, v);
      e.cross.run(NO_DATA);
      this.addTheta(e, 'bdot', w, out);
    });
  }

  innerGradX(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    out.fill(0);
    this.chunks(batch, (idx, w) => {
      const e = this.energyTape(idx, z, x);
      e.gradX.run(NO_DATA);
      this.addTheta(e, 'bar', w, out);
    });
  }

  /** F's chunks: each chunk's bound products, its compact states, the weight. */
  private outerChunks(z: Float64Array, x: Float64Array, batch: Int32Array, fn: (b: EquilibriumBatch, zc: Float64Array, idx: Int32Array, w: number) => void): void {
    this.chunks(batch, (idx, w) => {
      const b = this.binding('train', idx, x);
      fn(b, this.gather(idx, z, new Float64Array(idx.length * this.stateDim)), idx, w);
    });
  }

  outerValue(z: Float64Array, x: Float64Array, batch: Int32Array): number {
    let s = 0;
    this.outerChunks(z, x, batch, (b, zc, _idx, w) => {
      s += w * b.loss(zc, new Float64Array(zc.length));
    });
    return s;
  }

  outerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    out.fill(0);
    this.outerChunks(z, x, batch, (b, zc, idx, w) => {
      const gz = new Float64Array(zc.length);
      b.loss(zc, gz);
      this.scatter(idx, gz, w, out);
    });
  }

  outerGradX(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    out.fill(0);
    const gx = new Float64Array(this.dimX);
    this.outerChunks(z, x, batch, (b, zc, _idx, w) => {
      b.loss(zc, new Float64Array(zc.length), gx);
      for (let i = 0; i < out.length; i++) out[i] += w * gx[i];
    });
  }

  // ---- evaluation ------------------------------------------------------------------------------------------------

  private broyden(size: number): BatchedBroyden {
    let qn = this.broydens.get(size);
    if (!qn) {
      qn = new BatchedBroyden(size, this.stateDim, { memory: Math.min(this.forwardMaxIter, 50) });
      this.broydens.set(size, qn);
    }
    return qn;
  }

  /**
   * The equilibria of samples `idx` of a split by Broyden's method (spec forwardTol, forwardMaxIter), written into
   * the rows of `z` (full length, z's rows are the warm start). Returns the samples that did not converge.
   */
  forwardSolve(split: 'train' | 'test', idx: Int32Array, x: Float64Array, z: Float64Array): { unconverged: number; iterations: number } {
    let unconverged = 0;
    let iterations = 0;
    const d = this.stateDim;
    this.chunks(idx, (c) => {
      const b = this.binding(split, c, x);
      const zc = this.gather(c, z, new Float64Array(c.length * d));
      const res = this.broyden(c.length).solve((q, out) => b.layer(q, out), zc, { tol: this.forwardTol, maxIter: this.forwardMaxIter });
      unconverged += c.length - res.convergedCount;
      iterations = Math.max(iterations, res.iterations);
      for (let k = 0; k < c.length; k++) z.set(zc.subarray(k * d, k * d + d), c[k] * d);
    });
    return { unconverged, iterations };
  }

  /**
   * z*(x): every training sample's equilibrium by batched Broyden (warm-started at `z0` if given), then
   * ‖∇_z G(z, x)‖ over the full batch; converged when it is ≤ tol (default 1e-10).
   */
  solveInner(x: Float64Array, options: InnerSolveOptions = {}): InnerSolution {
    const tol = options.tol ?? INNER_TOL;
    const z = options.z0 ? Float64Array.from(options.z0) : new Float64Array(this.dimZ);
    const { iterations } = this.forwardSolve('train', this.fullInner, x, z);
    const g = new Float64Array(this.dimZ);
    this.innerGradZ(z, x, this.fullInner, g);
    const gradNorm = nrm2(g);
    return { z, gradNorm, iterations, converged: gradNorm <= tol, tol };
  }

  /**
   * h(x) = F(z*(x), x) and the implicit gradient ∇_xF + Σ_chunks (∂f/∂x)ᵀu, (I − J)ᵀu = ∇_zF per chunk by GMRES
   * (spec backwardTol, backwardMaxIter). The contract's v = −(∇²_zzG)⁻¹∇_zF = −n·w with (I − J)w = u (at the
   * equilibria) costs a second solve per chunk: it is computed when `v` is first read.
   */
  hypergradient(x: Float64Array, options: InnerSolveOptions = {}): Hypergradient {
    const inner = this.solveInner(x, options);
    const { z } = inner;
    const grad = new Float64Array(this.dimX);
    const gx = new Float64Array(this.dimX);
    const us: { idx: Int32Array; u: Float64Array }[] = [];
    let value = 0;
    this.outerChunks(z, x, this.fullOuter, (b, zc, idx, w) => {
      const rhs = new Float64Array(zc.length);
      value += w * b.loss(zc, rhs, gx);
      for (let i = 0; i < this.dimX; i++) grad[i] += w * gx[i];
      for (let i = 0; i < rhs.length; i++) rhs[i] *= w;
      const u = new Float64Array(zc.length);
      this.solveLinear(b, zc, rhs, u, 'adjoint');
      b.vjpX(zc, u, gx);
      for (let i = 0; i < this.dimX; i++) grad[i] += gx[i];
      us.push({ idx: Int32Array.from(idx), u });
    });
    let v: Float64Array | undefined;
    const vOf = () => {
      if (v) return v;
      const out = new Float64Array(this.dimZ);
      const d = this.stateDim;
      for (const { idx, u } of us) {
        const b = this.binding('train', idx, x);
        const zc = this.gather(idx, z, new Float64Array(idx.length * d));
        const wv = new Float64Array(zc.length);
        this.solveLinear(b, zc, u, wv, 'forward');
        for (let k = 0; k < idx.length; k++) for (let j = 0; j < d; j++) out[idx[k] * d + j] = -this.nInner * wv[k * d + j];
      }
      v = out;
      return v;
    };
    return {
      value,
      grad,
      z,
      get v() {
        return vOf();
      },
      innerGradNorm: inner.gradNorm,
      innerConverged: inner.converged,
      innerTol: inner.tol,
    };
  }

  /** GMRES on (I − J)ᵀu = rhs (`adjoint`) or (I − J)u = rhs (`forward`) at the chunk's equilibria. */
  private solveLinear(b: EquilibriumBatch, zc: Float64Array, rhs: Float64Array, out: Float64Array, which: 'adjoint' | 'forward'): void {
    const t = new Float64Array(zc.length);
    gmres(
      (q, o) => {
        if (which === 'adjoint') b.vjpZ(zc, q, t);
        else b.jvpZ(zc, q, t);
        for (let i = 0; i < q.length; i++) o[i] = q[i] - t[i];
      },
      rhs,
      out,
      { rtol: this.backwardTol, maxIter: this.backwardMaxIter },
    );
  }

  /** Accuracy of the states z on the training samples, and on the held-out samples after their forward solves. */
  metrics(x: Float64Array, z: Float64Array): Readonly<Record<string, number>> {
    const acc = (split: 'train' | 'test', zs: Float64Array, n: number) => {
      let right = 0;
      const labels = this.labels(split);
      this.chunks(fullBatch(n), (idx) => {
        const b = this.binding(split, idx, x);
        const pred = new Int32Array(idx.length);
        b.predict(this.gather(idx, zs, new Float64Array(idx.length * this.stateDim)), pred);
        for (let k = 0; k < idx.length; k++) if (pred[k] === labels[idx[k]]) right++;
      });
      return right / n;
    };
    const out: Record<string, number> = { trainAccuracy: acc('train', z, this.nInner) };
    if (this.nHeldOut > 0) {
      const zt = new Float64Array(this.nHeldOut * this.stateDim);
      const { unconverged } = this.forwardSolve('test', fullBatch(this.nHeldOut), x, zt);
      out.testAccuracy = acc('test', zt, this.nHeldOut);
      out.testUnconverged = unconverged;
    }
    return out;
  }
}

function checkData(fn: string, field: string, data: DeqData, K: number): void {
  const f = data?.features;
  if (!f || !(f.data instanceof Float64Array) || !(f.rows >= 1) || !(f.cols >= 1) || f.data.length !== f.rows * f.cols) {
    throw new TypeError(`${fn}: spec.${field}.features must be a Matrix { rows ≥ 1, cols ≥ 1, data: Float64Array of rows·cols }`);
  }
  if (!(data.labels instanceof Int32Array) || data.labels.length !== f.rows) {
    throw new RangeError(`${fn}: spec.${field}.labels must be an Int32Array with one label per row (${f.rows}), received ${data.labels instanceof Int32Array ? `${data.labels.length}` : describe(data.labels)}`);
  }
  const bad = data.labels.findIndex((c) => !(c >= 0 && c < K));
  if (bad >= 0) throw new RangeError(`${fn}: spec.${field}.labels[${bad}] = ${data.labels[bad]} is not a class in 0..${K - 1}`);
  const nf = f.data.findIndex((v) => !Number.isFinite(v));
  if (nf >= 0) throw new RangeError(`${fn}: spec.${field}.features entry ${nf} is ${f.data[nf]}, expected a finite number`);
}

function initialX(fn: string, layout: TensorLayout<DeqShapes>, arch: DeqArchitecture, init: DeqSpec['init']): Float64Array {
  if (init instanceof Float64Array) {
    if (init.length !== layout.size) throw new RangeError(`${fn}: spec.init must hold the ${layout.size} parameters (W, U, b, Wc, bc), received ${init.length}`);
    const bad = init.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new RangeError(`${fn}: spec.init[${bad}] is ${init[bad]}, expected a finite number`);
    return Float64Array.from(init);
  }
  const seed = init?.seed ?? 0;
  const scale = init?.layerScale ?? 0.5;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${fn}: spec.init.seed must be a safe integer, received ${describe(seed)}`);
  if (!(typeof scale === 'number' && scale > 0 && Number.isFinite(scale))) throw new RangeError(`${fn}: spec.init.layerScale must be a positive number, received ${describe(scale)}`);
  const x = new Float64Array(layout.size);
  const P = layout.split(x);
  const rng = Rng.fromSeed(seed);
  const shapes = deqParamShapes(arch);
  const fanIn = (s: number[]) => (s.length === 2 ? s[0] : s[1] * s[2] * s[3]);
  rng.normals(P.W);
  const sw = scale / Math.sqrt(fanIn(shapes.W));
  for (let i = 0; i < P.W.length; i++) P.W[i] *= sw;
  const glorot = (view: Float64Array, s: number[]) => {
    const receptive = s.length === 4 ? s[2] * s[3] : 1;
    const a = Math.sqrt(6 / ((s[0] + s[1]) * receptive));
    for (let i = 0; i < view.length; i++) view[i] = a * (2 * rng.float() - 1);
  };
  glorot(P.U, shapes.U);
  glorot(P.Wc, shapes.Wc);
  return x;
}

/**
 * A deep equilibrium classifier as an {@link EquilibriumProblem} (see {@link DeqProblem}, {@link DeqSpec}).
 *
 * @example
 * const p = deqProblem({ train, test, classes: 10, hidden: 64 });
 * const b = p.equilibriumBatch(Int32Array.of(0, 1, 2), p.initialX());
 * b.layer(z, fz); // f(z) for the three samples
 */
export function deqProblem(spec: DeqSpec): DeqProblem {
  return new DeqProblem(spec);
}
