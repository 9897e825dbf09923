import { simdAvailable } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';
import { SimdRows } from './simd-rows';
import { ReplayPlan } from './replay-plan';
import type { ReplayPlanOptions } from './replay-plan';
import { TapeNode } from './tape-nodes';
import type { BatchRef, NodeInit, UnaryOp } from './tape-nodes';

/**
 * A value recorded on a {@link Tape}: a float64 vector of a fixed length, or of the current batch's length. Its
 * buffers (`val`, `dot`, `bar`, `bdot`: value, tangent, adjoint, adjoint tangent) belong to the tape; fill an input's
 * `val` (and `dot`) before a replay, read results after it.
 */
export type TapeVar = TapeNode;

/** Most inputs of one tape (their dependencies are tracked as bits of a 32-bit integer). */
export const TAPE_MAX_INPUTS = 30;

const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' ? String(v) : v === null ? 'null' : typeof v);

/**
 * Float64 automatic differentiation by a recorded tape: build a scalar function of vector inputs once with the
 * methods below, then replay it over preallocated buffers for any batch, with plans ({@link Tape.plan}) for its
 * value, its gradient (reverse mode) and Hessian-vector products (forward-over-reverse, Pearlmutter, Neural
 * Computation 1994). A replay runs a fixed list of allocation-free loops: no graph is built per call, as a tfjs
 * `tf.grad` does, and nothing leaves float64.
 *
 * Shapes: every value is a vector; a length-1 operand of `add`/`sub`/`mul` broadcasts. Values that come from the
 * data of the samples in the batch (`rowsDot`, `gather`) have the batch's length; they mix only with each other and
 * with length-1 values, and `sum`/`mean` make scalars of them. All data of one tape index the same samples.
 *
 * @example mean logistic loss plus ½e^x‖z‖² on rows A, labels y ∈ {±1}:
 *   const t = new Tape();
 *   const z = t.input(d), x = t.input(1);
 *   const loss = t.mean(t.softplus(t.neg(t.mul(t.gather(y), t.rowsDot(A, z)))));
 *   t.output(t.add(loss, t.scale(t.sum(t.mul(t.exp(x), t.square(z))), 0.5)));
 *   const grad = t.plan({ order: 1, wrt: [z] });
 *   z.val.set(zNow); x.val.set(xNow); grad.run(batch);   // ∇_z in z.bar
 */
/** Options of {@link Tape}. */
export interface TapeOptions {
  /**
   * Kernels of `rowsDot`: `auto` (default) the WebAssembly SIMD kernels of @bilevel/linalg where the runtime has them
   * (and `BILEVEL_KERNELS` is not `js`), on a copy of each data matrix made when it is first recorded (about 2× faster
   * on batch products; the copy doubles the data's memory); `js` the JavaScript loops on the matrix itself.
   */
  readonly kernels?: 'auto' | 'js';
}

export class Tape {
  private readonly nodes: TapeNode[] = [];
  private readonly simd: Map<Matrix, SimdRows> | null;
  private readonly ref: BatchRef = { batch: new Int32Array(0) };
  private inputCount = 0;
  private outNode: TapeNode | null = null;
  private sampleCount: number | null = null;

  constructor(options: TapeOptions = {}) {
    const kernels = options?.kernels ?? 'auto';
    if (kernels !== 'auto' && kernels !== 'js') throw new RangeError(`Tape: options.kernels must be "auto" or "js", received ${describe(kernels)}`);
    this.simd = kernels === 'auto' && simdAvailable() ? new Map() : null;
  }

  /** Number of samples the tape's data index (null when it uses none). */
  get samples(): number | null {
    return this.sampleCount;
  }

  /** The output, once {@link Tape.output} has been called. */
  get out(): TapeVar | null {
    return this.outNode;
  }

  /** Number of recorded operations. */
  get size(): number {
    return this.nodes.length;
  }

  private open(fn: string): number {
    if (this.outNode !== null) throw new Error(`Tape.${fn}: the tape is closed (output() was called); record every operation before it`);
    return this.nodes.length;
  }

  private own(fn: string, field: string, v: unknown): TapeNode {
    if (typeof v !== 'object' || v === null || !this.nodes.includes(v as TapeNode)) {
      throw new TypeError(`Tape.${fn}: ${field} must be a value recorded on this tape, received ${describe(v)}`);
    }
    return v as TapeNode;
  }

  private push(init: Omit<NodeInit, 'ref'>): TapeNode {
    const node = new TapeNode(this.nodes.length, { ...init, ref: this.ref });
    this.nodes.push(node);
    return node;
  }

  private useSamples(fn: string, field: string, n: number): void {
    if (this.sampleCount === null) this.sampleCount = n;
    else if (this.sampleCount !== n) {
      throw new RangeError(`Tape.${fn}: ${field} has ${n} samples but the tape's data have ${this.sampleCount}; one tape indexes one set of samples`);
    }
  }

  /** A vector input of length n (a positive integer): fill its `val` before a replay. */
  input(n: number): TapeVar {
    this.open('input');
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`Tape.input: n must be a positive integer, received ${describe(n)}`);
    if (this.inputCount >= TAPE_MAX_INPUTS) throw new RangeError(`Tape.input: at most ${TAPE_MAX_INPUTS} inputs per tape, received one more`);
    const bit = 1 << this.inputCount++;
    return this.push({ kind: 'input', op: 'input', args: [], deps: bit, batched: false, n, cap: n });
  }

  /** A constant vector (copied), or a scalar constant of length 1. */
  constant(values: Float64Array | number): TapeVar {
    this.open('constant');
    const data = typeof values === 'number' ? Float64Array.of(values) : values;
    if (!(data instanceof Float64Array) || data.length === 0) {
      throw new TypeError(`Tape.constant: values must be a number or a non-empty Float64Array, received ${describe(values)}`);
    }
    const node = this.push({ kind: 'constant', op: 'constant', args: [], deps: 0, batched: false, n: data.length, cap: data.length });
    node.val.set(data);
    return node;
  }

  /** Per-sample constants picked by the batch: out_k = y[batch[k]] (y: one number per sample, kept by reference). */
  gather(y: Float64Array): TapeVar {
    this.open('gather');
    if (!(y instanceof Float64Array) || y.length === 0) throw new TypeError(`Tape.gather: y must be a non-empty Float64Array, received ${describe(y)}`);
    this.useSamples('gather', 'y', y.length);
    return this.push({ kind: 'gather', op: 'gather', args: [], deps: 0, batched: true, n: 0, cap: y.length, data: y });
  }

  /**
   * out_k = M_{batch[k]} · u: the batch's rows of a row-major data matrix (one row per sample, kept by reference)
   * times u (length M.cols). Reverse: ū += M_Bᵀ ȳ.
   */
  rowsDot(M: Matrix, u: TapeVar): TapeVar {
    this.open('rowsDot');
    if (typeof M !== 'object' || M === null || !(M.data instanceof Float64Array) || M.data.length !== M.rows * M.cols || M.rows < 1) {
      throw new TypeError('Tape.rowsDot: M must be a Matrix { rows ≥ 1, cols, data: Float64Array of rows·cols }');
    }
    const a = this.own('rowsDot', 'u', u);
    if (a.batched || a.n !== M.cols) {
      throw new RangeError(`Tape.rowsDot: u must have fixed length M.cols = ${M.cols}, received ${a.batched ? 'a batch-length value' : `length ${a.n}`}`);
    }
    this.useSamples('rowsDot', 'M', M.rows);
    let simd: SimdRows | null = null;
    if (this.simd !== null) {
      simd = this.simd.get(M) ?? new SimdRows(M);
      this.simd.set(M, simd);
    }
    return this.push({ kind: 'rowsDot', op: 'rowsDot', args: [a], deps: a.deps, batched: true, n: 0, cap: M.rows, M, simd });
  }

  /** Result layout of an elementwise binary op (broadcasting length 1), or an error naming the op. */
  private pair(fn: string, a: unknown, b: unknown): { x: TapeNode; y: TapeNode; batched: boolean; n: number; cap: number } {
    const x = this.own(fn, 'a', a);
    const y = this.own(fn, 'b', b);
    const scalar = (t: TapeNode) => !t.batched && t.n === 1;
    if (scalar(x)) return { x, y, batched: y.batched, n: y.n, cap: y.val.length };
    if (scalar(y) || (x.batched && y.batched) || (!x.batched && !y.batched && x.n === y.n)) return { x, y, batched: x.batched, n: x.n, cap: x.val.length };
    const shape = (t: TapeNode) => (t.batched ? 'batch length' : `length ${t.n}`);
    throw new RangeError(`Tape.${fn}: operands must have the same length or one of length 1, received ${shape(x)} and ${shape(y)}`);
  }

  /** a + b elementwise. */
  add(a: TapeVar, b: TapeVar): TapeVar {
    this.open('add');
    const p = this.pair('add', a, b);
    return this.push({ kind: 'affine', op: 'add', args: [p.x, p.y], deps: p.x.deps | p.y.deps, batched: p.batched, n: p.n, cap: p.cap, c1: 1, c2: 1 });
  }

  /** a − b elementwise. */
  sub(a: TapeVar, b: TapeVar): TapeVar {
    this.open('sub');
    const p = this.pair('sub', a, b);
    return this.push({ kind: 'affine', op: 'sub', args: [p.x, p.y], deps: p.x.deps | p.y.deps, batched: p.batched, n: p.n, cap: p.cap, c1: 1, c2: -1 });
  }

  /** a ⊙ b elementwise. */
  mul(a: TapeVar, b: TapeVar): TapeVar {
    this.open('mul');
    const p = this.pair('mul', a, b);
    return this.push({ kind: 'mul', op: 'mul', args: [p.x, p.y], deps: p.x.deps | p.y.deps, batched: p.batched, n: p.n, cap: p.cap });
  }

  /** c·u for a finite number c. */
  scale(u: TapeVar, c: number): TapeVar {
    this.open('scale');
    const a = this.own('scale', 'u', u);
    if (typeof c !== 'number' || !Number.isFinite(c)) throw new RangeError(`Tape.scale: c must be a finite number, received ${describe(c)}`);
    return this.push({ kind: 'scale', op: 'scale', args: [a], deps: a.deps, batched: a.batched, n: a.n, cap: a.val.length, c1: c });
  }

  /** −u. */
  neg(u: TapeVar): TapeVar {
    return this.scale(u, -1);
  }

  private unary(op: UnaryOp, u: TapeVar): TapeVar {
    this.open(op);
    const a = this.own(op, 'u', u);
    return this.push({ kind: 'unary', op, unary: op, args: [a], deps: a.deps, batched: a.batched, n: a.n, cap: a.val.length });
  }

  /** e^u elementwise. */
  exp(u: TapeVar): TapeVar {
    return this.unary('exp', u);
  }

  /** log u elementwise (u > 0 is the caller's concern: a replay gives NaN or −∞ otherwise). */
  log(u: TapeVar): TapeVar {
    return this.unary('log', u);
  }

  /** log(1 + e^u) elementwise, computed without overflow as max(u, 0) + log1p(e^{−|u|}). */
  softplus(u: TapeVar): TapeVar {
    return this.unary('softplus', u);
  }

  /** σ(u) = 1 / (1 + e^{−u}) elementwise, without overflow. */
  sigmoid(u: TapeVar): TapeVar {
    return this.unary('sigmoid', u);
  }

  /** u² elementwise. */
  square(u: TapeVar): TapeVar {
    return this.unary('square', u);
  }

  /** c·Σ_k u_k, a scalar (c = 1 by default). */
  sum(u: TapeVar, c = 1): TapeVar {
    this.open('sum');
    const a = this.own('sum', 'u', u);
    if (typeof c !== 'number' || !Number.isFinite(c)) throw new RangeError(`Tape.sum: c must be a finite number, received ${describe(c)}`);
    return this.push({ kind: 'sum', op: 'sum', args: [a], deps: a.deps, batched: false, n: 1, cap: 1, c1: c });
  }

  /** (1/n)·Σ_k u_k over the current length n (the batch size for batch-length values), a scalar. */
  mean(u: TapeVar): TapeVar {
    this.open('mean');
    const a = this.own('mean', 'u', u);
    return this.push({ kind: 'sum', op: 'mean', args: [a], deps: a.deps, batched: false, n: 1, cap: 1, c1: Number.NaN });
  }

  /** ⟨a, b⟩ = Σ_k a_k b_k, a scalar. */
  dot(a: TapeVar, b: TapeVar): TapeVar {
    return this.sum(this.mul(a, b));
  }

  /** Declares the scalar output s and closes the tape (no operation may be recorded after it). */
  output(s: TapeVar): void {
    if (this.outNode !== null) throw new Error('Tape.output: the output is already set');
    const node = this.own('output', 's', s);
    if (node.batched || node.n !== 1) throw new RangeError(`Tape.output: s must be a scalar (length 1), received ${node.batched ? 'a batch-length value' : `length ${node.n}`}`);
    this.outNode = node;
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
    return new ReplayPlan(this.nodes, this.outNode, this.ref, { order, wrt, direction });
  }
}
