import { gemvRows, gemvRowsT } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';
import type { SimdRows } from './simd-rows';

/**
 * The nodes of a recorded {@link Tape}, with the four rules of forward-over-reverse automatic differentiation
 * (Pearlmutter, "Fast exact multiplication by the Hessian", Neural Computation 1994; Griewank & Walther,
 * "Evaluating Derivatives", SIAM 2008, ch. 5). For y = φ(u₁, …, u_k):
 *
 *   forward   y = φ(u)                                  tangent           ẏ = Σ_i ∂_iφ · u̇_i
 *   reverse   ū_i += ∂_iφᵀ ȳ                            reverse tangent   ū̇_i += ∂_iφᵀ ȳ̇ + (Σ_j ∂²_ijφ · u̇_j)ᵀ ȳ
 *
 * Every node owns four float64 buffers (value, tangent, adjoint, adjoint tangent) allocated once at recording, of
 * the node's capacity: its fixed length, or the number of samples when its length follows the batch. Replays run
 * over the first `n` entries. The masks passed by {@link ReplayPlan} say which operands take part: `tanMask` the
 * operands whose tangent is live (depends on the direction), `barMask`/`bdotMask` the operands whose adjoint / adjoint
 * tangent is wanted. Operands outside a mask are neither read (their buffers may hold stale numbers) nor written.
 *
 * One class for every operation, told apart by `kind`, with every field set in the same order, so that the replay
 * loop and the rules read operands of any kind through one hidden class (monomorphic property loads instead of the
 * megamorphic ones a class per operation gives). Internal to the tape folder.
 */

/** The batch shared by the batch-dependent nodes of one tape; set by a replay. */
export interface BatchRef {
  batch: Int32Array;
}

/** Forward-mode bits: compute the value. */
export const FWD_VALUE = 1;
/** Forward-mode bits: compute φ'(u) (elementwise functions). */
export const FWD_D1 = 2;
/** Forward-mode bits: compute φ''(u) (elementwise functions). */
export const FWD_D2 = 4;

/** The elementwise functions of a `unary` node. */
export type UnaryOp = 'exp' | 'log' | 'softplus' | 'sigmoid' | 'square';

/** Kinds of node. */
export type NodeKind = 'input' | 'constant' | 'gather' | 'rowsDot' | 'affine' | 'scale' | 'sum' | 'mul' | 'unary';

const KINDS: readonly NodeKind[] = ['input', 'constant', 'gather', 'rowsDot', 'affine', 'scale', 'sum', 'mul', 'unary'];
const K_GATHER = 2;
const K_ROWSDOT = 3;
const K_AFFINE = 4;
const K_SCALE = 5;
const K_SUM = 6;
const K_MUL = 7;
const K_UNARY = 8;
const UNARY_OPS: readonly UnaryOp[] = ['exp', 'log', 'softplus', 'sigmoid', 'square'];
const U_EXP = 0;
const U_LOG = 1;
const U_SOFTPLUS = 2;
const U_SIGMOID = 3;

const EMPTY = new Float64Array(0);

/** What a node is made of (see the factories of {@link Tape}). */
export interface NodeInit {
  readonly kind: NodeKind;
  readonly args: readonly TapeNode[];
  readonly deps: number;
  readonly batched: boolean;
  /** Length now (fixed nodes) and buffer capacity. */
  readonly n: number;
  readonly cap: number;
  /** Name for messages (`add`, `exp`, `mean`…). */
  readonly op: string;
  readonly unary?: UnaryOp;
  /** Coefficients: affine ca, cb; scale c; sum c (NaN: the mean). */
  readonly c1?: number;
  readonly c2?: number;
  readonly M?: Matrix;
  readonly simd?: SimdRows | null;
  /** Gathered per-sample constants. */
  readonly data?: Float64Array;
  readonly ref: BatchRef;
}

export class TapeNode {
  /** Position in the tape (a topological order: operands come first). */
  readonly id: number;
  readonly kind: NodeKind;
  private readonly k: number;
  private readonly fn: number;
  readonly op: string;
  readonly args: readonly TapeNode[];
  private readonly a: TapeNode;
  private readonly b: TapeNode;
  /** Bit i set when the node depends on the i-th input of its tape. */
  readonly deps: number;
  /** Whether the length follows the current batch. */
  readonly batched: boolean;
  /** Current length (fixed, or the batch length during a replay). */
  n: number;
  readonly val: Float64Array;
  readonly dot: Float64Array;
  readonly bar: Float64Array;
  readonly bdot: Float64Array;
  private readonly d1: Float64Array;
  private readonly d2: Float64Array;
  private readonly c1: number;
  private readonly c2: number;
  private readonly M: Matrix | null;
  private readonly simd: SimdRows | null;
  private readonly data: Float64Array;
  private readonly ref: BatchRef;
  /** Linear in its operands: the tangent and reverse rules read no values. */
  readonly linear: boolean;
  /** The derivative rules read this node's own forward caches (φ', φ''), not only its operands' values. */
  readonly ownForward: boolean;

  constructor(id: number, init: NodeInit) {
    this.id = id;
    this.kind = init.kind;
    this.k = KINDS.indexOf(init.kind);
    this.fn = init.unary === undefined ? -1 : UNARY_OPS.indexOf(init.unary);
    this.op = init.op;
    this.args = init.args;
    this.a = init.args[0] ?? this;
    this.b = init.args[1] ?? this;
    this.deps = init.deps;
    this.batched = init.batched;
    this.n = init.n;
    this.val = new Float64Array(init.cap);
    this.dot = new Float64Array(init.cap);
    this.bar = new Float64Array(init.cap);
    this.bdot = new Float64Array(init.cap);
    const unary = init.kind === 'unary';
    this.d1 = unary ? new Float64Array(init.cap) : EMPTY;
    this.d2 = unary ? new Float64Array(init.cap) : EMPTY;
    if (init.unary === 'square') this.d2.fill(2);
    this.c1 = init.c1 ?? 0;
    this.c2 = init.c2 ?? 0;
    this.M = init.M ?? null;
    this.simd = init.simd ?? null;
    this.data = init.data ?? EMPTY;
    this.ref = init.ref;
    this.linear = init.kind !== 'mul' && init.kind !== 'unary';
    this.ownForward = unary;
  }

  /**
   * `mode` bits: {@link FWD_VALUE} the value, {@link FWD_D1}/{@link FWD_D2} the first/second derivative caches of an
   * elementwise function (computed without the value when it is not read); then the tangent from the operands in
   * `tanMask` (when non-zero).
   */
  forward(mode: number, tanMask: number): void {
    switch (this.k) {
      case K_GATHER:
        if ((mode & FWD_VALUE) !== 0) gatherForward(this.ref.batch, this.data, this.val);
        return;
      case K_ROWSDOT:
        this.rowsDotForward((mode & FWD_VALUE) !== 0, tanMask);
        return;
      case K_AFFINE:
        this.affineForward((mode & FWD_VALUE) !== 0, tanMask);
        return;
      case K_SCALE:
        if ((mode & FWD_VALUE) !== 0) scaleInto(this.n, this.c1, this.a.val, this.val);
        if (tanMask !== 0) scaleInto(this.n, this.c1, this.a.dot, this.dot);
        return;
      case K_SUM: {
        const c = this.sumScale();
        if ((mode & FWD_VALUE) !== 0) this.val[0] = sumScaled(this.a.n, c, this.a.val);
        if (tanMask !== 0) this.dot[0] = sumScaled(this.a.n, c, this.a.dot);
        return;
      }
      case K_MUL:
        this.mulForward((mode & FWD_VALUE) !== 0, tanMask);
        return;
      case K_UNARY:
        this.unaryForward(mode, tanMask);
        return;
      default:
        return; // input, constant: filled by the caller / at recording
    }
  }

  /** Adjoints into the operands in `barMask`, adjoint tangents into those in `bdotMask`. */
  reverse(barMask: number, bdotMask: number, tanMask: number): void {
    switch (this.k) {
      case K_ROWSDOT:
        this.rowsDotReverse(barMask, bdotMask);
        return;
      case K_AFFINE:
        if (barMask !== 0) this.affineSpread(this.bar, barMask, this.a.bar, this.b.bar);
        if (bdotMask !== 0) this.affineSpread(this.bdot, bdotMask, this.a.bdot, this.b.bdot);
        return;
      case K_SCALE:
        if (barMask !== 0) addScaled(this.n, this.c1, this.bar, this.a.bar);
        if (bdotMask !== 0) addScaled(this.n, this.c1, this.bdot, this.a.bdot);
        return;
      case K_SUM: {
        const c = this.sumScale();
        if (barMask !== 0) addConstant(this.a.n, c * this.bar[0], this.a.bar);
        if (bdotMask !== 0) addConstant(this.a.n, c * this.bdot[0], this.a.bdot);
        return;
      }
      case K_MUL:
        this.mulReverse(barMask, bdotMask, tanMask);
        return;
      case K_UNARY:
        this.unaryReverse(barMask, bdotMask, tanMask);
        return;
      default:
        return;
    }
  }

  /**
   * Whether the reverse-tangent contribution to operand `arg` has a second-order source (a term Σ_j ∂²φ·u̇_j ȳ with a
   * live tangent u̇_j), so that it is non-zero even when ȳ̇ is zero.
   */
  secondOrderSource(arg: number, tanMask: number): boolean {
    if (this.k === K_MUL) return (tanMask & (arg === 0 ? 2 : 1)) !== 0;
    if (this.k === K_UNARY) return tanMask !== 0;
    return false;
  }

  private sumScale(): number {
    return Number.isNaN(this.c1) ? 1 / this.a.n : this.c1;
  }

  // rowsDot: y_k = M_{batch[k]} · u, linear; reverse ū += Σ_k ȳ_k M_{batch[k]}
  private rowsDotForward(value: boolean, tanMask: number): void {
    const u = this.a;
    const b = this.ref.batch;
    const simd = this.simd;
    if (simd !== null) {
      if (value && tanMask !== 0) simd.rowsDot2(b, u.val, this.val, u.dot, this.dot);
      else if (value) simd.rowsDot(b, u.val, this.val);
      else if (tanMask !== 0) simd.rowsDot(b, u.dot, this.dot);
      return;
    }
    const M = this.M as Matrix;
    if (value && tanMask !== 0) rowsDot2(M, b, u.val, this.val, u.dot, this.dot);
    else if (value) gemvRows(M, b, u.val, this.val);
    else if (tanMask !== 0) gemvRows(M, b, u.dot, this.dot);
  }

  private rowsDotReverse(barMask: number, bdotMask: number): void {
    const u = this.a;
    const b = this.ref.batch;
    const simd = this.simd;
    if (simd !== null) {
      if (barMask !== 0) simd.rowsDotT(b, this.bar, u.bar);
      if (bdotMask !== 0) simd.rowsDotT(b, this.bdot, u.bdot);
      return;
    }
    const M = this.M as Matrix;
    if (barMask !== 0 && bdotMask !== 0) rowsDotT2(M, b, this.bar, u.bar, this.bdot, u.bdot);
    else if (barMask !== 0) gemvRowsT(1, M, b, this.bar, 1, u.bar);
    else if (bdotMask !== 0) gemvRowsT(1, M, b, this.bdot, 1, u.bdot);
  }

  // affine: y = ca·a + cb·b, a length-1 operand broadcasting (stride 0)
  private affineForward(value: boolean, tanMask: number): void {
    const sa = this.a.n === 1 ? 0 : 1;
    const sb = this.b.n === 1 ? 0 : 1;
    if (value) affineInto(this.n, this.c1, this.a.val, sa, true, this.c2, this.b.val, sb, true, this.val);
    if (tanMask !== 0) affineInto(this.n, this.c1, this.a.dot, sa, (tanMask & 1) !== 0, this.c2, this.b.dot, sb, (tanMask & 2) !== 0, this.dot);
  }

  private affineSpread(src: Float64Array, mask: number, a: Float64Array, b: Float64Array): void {
    const n = this.n;
    if ((mask & 1) !== 0) spreadInto(n, this.c1, src, a, this.a.n === 1 ? 0 : 1);
    if ((mask & 2) !== 0) spreadInto(n, this.c2, src, b, this.b.n === 1 ? 0 : 1);
  }

  // mul: y = a ⊙ b; ẏ = ȧb + aḃ, ā += bȳ, ā̇ += ḃȳ + bȳ̇ (and for b)
  private mulForward(value: boolean, tanMask: number): void {
    const a = this.a;
    const b = this.b;
    const n = this.n;
    const sa = a.n === 1 ? 0 : 1;
    const sb = b.n === 1 ? 0 : 1;
    const av = a.val;
    const bv = b.val;
    const ad = a.dot;
    const bd = b.dot;
    const y = this.val;
    const yd = this.dot;
    if (value) for (let k = 0; k < n; k++) y[k] = av[k * sa] * bv[k * sb];
    if (tanMask === 3) for (let k = 0; k < n; k++) yd[k] = ad[k * sa] * bv[k * sb] + av[k * sa] * bd[k * sb];
    else if (tanMask === 1) for (let k = 0; k < n; k++) yd[k] = ad[k * sa] * bv[k * sb];
    else if (tanMask === 2) for (let k = 0; k < n; k++) yd[k] = av[k * sa] * bd[k * sb];
  }

  private mulReverse(barMask: number, bdotMask: number, tanMask: number): void {
    const a = this.a;
    const b = this.b;
    const n = this.n;
    const sa = a.n === 1 ? 0 : 1;
    const sb = b.n === 1 ? 0 : 1;
    if ((barMask & 1) !== 0) mulPush(n, a.bar, sa, b.val, b.dot, sb, this.bar, null, false);
    if ((barMask & 2) !== 0) mulPush(n, b.bar, sb, a.val, a.dot, sa, this.bar, null, false);
    if ((bdotMask & 1) !== 0) mulPush(n, a.bdot, sa, b.val, b.dot, sb, this.bar, this.bdot, (tanMask & 2) !== 0);
    if ((bdotMask & 2) !== 0) mulPush(n, b.bdot, sb, a.val, a.dot, sa, this.bar, this.bdot, (tanMask & 1) !== 0);
  }

  /**
   * unary: y = φ(u) with φ', φ'' cached by the forward pass:
   *   exp: e^u, e^u, e^u;   log: log u, 1/u, −1/u²;   softplus: log(1 + e^u), σ(u), σ(u)(1 − σ(u));
   *   sigmoid: σ(u), σ(1 − σ), σ(1 − σ)(1 − 2σ);   square: u², 2u, 2.
   * ẏ = φ'u̇,  ū += φ'ȳ,  ū̇ += φ''u̇ȳ + φ'ȳ̇.
   */
  private unaryForward(mode: number, tanMask: number): void {
    const u = this.a.val;
    const { n, val, d1, d2 } = this;
    const value = (mode & FWD_VALUE) !== 0;
    if ((mode & (FWD_D1 | FWD_D2)) === 0) {
      if (value) unaryValue(this.fn, n, u, val);
    } else {
      switch (this.fn) {
        case U_EXP:
          for (let k = 0; k < n; k++) {
            const e = Math.exp(u[k]);
            val[k] = e;
            d1[k] = e;
            d2[k] = e;
          }
          break;
        case U_LOG:
          for (let k = 0; k < n; k++) {
            const r = 1 / u[k];
            d1[k] = r;
            d2[k] = -r * r;
          }
          if (value) unaryValue(U_LOG, n, u, val);
          break;
        case U_SOFTPLUS:
          // σ(u) from e = e^{−|u|}: 1/(1 + e) for u ≥ 0, e/(1 + e) below; σ(u)(1 − σ(u)) = e/(1 + e)²
          for (let k = 0; k < n; k++) {
            const m = u[k];
            const e = Math.exp(-Math.abs(m));
            const r = 1 / (1 + e);
            d1[k] = m >= 0 ? r : e * r;
            d2[k] = e * r * r;
          }
          if (value) unaryValue(U_SOFTPLUS, n, u, val);
          break;
        case U_SIGMOID:
          for (let k = 0; k < n; k++) {
            const m = u[k];
            const e = Math.exp(-Math.abs(m));
            const r = 1 / (1 + e);
            const s = m >= 0 ? r : e * r;
            const c = e * r * r;
            val[k] = s;
            d1[k] = c;
            d2[k] = c * (1 - 2 * s);
          }
          break;
        default: // square: φ'' = 2 is written once, at recording
          if (value) for (let k = 0; k < n; k++) val[k] = u[k] * u[k];
          for (let k = 0; k < n; k++) d1[k] = 2 * u[k];
          break;
      }
    }
    if (tanMask !== 0) {
      const ud = this.a.dot;
      const yd = this.dot;
      for (let k = 0; k < n; k++) yd[k] = d1[k] * ud[k];
    }
  }

  private unaryReverse(barMask: number, bdotMask: number, tanMask: number): void {
    const u = this.a;
    const { n, d1, d2, bar, bdot } = this;
    const ub = u.bar;
    const ubd = u.bdot;
    const ud = u.dot;
    if (barMask !== 0) for (let k = 0; k < n; k++) ub[k] += d1[k] * bar[k];
    if (bdotMask !== 0) {
      if (tanMask !== 0) for (let k = 0; k < n; k++) ubd[k] += d2[k] * ud[k] * bar[k] + d1[k] * bdot[k];
      else for (let k = 0; k < n; k++) ubd[k] += d1[k] * bdot[k];
    }
  }
}

function gatherForward(b: Int32Array, y: Float64Array, v: Float64Array): void {
  for (let k = 0; k < b.length; k++) v[k] = y[b[k]];
}

/** dst[k] = ca·x[k·sx] + cb·y[k·sy] over the operands in use. */
function affineInto(n: number, ca: number, x: Float64Array, sx: number, useA: boolean, cb: number, y: Float64Array, sy: number, useB: boolean, dst: Float64Array): void {
  if (useA && useB) for (let k = 0; k < n; k++) dst[k] = ca * x[k * sx] + cb * y[k * sy];
  else if (useA) for (let k = 0; k < n; k++) dst[k] = ca * x[k * sx];
  else if (useB) for (let k = 0; k < n; k++) dst[k] = cb * y[k * sy];
}

/** dst[k·s] += c·src[k] (s = 0 sums into a broadcast scalar). */
function spreadInto(n: number, c: number, src: Float64Array, dst: Float64Array, s: number): void {
  for (let k = 0; k < n; k++) dst[k * s] += c * src[k];
}

/** into[k·si] += other-value·ȳ (+ other-tangent·ȳ when `otherLive`, with ȳ̇ when given) for one operand of a product. */
function mulPush(n: number, into: Float64Array, si: number, ov: Float64Array, od: Float64Array, so: number, ybar: Float64Array, ybdot: Float64Array | null, otherLive: boolean): void {
  if (ybdot === null) for (let k = 0; k < n; k++) into[k * si] += ov[k * so] * ybar[k];
  else if (otherLive) for (let k = 0; k < n; k++) into[k * si] += od[k * so] * ybar[k] + ov[k * so] * ybdot[k];
  else for (let k = 0; k < n; k++) into[k * si] += ov[k * so] * ybdot[k];
}

/** out[k] = M_{b[k]}·x and outY[k] = M_{b[k]}·y in one pass over the rows. */
function rowsDot2(M: Matrix, b: Int32Array, x: Float64Array, out: Float64Array, y: Float64Array, outY: Float64Array): void {
  const n = M.cols;
  const a = M.data;
  for (let k = 0; k < b.length; k++) {
    const o = b[k] * n;
    let s0 = 0;
    let s1 = 0;
    let t0 = 0;
    let t1 = 0;
    let j = 0;
    for (; j + 1 < n; j += 2) {
      const a0 = a[o + j];
      const a1 = a[o + j + 1];
      s0 += a0 * x[j];
      s1 += a1 * x[j + 1];
      t0 += a0 * y[j];
      t1 += a1 * y[j + 1];
    }
    if (j < n) {
      s0 += a[o + j] * x[j];
      t0 += a[o + j] * y[j];
    }
    out[k] = s0 + s1;
    outY[k] = t0 + t1;
  }
}

/** outX += Σ_k wx[k] M_{b[k]} and outY += Σ_k wy[k] M_{b[k]} in one pass over the rows. */
function rowsDotT2(M: Matrix, b: Int32Array, wx: Float64Array, outX: Float64Array, wy: Float64Array, outY: Float64Array): void {
  const n = M.cols;
  const a = M.data;
  let k = 0;
  for (; k + 1 < b.length; k += 2) {
    const o0 = b[k] * n;
    const o1 = b[k + 1] * n;
    const x0 = wx[k];
    const x1 = wx[k + 1];
    const y0 = wy[k];
    const y1 = wy[k + 1];
    for (let j = 0; j < n; j++) {
      const a0 = a[o0 + j];
      const a1 = a[o1 + j];
      outX[j] += x0 * a0 + x1 * a1;
      outY[j] += y0 * a0 + y1 * a1;
    }
  }
  if (k < b.length) {
    const o = b[k] * n;
    for (let j = 0; j < n; j++) {
      outX[j] += wx[k] * a[o + j];
      outY[j] += wy[k] * a[o + j];
    }
  }
}

/** dst[k] = c·src[k], k < n. */
function scaleInto(n: number, c: number, src: Float64Array, dst: Float64Array): void {
  for (let k = 0; k < n; k++) dst[k] = c * src[k];
}

/** dst[k] += c·src[k], k < n. */
function addScaled(n: number, c: number, src: Float64Array, dst: Float64Array): void {
  for (let k = 0; k < n; k++) dst[k] += c * src[k];
}

/** c·Σ_{k<n} src[k]. */
function sumScaled(n: number, c: number, src: Float64Array): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += src[k];
  return c * s;
}

/** dst[k] += w, k < n. */
function addConstant(n: number, w: number, dst: Float64Array): void {
  for (let k = 0; k < n; k++) dst[k] += w;
}

/** val[k] = φ(u[k]), k < n, alone. */
function unaryValue(fn: number, n: number, u: Float64Array, val: Float64Array): void {
  switch (fn) {
    case U_EXP:
      for (let k = 0; k < n; k++) val[k] = Math.exp(u[k]);
      break;
    case U_LOG:
      for (let k = 0; k < n; k++) val[k] = Math.log(u[k]);
      break;
    case U_SOFTPLUS:
      // max(u, 0) + log1p(e^{−|u|}): no overflow
      for (let k = 0; k < n; k++) {
        const m = u[k];
        val[k] = (m > 0 ? m : 0) + Math.log1p(Math.exp(-Math.abs(m)));
      }
      break;
    case U_SIGMOID:
      for (let k = 0; k < n; k++) {
        const m = u[k];
        const e = Math.exp(-Math.abs(m));
        val[k] = m >= 0 ? 1 / (1 + e) : e / (1 + e);
      }
      break;
    default: // square
      for (let k = 0; k < n; k++) val[k] = u[k] * u[k];
      break;
  }
}

