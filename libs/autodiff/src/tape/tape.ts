import { checkConv2dShape, conv2dOutSize, simdAvailable, tensorKernels } from '@bilevel/linalg';
import type { Matrix, TensorKernels } from '@bilevel/linalg';
import { SimdRows } from './simd-rows';
import { tapeSimd } from './tape-simd';
import { ReplayPlan } from './replay-plan';
import type { ReplayPlanOptions } from './replay-plan';
import { TapeNode } from './tape-nodes';
import type { MutableConv2dShape, NodeInit } from './tape-nodes';
import { MAX_OPERANDS, U_EXP, U_LEAKY, U_LOG, U_RELU, U_RSQRT, U_SIGMOID, U_SOFTPLUS, U_SQRT, U_SQUARE, U_TANH } from './node-codes';
import type { ReplayContext } from './node-codes';
import { broadcastShapes, broadcastStrides, coalesce, contiguousStrides, describeShape, normalizeAxis, sizeOf } from './shapes';

/**
 * A value recorded on a {@link Tape}: a float64 tensor with a `shape` (a vector of length n has shape [n]), whose
 * first axis may be the batch axis (`batched`). Its buffers (`val`, `dot`, `bar`, `bdot`: value, tangent, adjoint,
 * adjoint tangent, row-major) belong to the tape and exist once the tape is closed ({@link Tape.output}); fill an
 * input's `val` (and `dot`) before a replay, read results after it. `n` is the number of entries of the current
 * replay.
 */
export type TapeVar = TapeNode;

/** Options of {@link Tape}. */
export interface TapeOptions {
  /**
   * Kernels: `auto` (default) the fastest the runtime has (the tensor kernels' choice for matrix products and
   * convolutions, and with their WebAssembly SIMD kernels the tape's own for relu, biases and 2×2 max pooling, same
   * bits as their JavaScript loops; for `rowsDot`, the WebAssembly SIMD kernels of @bilevel/linalg where available and
   * `BILEVEL_KERNELS` is not `js`, on a copy of each data matrix made when it is first recorded); `js` the JavaScript
   * loops.
   */
  readonly kernels?: 'auto' | 'js';
  /**
   * The most samples one batch may hold: the length of the batch axis of every buffer. Default: the number of
   * samples of the tape's data (enough for a full batch; set it to the minibatch size when the data are large).
   */
  readonly maxBatch?: number;
}

/** Options of {@link Tape.matmul}. */
export interface MatmulOptions {
  /** Use aᵀ (a stored [k, m]). Default false. */
  readonly transA?: boolean;
  /** Use bᵀ (b stored [n, k]). Default false. */
  readonly transB?: boolean;
}

/** Options of {@link Tape.conv2d}. */
export interface Conv2dOptions {
  /** Stride, one number for both axes or [sh, sw]. Default 1. */
  readonly stride?: number | readonly [number, number];
  /** Zero padding on each side, one number or [ph, pw]. Default 0. */
  readonly padding?: number | readonly [number, number];
  /** Bias per output channel, shape [O]. */
  readonly bias?: TapeVar;
}

/** Options of {@link Tape.maxPool2d} and {@link Tape.avgPool2d}. */
export interface Pool2dOptions {
  /** Window, one number or [kh, kw]. */
  readonly size: number | readonly [number, number];
  /** Stride, one number or [sh, sw]. Default: the window. */
  readonly stride?: number | readonly [number, number];
}

/** Options of {@link Tape.batchNorm}. */
export interface BatchNormOptions {
  /** Added to the variance before the square root. Default 1e-5. */
  readonly eps?: number;
}

const describe = (v: unknown) =>
  typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' ? String(v) : v === null ? 'null' : Array.isArray(v) ? `[${v.map(String).join(', ')}]` : typeof v;

const isDims = (s: unknown): s is readonly number[] => Array.isArray(s) && s.every((d) => Number.isSafeInteger(d) && d >= 1);

const ALIGN = 16;
const roundUp = (bytes: number) => Math.ceil(bytes / ALIGN) * ALIGN;

/**
 * Float64 automatic differentiation of tensors by a recorded tape: build a scalar function of tensor inputs once with
 * the methods below, then replay it over preallocated buffers for any batch, with plans ({@link Tape.plan}) for its
 * value, its gradient (reverse mode) and Hessian-vector products (forward-over-reverse, Pearlmutter, Neural
 * Computation 1994), with respect to any inputs: ∇_z g, ∇²_zz g·v, ∇²_xz g·v, ∇_x g of one recording. A replay runs a
 * fixed list of allocation-free loops (dense products on the tensor kernels of @bilevel/linalg): no graph is built
 * per call, as a tfjs `tf.grad` does, and nothing leaves float64.
 *
 * Shapes: every value is a row-major tensor; elementwise operations broadcast as numpy does (trailing axes aligned,
 * equal or 1). Values that come from the data of the samples in the batch (`gatherRows`, `gatherLabels`, `gather`,
 * `rowsDot`) carry a leading batch axis whose length is the current batch's size; an operation keeps it, a reduction
 * over it (`sum`, `mean` with axis 0, or over all axes) removes it, and a fixed value broadcast against a batched one
 * must have length 1 (or nothing) on that axis. All data of one tape index the same samples.
 *
 * Memory: when the tape is closed ({@link Tape.output}) every buffer is carved from one arena of the tensor kernels,
 * sized for the capacity (option `maxBatch`, default the number of samples): four buffers per value that depends on
 * an input, the value only for data and constants, plus the forward caches of nonlinear operations.
 *
 * @example mean logistic loss plus ½e^x‖z‖² on rows A, labels y ∈ {±1} (the vector API):
 *   const t = new Tape();
 *   const z = t.input(d), x = t.input(1);
 *   const loss = t.mean(t.softplus(t.neg(t.mul(t.gather(y), t.rowsDot(A, z)))));
 *   t.output(t.add(loss, t.scale(t.sum(t.mul(t.exp(x), t.square(z))), 0.5)));
 *   const grad = t.plan({ order: 1, wrt: [z] });
 *   z.val.set(zNow); x.val.set(xNow); grad.run(batch);   // ∇_z in z.bar
 *
 * @example a two-layer classifier on images [n, 784] with labels, batches of at most 64:
 *   const t = new Tape({ maxBatch: 64 });
 *   const W1 = t.input([784, 256], 'W1'), b1 = t.input([256], 'b1'), W2 = t.input([256, 10], 'W2'), b2 = t.input([10], 'b2');
 *   const h = t.relu(t.linear(t.gatherRows(images, [784]), W1, b1));
 *   t.output(t.mean(t.softmaxCrossEntropy(t.linear(h, W2, b2), t.gatherLabels(labels))));
 *   const hvp = t.plan({ order: 2, wrt: [W1, b1, W2, b2], direction: [W1, b1, W2, b2] });
 */
export class Tape {
  private readonly nodes: TapeNode[] = [];
  private readonly simd: Map<Matrix, SimdRows> | null;
  private readonly kernelChoice: 'auto' | 'js';
  private readonly ctx: ReplayContext = { batch: new Int32Array(0), size: 0, kernels: null, simd: null };
  private inputCount = 0;
  private outNode: TapeNode | null = null;
  private sampleCount: number | null = null;
  private cap: number | null;

  constructor(options: TapeOptions = {}) {
    const kernels = options?.kernels ?? 'auto';
    if (kernels !== 'auto' && kernels !== 'js') throw new RangeError(`Tape: options.kernels must be "auto" or "js", received ${describe(kernels)}`);
    const maxBatch = options?.maxBatch;
    if (maxBatch !== undefined && (!Number.isSafeInteger(maxBatch) || maxBatch < 1)) {
      throw new RangeError(`Tape: options.maxBatch must be a positive integer, received ${describe(maxBatch)}`);
    }
    this.kernelChoice = kernels;
    this.cap = maxBatch ?? null;
    this.simd = kernels === 'auto' && simdAvailable() ? new Map() : null;
  }

  /** Number of samples the tape's data index (null when it uses none). */
  get samples(): number | null {
    return this.sampleCount;
  }

  /** Length of the batch axis of the buffers: `maxBatch`, else the number of samples (null while neither is known). */
  get capacity(): number | null {
    return this.cap;
  }

  /** The output, once {@link Tape.output} has been called. */
  get out(): TapeVar | null {
    return this.outNode;
  }

  /** Number of recorded operations. */
  get size(): number {
    return this.nodes.length;
  }

  /** The dense kernels and their arena (bytes reserved and used), once the tape is closed. */
  get kernels(): TensorKernels | null {
    return this.ctx.kernels;
  }

  // ---- recording helpers ---------------------------------------------------------------------------------------

  private open(fn: string): void {
    if (this.outNode !== null) throw new Error(`Tape.${fn}: the tape is closed (output() was called); record every operation before it`);
  }

  private own(fn: string, field: string, v: unknown): TapeNode {
    if (!(v instanceof TapeNode) || v.owner !== this) {
      throw new TypeError(`Tape.${fn}: ${field} must be a value recorded on this tape, received ${describe(v)}`);
    }
    return v;
  }

  private push(init: Omit<NodeInit, 'ctx' | 'owner'>): TapeNode {
    const node = new TapeNode(this.nodes.length, { ...init, ctx: this.ctx, owner: this });
    this.nodes.push(node);
    return node;
  }

  private useSamples(fn: string, field: string, n: number): void {
    if (this.sampleCount === null) {
      this.sampleCount = n;
      if (this.cap === null) this.cap = n;
    } else if (this.sampleCount !== n) {
      throw new RangeError(`Tape.${fn}: ${field} has ${n} samples but the tape's data have ${this.sampleCount}; one tape indexes one set of samples`);
    }
  }

  private finite(fn: string, field: string, c: unknown): number {
    if (typeof c !== 'number' || !Number.isFinite(c)) throw new RangeError(`Tape.${fn}: ${field} must be a finite number, received ${describe(c)}`);
    return c;
  }

  private pair(fn: string, field: string, v: unknown, dflt: number, min: number): [number, number] {
    const ok = (d: unknown) => Number.isSafeInteger(d) && (d as number) >= min;
    if (v === undefined) return [dflt, dflt];
    if (ok(v)) return [v as number, v as number];
    if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
    throw new RangeError(`Tape.${fn}: ${field} must be an integer ≥ ${min} or a pair of them, received ${describe(v)}`);
  }

  private shapeOf(t: TapeNode): string {
    return describeShape(t.shape, t.batched);
  }

  // ---- leaves ----------------------------------------------------------------------------------------------------

  /**
   * An input of the given shape (a positive integer n for a vector [n]; [] for a scalar), optionally named (for
   * messages and audits): fill its `val` (and, as a direction, its `dot`) before a replay.
   */
  input(shape: number | readonly number[], name?: string): TapeVar {
    this.open('input');
    if (typeof shape === 'number') {
      if (!Number.isSafeInteger(shape) || shape < 1) throw new RangeError(`Tape.input: n must be a positive integer, received ${describe(shape)}`);
    } else if (!isDims(shape)) throw new RangeError(`Tape.input: shape must be a list of positive integers, received ${describe(shape)}`);
    if (name !== undefined && (typeof name !== 'string' || name === '')) throw new TypeError(`Tape.input: name must be a non-empty string when given, received ${describe(name)}`);
    const dims = typeof shape === 'number' ? [shape] : [...shape];
    const bit = 1n << BigInt(this.inputCount++);
    return this.push({ kind: 'input', op: 'input', args: [], deps: bit, batched: false, shape: dims, name: name ?? null });
  }

  /** A constant (copied when the tape is closed): a number (shape []) or a Float64Array (shape [length] or `shape`). */
  constant(values: Float64Array | number, shape?: readonly number[]): TapeVar {
    this.open('constant');
    const data = typeof values === 'number' ? Float64Array.of(values) : values;
    if (!(data instanceof Float64Array) || data.length === 0) {
      throw new TypeError(`Tape.constant: values must be a number or a non-empty Float64Array, received ${describe(values)}`);
    }
    let dims: number[] = typeof values === 'number' ? [] : [data.length];
    if (shape !== undefined) {
      if (!isDims(shape) || sizeOf(shape) !== data.length) {
        throw new RangeError(`Tape.constant: shape must be positive integers whose product is the ${data.length} values, received ${describe(shape)}`);
      }
      dims = [...shape];
    }
    return this.push({ kind: 'constant', op: 'constant', args: [], deps: 0n, batched: false, shape: dims, data: Float64Array.from(data) });
  }

  /** Per-sample constants picked by the batch: out_k = y[batch[k]] (y: one number per sample, kept by reference). */
  gather(y: Float64Array): TapeVar {
    this.open('gather');
    if (!(y instanceof Float64Array) || y.length === 0) throw new TypeError(`Tape.gather: y must be a non-empty Float64Array, received ${describe(y)}`);
    this.useSamples('gather', 'y', y.length);
    return this.push({ kind: 'gather', op: 'gather', args: [], deps: 0n, batched: true, shape: [this.cap as number], data: y });
  }

  /**
   * Integer class labels picked by the batch, shape [batch] (their float64 values): the labels argument of
   * {@link Tape.softmaxCrossEntropy}. `labels`: one integer ≥ 0 per sample (copied, checked here).
   */
  gatherLabels(labels: Int32Array | Float64Array | readonly number[]): TapeVar {
    this.open('gatherLabels');
    const ok = labels instanceof Int32Array || labels instanceof Float64Array || Array.isArray(labels);
    if (!ok || labels.length === 0) throw new TypeError(`Tape.gatherLabels: labels must be a non-empty Int32Array, Float64Array or array of integers, received ${describe(labels)}`);
    const data = Float64Array.from(labels as ArrayLike<number>);
    const bad = data.findIndex((c) => !Number.isSafeInteger(c) || c < 0);
    if (bad >= 0) throw new RangeError(`Tape.gatherLabels: labels[${bad}] must be an integer ≥ 0 (a class index), received ${describe(data[bad])}`);
    this.useSamples('gatherLabels', 'labels', data.length);
    return this.push({ kind: 'gather', op: 'gatherLabels', args: [], deps: 0n, batched: true, shape: [this.cap as number], data });
  }

  /**
   * The batch's rows of a row-major data matrix (n samples × d numbers, kept by reference) as a [batch, ...shape]
   * tensor, copied into the tape's arena once per replay: e.g. images `gatherRows(pixels, [1, 28, 28])`. `data`: a
   * {@link Matrix} (shape defaults to [cols]) or a Float64Array with `shape` (d = the product of `shape`).
   */
  gatherRows(data: Matrix | Float64Array, shape?: readonly number[]): TapeVar {
    this.open('gatherRows');
    if (shape !== undefined && !isDims(shape)) throw new RangeError(`Tape.gatherRows: shape must be a list of positive integers, received ${describe(shape)}`);
    let values: Float64Array;
    let rows: number;
    let dims: number[];
    if (data instanceof Float64Array) {
      if (shape === undefined) throw new TypeError('Tape.gatherRows: shape is required with a Float64Array (the shape of one sample)');
      const d = sizeOf(shape);
      if (data.length === 0 || data.length % d !== 0) {
        throw new RangeError(`Tape.gatherRows: data must hold whole samples of ${d} numbers (shape ${describe(shape)}), received ${data.length} numbers`);
      }
      values = data;
      rows = data.length / d;
      dims = [...shape];
    } else {
      if (typeof data !== 'object' || data === null || !(data.data instanceof Float64Array) || data.data.length !== data.rows * data.cols || data.rows < 1 || data.cols < 1) {
        throw new TypeError('Tape.gatherRows: data must be a Matrix { rows ≥ 1, cols ≥ 1, data: Float64Array of rows·cols } or a Float64Array with a shape');
      }
      dims = shape === undefined ? [data.cols] : [...shape];
      if (sizeOf(dims) !== data.cols) throw new RangeError(`Tape.gatherRows: shape ${describe(dims)} must hold the ${data.cols} columns of data`);
      values = data.data;
      rows = data.rows;
    }
    this.useSamples('gatherRows', 'data', rows);
    return this.push({ kind: 'gatherRows', op: 'gatherRows', args: [], deps: 0n, batched: true, shape: [this.cap as number, ...dims], data: values });
  }

  /**
   * out_k = M_{batch[k]} · u: the batch's rows of a row-major data matrix (one row per sample, kept by reference)
   * times u (length M.cols). Reverse: ū += M_Bᵀ ȳ. (The vector tape's data product; `matmul(gatherRows(M), u)` is its
   * tensor form.)
   */
  rowsDot(M: Matrix, u: TapeVar): TapeVar {
    this.open('rowsDot');
    if (typeof M !== 'object' || M === null || !(M.data instanceof Float64Array) || M.data.length !== M.rows * M.cols || M.rows < 1) {
      throw new TypeError('Tape.rowsDot: M must be a Matrix { rows ≥ 1, cols, data: Float64Array of rows·cols }');
    }
    const a = this.own('rowsDot', 'u', u);
    if (a.batched || a.shape.length !== 1 || a.shape[0] !== M.cols) {
      throw new RangeError(`Tape.rowsDot: u must have fixed length M.cols = ${M.cols}, received ${this.shapeOf(a)}`);
    }
    this.useSamples('rowsDot', 'M', M.rows);
    let simd: SimdRows | null = null;
    if (this.simd !== null) {
      simd = this.simd.get(M) ?? new SimdRows(M);
      this.simd.set(M, simd);
    }
    return this.push({ kind: 'rowsDot', op: 'rowsDot', args: [a], deps: a.deps, batched: true, shape: [this.cap as number], M, simd });
  }

  // ---- elementwise -----------------------------------------------------------------------------------------------

  /** Output layout of an elementwise binary op (numpy broadcasting, the batch axis leading), or an error. */
  private broadcast(fn: string, a: unknown, b: unknown) {
    const x = this.own(fn, 'a', a);
    const y = this.own(fn, 'b', b);
    const legacy = x.shape.length <= 1 && y.shape.length <= 1;
    const fail = (why: string): never => {
      if (legacy) throw new RangeError(`Tape.${fn}: operands must have the same length or one of length 1, received ${this.shapeOf(x)} and ${this.shapeOf(y)}`);
      throw new RangeError(`Tape.${fn}: operands must broadcast (numpy rules: trailing axes equal or 1${why}), received ${this.shapeOf(x)} and ${this.shapeOf(y)}`);
    };
    if (x.batched && y.batched && x.shape.length !== y.shape.length) fail('; two batched operands have the same rank');
    for (const [p, q] of [[x, y], [y, x]] as const) {
      if (p.batched && !q.batched && (q.shape.length > p.shape.length || (q.shape.length === p.shape.length && q.shape[0] !== 1))) {
        fail('; a fixed operand has length 1 or nothing on the batch axis');
      }
    }
    const shape = broadcastShapes(x.shape, y.shape);
    if (shape === null) return fail('');
    const batched = x.batched || y.batched;
    const iter = coalesce(shape, [broadcastStrides(x.shape, shape.length), broadcastStrides(y.shape, shape.length)], batched);
    return { x, y, shape, batched, iter, deps: x.deps | y.deps };
  }

  /** a + b elementwise (broadcasting). */
  add(a: TapeVar, b: TapeVar): TapeVar {
    this.open('add');
    const p = this.broadcast('add', a, b);
    return this.push({ kind: 'affine', op: 'add', args: [p.x, p.y], deps: p.deps, batched: p.batched, shape: p.shape, iter: p.iter, c1: 1, c2: 1 });
  }

  /** a − b elementwise (broadcasting). */
  sub(a: TapeVar, b: TapeVar): TapeVar {
    this.open('sub');
    const p = this.broadcast('sub', a, b);
    return this.push({ kind: 'affine', op: 'sub', args: [p.x, p.y], deps: p.deps, batched: p.batched, shape: p.shape, iter: p.iter, c1: 1, c2: -1 });
  }

  /** a ⊙ b elementwise (broadcasting). */
  mul(a: TapeVar, b: TapeVar): TapeVar {
    this.open('mul');
    const p = this.broadcast('mul', a, b);
    return this.push({ kind: 'mul', op: 'mul', args: [p.x, p.y], deps: p.deps, batched: p.batched, shape: p.shape, iter: p.iter });
  }

  /** a / b elementwise (broadcasting; b ≠ 0 is the caller's concern). */
  div(a: TapeVar, b: TapeVar): TapeVar {
    this.open('div');
    const p = this.broadcast('div', a, b);
    return this.push({ kind: 'div', op: 'div', args: [p.x, p.y], deps: p.deps, batched: p.batched, shape: p.shape, iter: p.iter });
  }

  /** c·u for a finite number c. */
  scale(u: TapeVar, c: number): TapeVar {
    this.open('scale');
    const a = this.own('scale', 'u', u);
    this.finite('scale', 'c', c);
    return this.push({ kind: 'scale', op: 'scale', args: [a], deps: a.deps, batched: a.batched, shape: a.shape, c1: c });
  }

  /** −u. */
  neg(u: TapeVar): TapeVar {
    return this.scale(u, -1);
  }

  private unary(op: string, fn: number, u: TapeVar, c1 = 0): TapeVar {
    this.open(op);
    const a = this.own(op, 'u', u);
    return this.push({ kind: 'unary', op, fn, args: [a], deps: a.deps, batched: a.batched, shape: a.shape, c1 });
  }

  /** e^u elementwise. */
  exp(u: TapeVar): TapeVar {
    return this.unary('exp', U_EXP, u);
  }

  /** log u elementwise (u > 0 is the caller's concern: a replay gives NaN or −∞ otherwise). */
  log(u: TapeVar): TapeVar {
    return this.unary('log', U_LOG, u);
  }

  /** log(1 + e^u) elementwise, computed without overflow as max(u, 0) + log1p(e^{−|u|}). */
  softplus(u: TapeVar): TapeVar {
    return this.unary('softplus', U_SOFTPLUS, u);
  }

  /** σ(u) = 1 / (1 + e^{−u}) elementwise, without overflow. */
  sigmoid(u: TapeVar): TapeVar {
    return this.unary('sigmoid', U_SIGMOID, u);
  }

  /** tanh u elementwise. */
  tanh(u: TapeVar): TapeVar {
    return this.unary('tanh', U_TANH, u);
  }

  /** max(u, 0) elementwise (derivative 0 at u = 0). */
  relu(u: TapeVar): TapeVar {
    return this.unary('relu', U_RELU, u);
  }

  /** u for u > 0, α·u otherwise (α finite, default 0.01). */
  leakyRelu(u: TapeVar, alpha = 0.01): TapeVar {
    this.finite('leakyRelu', 'alpha', alpha);
    return this.unary('leakyRelu', U_LEAKY, u, alpha);
  }

  /** u² elementwise. */
  square(u: TapeVar): TapeVar {
    return this.unary('square', U_SQUARE, u);
  }

  /** √u elementwise (u > 0 for derivatives: the caller's concern). */
  sqrt(u: TapeVar): TapeVar {
    return this.unary('sqrt', U_SQRT, u);
  }

  /** 1/√u elementwise (u > 0 is the caller's concern). */
  rsqrt(u: TapeVar): TapeVar {
    return this.unary('rsqrt', U_RSQRT, u);
  }

  // ---- reductions and layout -------------------------------------------------------------------------------------

  private reduce(fn: 'sum' | 'mean', u: TapeVar, axes: readonly number[] | undefined, keepDims: boolean, c: number): TapeVar {
    this.open(fn);
    const a = this.own(fn, 'u', u);
    const rank = a.shape.length;
    let list: number[];
    if (axes === undefined) list = a.shape.map((_, i) => i);
    else {
      if (!Array.isArray(axes)) throw new TypeError(`Tape.${fn}: axes must be an array of axes, received ${describe(axes)}`);
      list = axes.map((ax) => {
        const n = normalizeAxis(ax, rank);
        if (n === null) throw new RangeError(`Tape.${fn}: axis ${describe(ax)} is outside ${this.shapeOf(a)} (rank ${rank})`);
        return n;
      });
    }
    const reduced = new Set(list);
    if (typeof keepDims !== 'boolean') throw new TypeError(`Tape.${fn}: keepDims must be a boolean, received ${describe(keepDims)}`);
    const batchReduced = a.batched && reduced.has(0);
    const kept = a.shape.map((d, i) => (reduced.has(i) ? 1 : d));
    const shape = keepDims ? kept : a.shape.filter((_, i) => !reduced.has(i));
    let count = 1;
    for (const i of reduced) if (!(a.batched && i === 0)) count *= a.shape[i];
    const outStrides = broadcastStrides(kept, rank).map((s, i) => (reduced.has(i) ? 0 : s));
    const iter = coalesce(a.shape, [contiguousStrides(a.shape), outStrides], a.batched);
    return this.push({
      kind: 'sum',
      op: fn,
      args: [a],
      deps: a.deps,
      batched: a.batched && !batchReduced,
      shape,
      iter,
      c1: fn === 'mean' ? Number.NaN : c,
      c2: count,
      ip: Int32Array.of(batchReduced ? 1 : 0),
    });
  }

  /**
   * Sum over `axes` (default all; negative axes count from the end; the batch axis is axis 0 of a batched value),
   * the reduced axes dropped or kept with length 1 (`keepDims`). `sum(u, c)` with a number c is the vector tape's
   * c·Σ_k u_k (a scalar).
   */
  sum(u: TapeVar, c: number): TapeVar;
  sum(u: TapeVar, axes?: readonly number[], keepDims?: boolean): TapeVar;
  sum(u: TapeVar, axesOrScale?: readonly number[] | number, keepDims = false): TapeVar {
    if (typeof axesOrScale === 'number' || axesOrScale === undefined) {
      const c = axesOrScale ?? 1;
      this.finite('sum', 'c', c);
      return this.reduce('sum', u, undefined, false, c);
    }
    return this.reduce('sum', u, axesOrScale, keepDims, 1);
  }

  /**
   * Mean over `axes` (default all): the sum divided by the number of reduced entries, the batch axis counting the
   * current batch's size.
   */
  mean(u: TapeVar, axes?: readonly number[], keepDims = false): TapeVar {
    return this.reduce('mean', u, axes, keepDims, 1);
  }

  /** ⟨a, b⟩ = Σ a ⊙ b, a scalar. */
  dot(a: TapeVar, b: TapeVar): TapeVar {
    return this.sum(this.mul(a, b));
  }

  /**
   * The same entries in another shape (row-major order kept; one dimension may be −1, inferred). For a batched value
   * `shape` is the shape of one sample: the batch axis is kept. A view: no copy, no work in a replay.
   */
  reshape(u: TapeVar, shape: readonly number[]): TapeVar {
    this.open('reshape');
    const a = this.own('reshape', 'u', u);
    const per = a.batched ? a.shape.slice(1) : [...a.shape];
    const count = sizeOf(per);
    const bad = () => new RangeError(`Tape.reshape: shape must be positive integers (one may be −1) holding the ${count} entries of ${a.batched ? 'a sample of ' : ''}${this.shapeOf(a)}, received ${describe(shape)}`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || (d < 1 && d !== -1)) || shape.filter((d) => d === -1).length > 1) throw bad();
    const known = sizeOf(shape.filter((d) => d !== -1));
    const dims = shape.map((d) => (d === -1 ? count / known : d));
    if (dims.some((d) => !Number.isSafeInteger(d)) || sizeOf(dims) !== count) throw bad();
    return this.push({ kind: 'view', op: 'reshape', args: [a], deps: a.deps, batched: a.batched, shape: a.batched ? [a.shape[0], ...dims] : dims });
  }

  /** All axes but the batch axis merged into one: [batch, d] (or [size] for a fixed value). */
  flatten(u: TapeVar): TapeVar {
    const a = this.own('flatten', 'u', u);
    return this.reshape(a, [a.batched ? a.inner : a.size]);
  }

  /** The operands joined along `axis` (other axes equal; all batched or none; not along the batch axis). */
  concat(list: readonly TapeVar[], axis: number): TapeVar {
    this.open('concat');
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_OPERANDS) {
      throw new RangeError(`Tape.concat: list must hold 1 to ${MAX_OPERANDS} values, received ${Array.isArray(list) ? `${list.length}` : describe(list)}`);
    }
    const args = list.map((v, i) => this.own('concat', `list[${i}]`, v));
    const first = args[0];
    const rank = first.shape.length;
    const ax = normalizeAxis(axis, rank);
    if (ax === null) throw new RangeError(`Tape.concat: axis ${describe(axis)} is outside ${this.shapeOf(first)} (rank ${rank})`);
    if (first.batched && ax === 0) throw new RangeError('Tape.concat: axis 0 of batched values is the batch axis; concatenate along another axis');
    args.forEach((t, i) => {
      const same = t.batched === first.batched && t.shape.length === rank && t.shape.every((d, j) => j === ax || d === first.shape[j]);
      if (!same) throw new RangeError(`Tape.concat: list[${i}] has ${this.shapeOf(t)}, which does not match ${this.shapeOf(first)} outside axis ${ax}`);
    });
    const inner = sizeOf(first.shape.slice(ax + 1));
    const outerPer = sizeOf(first.shape.slice(first.batched ? 1 : 0, ax));
    const blocks = args.map((t) => t.shape[ax] * inner);
    const total = blocks.reduce((s, b) => s + b, 0);
    const ip = [outerPer, total, args.length];
    let off = 0;
    for (const b of blocks) {
      ip.push(b, off);
      off += b;
    }
    const shape = first.shape.map((d, j) => (j === ax ? args.reduce((s, t) => s + t.shape[ax], 0) : d));
    return this.push({ kind: 'concat', op: 'concat', args, deps: args.reduce((m, t) => m | t.deps, 0n), batched: first.batched, shape, ip: Int32Array.from(ip) });
  }

  // ---- dense layers ----------------------------------------------------------------------------------------------

  /**
   * The matrix product op(a)·op(b) of two 2-D values (op: transpose when `transA`/`transB`). Batched operands: a's
   * rows may be the batch (a [batch, k] · b [k, n] → [batch, n], b fixed), or both operands batched on their rows
   * with a transposed (aᵀ·b, a contraction over the batch → a fixed [m, n]).
   */
  matmul(a: TapeVar, b: TapeVar, options: MatmulOptions = {}): TapeVar {
    return this.dense('matmul', a, b, null, options);
  }

  /** x·W + bias: x [rows, in] (rows may be the batch), W [in, out], bias [out] (broadcast over the rows) if given. */
  linear(x: TapeVar, W: TapeVar, bias?: TapeVar): TapeVar {
    return this.dense('linear', x, W, bias ?? null, {});
  }

  private dense(fn: 'matmul' | 'linear', a: TapeVar, b: TapeVar, bias: TapeVar | null, options: MatmulOptions): TapeVar {
    this.open(fn);
    const [an, bn] = fn === 'linear' ? ['x', 'W'] : ['a', 'b'];
    const x = this.own(fn, an, a);
    const w = this.own(fn, bn, b);
    const tA = options?.transA ?? false;
    const tB = options?.transB ?? false;
    if (typeof tA !== 'boolean' || typeof tB !== 'boolean') throw new TypeError(`Tape.${fn}: options.transA and options.transB must be booleans, received ${describe(tA)} and ${describe(tB)}`);
    if (x.shape.length !== 2 || w.shape.length !== 2) throw new RangeError(`Tape.${fn}: ${an} and ${bn} must be 2-D, received ${this.shapeOf(x)} and ${this.shapeOf(w)}`);
    const [m, k] = tA ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]];
    const [k2, n] = tB ? [w.shape[1], w.shape[0]] : [w.shape[0], w.shape[1]];
    if (k !== k2) throw new RangeError(`Tape.${fn}: inner dimensions differ: ${an} ${this.shapeOf(x)}${tA ? 'ᵀ' : ''} times ${bn} ${this.shapeOf(w)}${tB ? 'ᵀ' : ''}`);
    let mode = 0;
    if (x.batched && !tA && !w.batched) mode = 1;
    else if (x.batched && tA && w.batched && !tB) mode = 2;
    else if (x.batched || w.batched) {
      throw new RangeError(
        `Tape.${fn}: a batched operand must have the batch as the rows of ${an} (${an} [batch, k], ${bn} fixed) or of both, ${an} transposed (a contraction over the batch); received ${an} ${this.shapeOf(x)}${tA ? 'ᵀ' : ''} and ${bn} ${this.shapeOf(w)}${tB ? 'ᵀ' : ''}`,
      );
    }
    const args = [x, w];
    let deps = x.deps | w.deps;
    if (bias !== null) {
      const c = this.own(fn, 'bias', bias);
      const ok = !c.batched && ((c.shape.length === 1 && c.shape[0] === n) || (c.shape.length === 2 && c.shape[0] === 1 && c.shape[1] === n));
      if (!ok) throw new RangeError(`Tape.${fn}: bias must have shape [${n}] (the output columns), received ${this.shapeOf(c)}`);
      args.push(c);
      deps |= c.deps;
    }
    return this.push({
      kind: 'matmul',
      op: fn,
      args,
      deps,
      batched: mode === 1,
      shape: [m, n],
      ip: Int32Array.of(m, n, k, tA ? 1 : 0, tB ? 1 : 0, mode, bias !== null ? 1 : 0),
    });
  }

  /**
   * 2-D convolution (cross-correlation, as PyTorch's conv2d) of images x [batch or n, C, H, W] with filters
   * w [O, C, KH, KW], stride and zero padding, plus a bias per output channel: [·, O, outH, outW] with
   * outH = ⌊(H + 2ph − KH)/sh⌋ + 1 (likewise outW).
   */
  conv2d(x: TapeVar, w: TapeVar, options: Conv2dOptions = {}): TapeVar {
    this.open('conv2d');
    const u = this.own('conv2d', 'x', x);
    const f = this.own('conv2d', 'w', w);
    if (u.shape.length !== 4) throw new RangeError(`Tape.conv2d: x must be 4-D [batch, channels, height, width], received ${this.shapeOf(u)}`);
    if (f.shape.length !== 4 || f.batched) throw new RangeError(`Tape.conv2d: w must be a fixed 4-D [out channels, in channels, kh, kw], received ${this.shapeOf(f)}`);
    if (f.shape[1] !== u.shape[1]) throw new RangeError(`Tape.conv2d: w has ${f.shape[1]} input channels but x has ${u.shape[1]} (x ${this.shapeOf(u)}, w ${this.shapeOf(f)})`);
    const [sh, sw] = this.pair('conv2d', 'options.stride', options?.stride, 1, 1);
    const [ph, pw] = this.pair('conv2d', 'options.padding', options?.padding, 0, 0);
    const conv: MutableConv2dShape = {
      batch: u.shape[0],
      inChannels: u.shape[1],
      height: u.shape[2],
      width: u.shape[3],
      outChannels: f.shape[0],
      kernelH: f.shape[2],
      kernelW: f.shape[3],
      strideH: sh,
      strideW: sw,
      padH: ph,
      padW: pw,
    };
    checkConv2dShape('Tape.conv2d', conv);
    const { outH, outW } = conv2dOutSize(conv);
    const O = f.shape[0];
    const args = [u, f];
    let deps = u.deps | f.deps;
    if (options?.bias !== undefined) {
      const c = this.own('conv2d', 'options.bias', options.bias);
      if (c.batched || c.shape.length !== 1 || c.shape[0] !== O) throw new RangeError(`Tape.conv2d: options.bias must have shape [${O}] (the output channels), received ${this.shapeOf(c)}`);
      args.push(c);
      deps |= c.deps;
    }
    return this.push({
      kind: 'conv2d',
      op: 'conv2d',
      args,
      deps,
      batched: u.batched,
      shape: [u.shape[0], O, outH, outW],
      conv,
      ip: Int32Array.of(outH * outW, O, args.length === 3 ? 1 : 0),
    });
  }

  private pool(fn: 'maxPool2d' | 'avgPool2d', x: TapeVar, options: Pool2dOptions): TapeVar {
    this.open(fn);
    const u = this.own(fn, 'x', x);
    if (u.shape.length !== 4) throw new RangeError(`Tape.${fn}: x must be 4-D [batch, channels, height, width], received ${this.shapeOf(u)}`);
    if (typeof options !== 'object' || options === null) throw new TypeError(`Tape.${fn}: options { size, stride? } are required, received ${describe(options)}`);
    const [kh, kw] = this.pair(fn, 'options.size', options.size ?? Number.NaN, 1, 1);
    const [sh, sw] = this.pair(fn, 'options.stride', options.stride, Number.NaN, 1);
    const strideH = Number.isNaN(sh) ? kh : sh;
    const strideW = Number.isNaN(sw) ? kw : sw;
    const [, C, H, W] = u.shape;
    if (kh > H || kw > W) throw new RangeError(`Tape.${fn}: a ${kh}×${kw} window does not fit the ${H}×${W} images of x ${this.shapeOf(u)}`);
    const OH = Math.floor((H - kh) / strideH) + 1;
    const OW = Math.floor((W - kw) / strideW) + 1;
    const planes = u.batched ? C : u.shape[0] * C;
    return this.push({
      kind: fn,
      op: fn,
      args: [u],
      deps: u.deps,
      batched: u.batched,
      shape: [u.shape[0], C, OH, OW],
      ip: Int32Array.of(planes, H, W, OH, OW, kh, kw, strideH, strideW),
    });
  }

  /** Maximum over kh×kw windows of each channel (stride default the window, no padding): [·, C, outH, outW]. */
  maxPool2d(x: TapeVar, options: Pool2dOptions): TapeVar {
    return this.pool('maxPool2d', x, options);
  }

  /** Mean over kh×kw windows of each channel (stride default the window, no padding): [·, C, outH, outW]. */
  avgPool2d(x: TapeVar, options: Pool2dOptions): TapeVar {
    return this.pool('avgPool2d', x, options);
  }

  // ---- losses ----------------------------------------------------------------------------------------------------

  /** log Σ e^u along `axis` (default −1, not the batch axis), computed stably (the maximum subtracted). */
  logSumExp(u: TapeVar, axis = -1, keepDims = false): TapeVar {
    this.open('logSumExp');
    const a = this.own('logSumExp', 'u', u);
    const rank = a.shape.length;
    const ax = normalizeAxis(axis, rank);
    if (ax === null) throw new RangeError(`Tape.logSumExp: axis ${describe(axis)} is outside ${this.shapeOf(a)} (rank ${rank})`);
    if (a.batched && ax === 0) throw new RangeError('Tape.logSumExp: axis 0 of a batched value is the batch axis; reduce another axis');
    const outerPer = sizeOf(a.shape.slice(a.batched ? 1 : 0, ax));
    const inner = sizeOf(a.shape.slice(ax + 1));
    const shape = keepDims ? a.shape.map((d, i) => (i === ax ? 1 : d)) : a.shape.filter((_, i) => i !== ax);
    return this.push({ kind: 'logSumExp', op: 'logSumExp', args: [a], deps: a.deps, batched: a.batched, shape, ip: Int32Array.of(outerPer, a.shape[ax], inner) });
  }

  /**
   * Per-row cross-entropy of softmax(logits) against integer labels: y_r = logSumExp(z_r) − z_{r, c_r}, logits
   * [rows, K] (rows may be the batch), labels a value of class indices in 0..K−1 with one entry per row
   * ({@link Tape.gatherLabels}, or a constant for fixed rows). Stable; value, gradient and HVP fused.
   */
  softmaxCrossEntropy(logits: TapeVar, labels: TapeVar): TapeVar {
    this.open('softmaxCrossEntropy');
    const z = this.own('softmaxCrossEntropy', 'logits', logits);
    const c = this.own('softmaxCrossEntropy', 'labels', labels);
    if (z.shape.length !== 2) throw new RangeError(`Tape.softmaxCrossEntropy: logits must be 2-D [rows, classes], received ${this.shapeOf(z)}`);
    const K = z.shape[1];
    if ((c.kind !== 'gather' && c.kind !== 'constant') || c.shape.length !== 1 || c.batched !== z.batched || c.shape[0] !== z.shape[0]) {
      throw new TypeError(`Tape.softmaxCrossEntropy: labels must be gathered labels (gatherLabels) or a constant with one class per row of logits ${this.shapeOf(z)}, received ${this.shapeOf(c)} from ${c.op}`);
    }
    const bad = c.data.findIndex((v) => !Number.isSafeInteger(v) || v < 0 || v >= K);
    if (bad >= 0) throw new RangeError(`Tape.softmaxCrossEntropy: labels hold ${describe(c.data[bad])} at ${bad}, not a class index in 0..${K - 1}`);
    return this.push({ kind: 'softmaxCrossEntropy', op: 'softmaxCrossEntropy', args: [z, c], deps: z.deps, batched: z.batched, shape: [z.shape[0]], ip: Int32Array.of(K) });
  }

  /**
   * Batch normalisation without running statistics: (x − μ)/√(σ² + ε) with μ, σ² the mean and (biased) variance over
   * `axes` (e.g. [0, 2, 3] for the channels of NCHW images, the batch included), recomputed at every replay.
   * Composed of mean, sub, square, add, rsqrt and mul, so its derivatives of both orders come from theirs; scale and
   * shift (γ, β) are a `mul` and an `add` of the caller's.
   */
  batchNorm(x: TapeVar, axes: readonly number[], options: BatchNormOptions = {}): TapeVar {
    this.open('batchNorm');
    const u = this.own('batchNorm', 'x', x);
    const eps = options?.eps ?? 1e-5;
    if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0) throw new RangeError(`Tape.batchNorm: options.eps must be a positive number, received ${describe(eps)}`);
    if (!Array.isArray(axes) || axes.length === 0) throw new RangeError(`Tape.batchNorm: axes must be a non-empty array of axes of x ${this.shapeOf(u)}, received ${describe(axes)}`);
    const mu = this.mean(u, axes, true);
    const centered = this.sub(u, mu);
    const variance = this.mean(this.square(centered), axes, true);
    return this.mul(centered, this.rsqrt(this.add(variance, this.constant(eps))));
  }

  /**
   * Batch norm of images x [batch or n, C, H, W] per channel, over the images and pixels, with a scale γ and a shift
   * β per channel (shape [C] or [C, 1, 1]): y = γ_c·(x − μ_c)/√(σ²_c + ϵ) + β_c. The same function as
   * `add(mul(batchNorm(x, [0, 2, 3]), γ), β)` recorded as one node (rules in batch-norm-rules.ts) instead of eleven:
   * a few passes over x per sweep instead of one per node.
   */
  batchNorm2d(x: TapeVar, gamma: TapeVar, beta: TapeVar, options: BatchNormOptions = {}): TapeVar {
    const fn = 'batchNorm2d';
    this.open(fn);
    const u = this.own(fn, 'x', x);
    const g = this.own(fn, 'gamma', gamma);
    const b = this.own(fn, 'beta', beta);
    const eps = options?.eps ?? 1e-5;
    if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0) throw new RangeError(`Tape.${fn}: options.eps must be a positive number, received ${describe(eps)}`);
    if (u.shape.length !== 4) throw new RangeError(`Tape.${fn}: x must be 4-D [batch, channels, height, width], received ${this.shapeOf(u)}`);
    const C = u.shape[1];
    for (const [field, v] of [['gamma', g], ['beta', b]] as const) {
      const ok = !v.batched && v.size === C && (v.shape.length === 1 || (v.shape.length === 3 && v.shape[1] === 1 && v.shape[2] === 1));
      if (!ok) throw new RangeError(`Tape.${fn}: ${field} must have shape [${C}] or [${C}, 1, 1] (one entry per channel of x ${this.shapeOf(u)}), received ${this.shapeOf(v)}`);
    }
    return this.push({
      kind: 'batchNorm2d',
      op: fn,
      args: [u, g, b],
      deps: u.deps | g.deps | b.deps,
      batched: u.batched,
      shape: u.shape,
      c1: eps,
      ip: Int32Array.of(C, u.shape[2] * u.shape[3], u.batched ? 0 : u.shape[0]),
    });
  }

  // ---- closing and planning --------------------------------------------------------------------------------------

  /**
   * Declares the scalar output s (one entry, not batched) and closes the tape: no operation may be recorded after
   * it, and every buffer is allocated now, from one arena of the tensor kernels.
   */
  output(s: TapeVar): void {
    if (this.outNode !== null) throw new Error('Tape.output: the output is already set');
    const node = this.own('output', 's', s);
    if (node.batched || node.size !== 1) throw new RangeError(`Tape.output: s must be a scalar (length 1), received ${this.shapeOf(node)}`);
    this.allocate();
    this.outNode = node;
  }

  /** Carves every node's buffers from one arena (views share their operand's). */
  private allocate(): void {
    const lengths = this.nodes.map((n) => {
      if (n.view) return [0, 0, 0, 0, 0, 0];
      const grad = n.deps !== 0n ? n.size : 0;
      const [d1, d2] = n.cacheLengths();
      return [n.size, grad, grad, grad, d1, d2];
    });
    const bytes = lengths.reduce((s, l) => s + l.reduce((t, len) => t + roundUp(8 * len), 0), 0);
    const K = tensorKernels({ bytes, kernels: this.kernelChoice });
    const empty = new Float64Array(0);
    const take = (len: number) => (len === 0 ? empty : K.alloc(len));
    this.nodes.forEach((n, i) => {
      if (n.view) {
        n.val = n.a.val;
        n.dot = n.a.dot;
        n.bar = n.a.bar;
        n.bdot = n.a.bdot;
        return;
      }
      const [v, d, b, bd, d1, d2] = lengths[i];
      n.val = take(v);
      n.dot = take(d);
      n.bar = take(b);
      n.bdot = take(bd);
      n.d1 = take(d1);
      n.d2 = take(d2);
      if (n.kind === 'constant') n.val.set(n.data);
    });
    this.ctx.kernels = K;
    this.ctx.simd = tapeSimd(K.memory);
  }

  /**
   * A replay plan for the output s: `order` 0 its value (`out.val[0]`); 1 the adjoints ∂s/∂w of the inputs in `wrt`
   * (`w.bar`); 2 the adjoint tangents Σ_u ∇²_{wu}s·u̇ over the `direction` inputs u, whose `dot` the caller fills
   * (`w.bdot`: with wrt [z, x] and direction [z], the HVP ∇²_zz s·ż and the cross product ∇²_xz s·ż of one sweep).
   * Plan once, run many times.
   */
  plan(options: ReplayPlanOptions): ReplayPlan {
    if (this.outNode === null) throw new Error('Tape.plan: no output yet; call output(s) first');
    const order = options?.order;
    if (order !== 0 && order !== 1 && order !== 2) throw new RangeError(`Tape.plan: options.order must be 0, 1 or 2, received ${describe(order)}`);
    const inputs = (field: 'wrt' | 'direction') => {
      const list = options[field] ?? [];
      if (!Array.isArray(list)) throw new TypeError(`Tape.plan: options.${field} must be an array of inputs, received ${describe(list)}`);
      list.forEach((v, i) => {
        if (this.own('plan', `options.${field}[${i}]`, v).kind !== 'input') {
          throw new TypeError(`Tape.plan: options.${field}[${i}] must be an input of this tape, received a ${(v as TapeNode).op} value`);
        }
      });
      return list;
    };
    const wrt = inputs('wrt');
    const direction = inputs('direction');
    if (order > 0 && wrt.length === 0) throw new RangeError(`Tape.plan: options.wrt must name at least one input for order ${order}`);
    return new ReplayPlan(this.nodes, this.outNode, this.ctx, this.cap ?? Infinity, { order, wrt, direction });
  }
}
