import type { Conv2dShape, Matrix } from '@bilevel/linalg';
import type { SimdRows } from './simd-rows';
import * as codes from './node-codes';
import type { NodeKind, ReplayContext } from './node-codes';
import * as broadcast from './broadcast-rules';
import * as unary from './unary-rules';
import * as gather from './gather-rules';
import * as concat from './concat-rules';
import * as matmul from './matmul-rules';
import * as conv from './conv-rules';
import * as pool from './pool-rules';
import * as softmax from './softmax-rules';
import * as batchNorm from './batch-norm-rules';

// Module-local copies of imported bindings: tsx compiles an imported binding to a getter call, which the replay's
// dispatch must not pay on every node (measured: a quarter of a small oracle's time).
const { K_AFFINE, K_AVGPOOL, K_BN, K_CONCAT, K_CONV, K_DIV, K_GATHER, K_GATHER_ROWS, K_LSE, K_MATMUL, K_MAXPOOL, K_MUL, K_ROWSDOT, K_SCALE, K_SCE, K_SUM, K_UNARY, KINDS } = codes;
const isPiecewiseLinear = codes.isPiecewiseLinear;
const { affineForward, affineReverse, divForward, divReverse, mulForward, mulReverse, sumForward, sumReverse } = broadcast;
const { scaleForward, scaleReverse, unaryForward, unaryReverse } = unary;
const { gatherForward, gatherRowsForward, rowsDotForward, rowsDotReverse } = gather;
const { concatForward, concatReverse } = concat;
const { matmulForward, matmulReverse } = matmul;
const { convForward, convReverse } = conv;
const { avgPoolForward, avgPoolReverse, maxPoolForward, maxPoolReverse } = pool;
const { lseForward, lseReverse, sceForward, sceReverse } = softmax;
const { batchNormForward, batchNormReverse } = batchNorm;

/**
 * The nodes of a recorded {@link Tape}, with the four rules of forward-over-reverse automatic differentiation
 * (Pearlmutter, "Fast exact multiplication by the Hessian", Neural Computation 1994; Griewank & Walther,
 * "Evaluating Derivatives", SIAM 2008, ch. 5). For y = φ(u₁, …, u_k):
 *
 *   forward   y = φ(u)                                  tangent           ẏ = Σ_i ∂_iφ · u̇_i
 *   reverse   ū_i += ∂_iφᵀ ȳ                            reverse tangent   ū̇_i += ∂_iφᵀ ȳ̇ + (Σ_j ∂²_ijφ · u̇_j)ᵀ ȳ
 *
 * Every node is a float64 tensor with a row-major `shape`; a batched node's first axis is the batch axis (recorded
 * with the tape's capacity, replayed with the current batch size). It owns four buffers (value, tangent, adjoint,
 * adjoint tangent) of its capacity, carved from the tape's one arena when the tape is closed; a node that depends on
 * no input (data, constants) has a value buffer only. Replays run over the first `n` entries. The masks passed by
 * {@link ReplayPlan} say which operands take part: `tanMask` the operands whose tangent is live (depends on the
 * direction), `barMask`/`bdotMask` the operands whose adjoint / adjoint tangent is wanted. Operands outside a mask are
 * neither read (their buffers may hold stale numbers) nor written.
 *
 * One class for every operation, told apart by the integer `k`, with every field set in the same order, so that the
 * replay loop and the rules (one module per family of operations, plain functions over this class) read operands of
 * any kind through one hidden class: monomorphic property loads instead of the megamorphic ones a class per
 * operation gives. Internal to the tape folder.
 */

/** What a node is built from; see {@link TapeNode} for the fields. */
export interface NodeInit {
  readonly kind: NodeKind;
  readonly op: string;
  readonly fn?: number;
  readonly args: readonly TapeNode[];
  readonly deps: bigint;
  readonly batched: boolean;
  readonly shape: readonly number[];
  readonly ctx: ReplayContext;
  readonly owner: object;
  readonly name?: string | null;
  readonly c1?: number;
  readonly c2?: number;
  readonly ip?: Int32Array;
  readonly iter?: { readonly dims: readonly number[]; readonly strides: readonly (readonly number[])[]; readonly perSample: number } | null;
  readonly M?: Matrix | null;
  readonly simd?: SimdRows | null;
  readonly data?: Float64Array;
  readonly conv?: MutableConv2dShape | null;
}

/** A convolution shape whose batch field a replay updates in place. */
export type MutableConv2dShape = { -readonly [K in keyof Conv2dShape]: Conv2dShape[K] };

const EMPTY = new Float64Array(0);
const NO_INTS = new Int32Array(0);

export class TapeNode {
  readonly id: number;
  /** Kind code (index in KINDS). */
  readonly k: number;
  readonly kind: NodeKind;
  /** The recording method that made the node (`add`, `relu`, `linear`, …), for messages. */
  readonly op: string;
  /** Elementwise function code of a `unary` node, else −1. */
  readonly fn: number;
  /** Name given to an input, else null. */
  readonly name: string | null;
  readonly args: readonly TapeNode[];
  /** The first three operands (the node itself where absent), for monomorphic access in the rules. */
  readonly a: TapeNode;
  readonly b: TapeNode;
  readonly c: TapeNode;
  /** Bit i: the node depends on the i-th input created. */
  readonly deps: bigint;
  /** Whether the first axis is the batch axis. */
  readonly batched: boolean;
  /** Shape; a batched node's first axis is recorded with the tape's capacity. */
  readonly shape: readonly number[];
  /** Elements at capacity. */
  readonly size: number;
  /** Elements per sample (batched), or `size`. */
  readonly inner: number;
  /** Elements in the current replay (`batch · inner` for batched nodes). */
  n: number;
  /** Value, tangent, adjoint and adjoint tangent buffers (allocated when the tape is closed). */
  val: Float64Array;
  dot: Float64Array;
  bar: Float64Array;
  bdot: Float64Array;
  /** An operation's own forward caches (φ' and φ'' of an elementwise function, softmax probabilities, argmax). */
  d1: Float64Array;
  d2: Float64Array;
  /** Real parameters (affine coefficients, scale, leaky slope, sum scale: NaN for a mean). */
  readonly c1: number;
  readonly c2: number;
  /** Integer parameters of the kind (dimensions, strides, offsets). */
  readonly ip: Int32Array;
  /** Coalesced elementwise iteration: dims, the strides of up to two operands, a scratch odometer. */
  readonly itDims: Int32Array;
  readonly itSa: Int32Array;
  readonly itSb: Int32Array;
  readonly itCnt: Int32Array;
  /** Length per sample of the first coalesced axis when it contains the batch axis, else 0. */
  readonly itPer: number;
  readonly M: Matrix | null;
  readonly simd: SimdRows | null;
  /** Per-sample data (gather, gatherRows) or recorded constant values. */
  readonly data: Float64Array;
  readonly conv: MutableConv2dShape | null;
  readonly ctx: ReplayContext;
  /** The tape that recorded the node. */
  readonly owner: object;
  /** Tangent and adjoint rules read no values (of the operands or of the node's own caches). */
  readonly linear: boolean;
  /** The derivative rules read caches this node computes in its forward sweep (FWD_D1, FWD_D2). */
  readonly ownForward: boolean;
  /** A view (reshape): shares its operand's buffers and runs nothing. */
  readonly view: boolean;

  constructor(id: number, init: NodeInit) {
    this.id = id;
    this.k = KINDS.indexOf(init.kind);
    this.kind = init.kind;
    this.op = init.op;
    this.fn = init.fn ?? -1;
    this.name = init.name ?? null;
    this.args = init.args;
    this.a = init.args[0] ?? this;
    this.b = init.args[1] ?? this;
    this.c = init.args[2] ?? this;
    this.deps = init.deps;
    this.batched = init.batched;
    this.shape = Object.freeze([...init.shape]);
    let size = 1;
    for (const d of init.shape) size *= d;
    this.size = size;
    this.inner = init.batched ? (init.shape[0] > 0 ? size / init.shape[0] : 0) : size;
    this.n = size;
    this.val = EMPTY;
    this.dot = EMPTY;
    this.bar = EMPTY;
    this.bdot = EMPTY;
    this.d1 = EMPTY;
    this.d2 = EMPTY;
    this.c1 = init.c1 ?? 0;
    this.c2 = init.c2 ?? 0;
    this.ip = init.ip ?? NO_INTS;
    const it = init.iter ?? null;
    this.itDims = it === null ? NO_INTS : Int32Array.from(it.dims);
    this.itSa = it === null ? NO_INTS : Int32Array.from(it.strides[0]);
    this.itSb = it === null ? NO_INTS : Int32Array.from(it.strides[1] ?? it.strides[0]);
    this.itCnt = it === null ? NO_INTS : new Int32Array(it.dims.length);
    this.itPer = it === null ? 0 : it.perSample;
    this.M = init.M ?? null;
    this.simd = init.simd ?? null;
    this.data = init.data ?? EMPTY;
    this.conv = init.conv ?? null;
    this.ctx = init.ctx;
    this.owner = init.owner;
    const k = this.k;
    this.view = init.kind === 'view';
    this.linear = !(k === K_MUL || k === K_DIV || k === K_UNARY || k === K_MATMUL || k === K_CONV || k === K_MAXPOOL || k === K_LSE || k === K_SCE || k === K_BN);
    this.ownForward = k === K_UNARY || k === K_MAXPOOL || k === K_LSE || k === K_SCE || k === K_BN;
  }

  /** Lengths of the forward caches `d1`, `d2` this node needs (none when it depends on no input). */
  cacheLengths(): readonly [number, number] {
    if (this.deps === 0n) return [0, 0];
    switch (this.k) {
      case K_UNARY:
        // relu, leakyRelu: φ' from the operand's sign, no cache
        return isPiecewiseLinear(this.fn) ? [0, 0] : [this.size, this.size];
      case K_MAXPOOL:
        return [this.size, 0];
      case K_LSE:
      case K_SCE:
        return [this.a.size, 0];
      case K_BN:
        // x̂, and r per channel
        return [this.size, this.ip[0]];
      default:
        return [0, 0];
    }
  }

  /**
   * `mode` bits: FWD_VALUE the value, FWD_D1/FWD_D2 the node's own derivative caches (computed without the value
   * when it is not read); then the tangent from the operands in `tanMask` (when non-zero).
   */
  forward(mode: number, tanMask: number): void {
    switch (this.k) {
      case K_GATHER:
        gatherForward(this);
        return;
      case K_GATHER_ROWS:
        gatherRowsForward(this);
        return;
      case K_ROWSDOT:
        rowsDotForward(this, mode, tanMask);
        return;
      case K_AFFINE:
        affineForward(this, mode, tanMask);
        return;
      case K_MUL:
        mulForward(this, mode, tanMask);
        return;
      case K_DIV:
        divForward(this, mode, tanMask);
        return;
      case K_SCALE:
        scaleForward(this, mode, tanMask);
        return;
      case K_UNARY:
        unaryForward(this, mode, tanMask);
        return;
      case K_SUM:
        sumForward(this, mode, tanMask);
        return;
      case K_CONCAT:
        concatForward(this, mode, tanMask);
        return;
      case K_MATMUL:
        matmulForward(this, mode, tanMask);
        return;
      case K_CONV:
        convForward(this, mode, tanMask);
        return;
      case K_MAXPOOL:
        maxPoolForward(this, mode, tanMask);
        return;
      case K_AVGPOOL:
        avgPoolForward(this, mode, tanMask);
        return;
      case K_LSE:
        lseForward(this, mode, tanMask);
        return;
      case K_SCE:
        sceForward(this, mode, tanMask);
        return;
      case K_BN:
        batchNormForward(this, mode, tanMask);
        return;
      default:
        return; // input, constant: filled by the caller / when the tape is closed; view: shares its operand's buffers
    }
  }

  /**
   * Adjoints into the operands in `barMask`, adjoint tangents into those in `bdotMask` (plus {@link YDOT_LIVE}); the
   * operands in `barSet` / `bdotSet` (subsets, only where {@link TapeNode.assigns} holds) are assigned, not added to:
   * this rule is the sweep's first writer of that buffer, which holds stale numbers.
   */
  reverse(barMask: number, bdotMask: number, tanMask: number, barSet: number, bdotSet: number): void {
    switch (this.k) {
      case K_ROWSDOT:
        rowsDotReverse(this, barMask, bdotMask);
        return;
      case K_AFFINE:
        affineReverse(this, barMask, bdotMask, barSet, bdotSet);
        return;
      case K_MUL:
        mulReverse(this, barMask, bdotMask, tanMask, barSet, bdotSet);
        return;
      case K_DIV:
        divReverse(this, barMask, bdotMask, tanMask);
        return;
      case K_SCALE:
        scaleReverse(this, barMask, bdotMask, barSet, bdotSet);
        return;
      case K_UNARY:
        unaryReverse(this, barMask, bdotMask, tanMask, barSet, bdotSet);
        return;
      case K_SUM:
        sumReverse(this, barMask, bdotMask, barSet, bdotSet);
        return;
      case K_CONCAT:
        concatReverse(this, barMask, bdotMask, barSet, bdotSet);
        return;
      case K_MATMUL:
        matmulReverse(this, barMask, bdotMask, tanMask, barSet, bdotSet);
        return;
      case K_CONV:
        convReverse(this, barMask, bdotMask, tanMask, barSet, bdotSet);
        return;
      case K_MAXPOOL:
        maxPoolReverse(this, barMask, bdotMask, barSet, bdotSet);
        return;
      case K_AVGPOOL:
        avgPoolReverse(this, barMask, bdotMask, barSet, bdotSet);
        return;
      case K_LSE:
        lseReverse(this, barMask, bdotMask, tanMask, barSet, bdotSet);
        return;
      case K_SCE:
        sceReverse(this, barMask, bdotMask, tanMask, barSet, bdotSet);
        return;
      case K_BN:
        batchNormReverse(this, barMask, bdotMask, tanMask, barSet, bdotSet);
        return;
      default:
        return;
    }
  }

  /**
   * Whether the reverse rule can assign operand `arg`'s adjoint and adjoint tangent instead of adding to them: it
   * writes each of their entries (the current replay's) exactly once. Elementwise binary operations can when the
   * operand is not broadcast (same shape as the result); sums over it, division and rowsDot cannot.
   */
  assigns(arg: number): boolean {
    switch (this.k) {
      case K_AFFINE:
      case K_MUL: {
        const a = this.args[arg];
        return a.size === this.size && a.batched === this.batched;
      }
      case K_SCALE:
      case K_UNARY:
      case K_SUM:
      case K_CONCAT:
      case K_MATMUL:
      case K_CONV:
      case K_MAXPOOL:
      case K_AVGPOOL:
      case K_LSE:
      case K_BN:
        return true;
      case K_SCE:
        return arg === 0;
      default:
        return false;
    }
  }

  /**
   * Whether the reverse-tangent contribution to operand `arg` has a second-order source (a term Σ_j ∂²_{arg,j}φ·u̇_j ȳ
   * with a live tangent u̇_j), so that it is non-zero even when ȳ̇ is zero, and reads ȳ and operand tangents.
   */
  secondOrderSource(arg: number, tanMask: number): boolean {
    switch (this.k) {
      case K_MUL:
      case K_MATMUL:
      case K_CONV:
        // bilinear: the cross term only (a bias, operand 2, enters linearly)
        return arg === 0 ? (tanMask & 2) !== 0 : arg === 1 ? (tanMask & 1) !== 0 : false;
      case K_DIV:
        // ∂²/∂a² = 0, ∂²/∂a∂b = −1/b², ∂²/∂b² = 2a/b³
        return arg === 0 ? (tanMask & 2) !== 0 : (tanMask & 3) !== 0;
      case K_UNARY:
        return tanMask !== 0 && !isPiecewiseLinear(this.fn);
      case K_LSE:
        return tanMask !== 0;
      case K_SCE:
        return arg === 0 && (tanMask & 1) !== 0;
      case K_BN:
        // x̂ is nonlinear in x, y bilinear in (γ, x̂), β enters linearly
        return arg === 0 ? (tanMask & 3) !== 0 : arg === 1 ? (tanMask & 1) !== 0 : false;
      default:
        return false;
    }
  }
}

export type { NodeKind, UnaryOp } from './node-codes';
