import * as codes from './node-codes';
import type { TapeNode } from './tape-nodes';

// Module-local copies of imported bindings: tsx compiles an imported binding to a getter call, which the replay's
// inner loops must not pay (measured: a quarter of a small oracle's time).
const FWD_VALUE = codes.FWD_VALUE;


/**
 * Rules of the elementwise binary operations with numpy broadcasting (affine a·c₁ + b·c₂ for add/sub, mul, div) and
 * of the reductions (sum, mean over axes), on one iteration scheme: the recorded shape is coalesced into a few axes
 * (see `coalesce` in shapes.ts) and a replay walks `dims.length − 1` outer loops around *runs* along the last axis,
 * each run a tight loop with a constant stride per operand (0 where the operand is broadcast). An operand's adjoint
 * accumulates with the same strides: a stride-0 run sums into one entry (a local sum, then one add).
 *
 * Binary nodes iterate over their output y (contiguous) reading a through `itSa` and b through `itSb`. Sum nodes
 * iterate over their operand u (contiguous) writing y through `itSb` (0 along the reduced axes). An adjoint the plan
 * lets a rule assign (its first writer, an operand that is not broadcast; a sum's operand) is written with = (`set`).
 *
 * Rules (y = φ(a, b); a dead tangent is never read):
 *   affine  y = c₁a + c₂b    ẏ = c₁ȧ + c₂ḃ       ā += c₁ȳ,  ā̇ += c₁ȳ̇  (likewise b)
 *   mul     y = ab           ẏ = ȧb + aḃ         ā += bȳ,   ā̇ += bȳ̇ + ḃȳ
 *   div     y = a/b          ẏ = (ȧ − yḃ)/b      ā += ȳ/b,  ā̇ += (ȳ̇ − ȳḃ/b)/b
 *                                               b̄ −= ȳy/b, b̄̇ −= (ȳ̇y + ȳ(ȧ − 2yḃ)/b)/b
 *     (∂²y/∂a² = 0, ∂²y/∂a∂b = −1/b², ∂²y/∂b² = 2a/b³ = 2y/b²)
 *   sum     y = c·Σ u        ẏ = c·Σ u̇           ū += c·ȳ,  ū̇ += c·ȳ̇   (c = 1/count for a mean, count at replay)
 */

/** A zero read with stride 0 in place of a dead tangent. */
const ZERO = new Float64Array(1);

const V_AFFINE = 0;
const T_AFFINE_A = 1;
const T_AFFINE_B = 2;
const T_AFFINE_AB = 3;
const R_AFFINE_A = 4;
const R_AFFINE_B = 5;
const D_AFFINE_A = 6;
const D_AFFINE_B = 7;
const V_MUL = 8;
const T_MUL_A = 9;
const T_MUL_B = 10;
const T_MUL_AB = 11;
const R_MUL_A = 12;
const R_MUL_B = 13;
const D_MUL_A = 14;
const D_MUL_A2 = 15;
const D_MUL_B = 16;
const D_MUL_B2 = 17;
const V_DIV = 18;
const T_DIV = 19;
const R_DIV_A = 20;
const R_DIV_B = 21;
const D_DIV_A = 22;
const D_DIV_B = 23;
const S_VAL = 24;
const S_TAN = 25;
const S_BAR = 26;
const S_BDOT = 27;

/**
 * Walks the node's coalesced iteration and runs `code` on each run: (len, main offset o, a offset ia and stride sa,
 * b offset ib and stride sb). `aLive`/`bLive` tell the div rules which tangents to read, `set` the reverse rules to
 * assign. No allocation (no argument is a non-integer number: see SCALE).
 */
function walk(y: TapeNode, code: number, aLive: boolean, bLive: boolean, set: boolean): void {
  const dims = y.itDims;
  const q = dims.length;
  const sa = y.itSa;
  const sb = y.itSb;
  const d0 = y.itPer > 0 ? y.ctx.size * y.itPer : dims[0];
  if (q === 1) {
    run(y, code, aLive, bLive, set, d0, 0, 0, sa[0], 0, sb[0]);
    return;
  }
  const len = dims[q - 1];
  const ra = sa[q - 1];
  const rb = sb[q - 1];
  if (q === 2) {
    const a0 = sa[0];
    const b0 = sb[0];
    for (let i = 0; i < d0; i++) run(y, code, aLive, bLive, set, len, i * len, i * a0, ra, i * b0, rb);
    return;
  }
  const cnt = y.itCnt;
  let outer = d0;
  for (let d = 0; d < q; d++) {
    cnt[d] = 0;
    if (d > 0 && d < q - 1) outer *= dims[d];
  }
  let ia = 0;
  let ib = 0;
  let o = 0;
  for (let t = 0; t < outer; t++) {
    run(y, code, aLive, bLive, set, len, o, ia, ra, ib, rb);
    o += len;
    for (let d = q - 2; d >= 0; d--) {
      const lim = d === 0 ? d0 : dims[d];
      ia += sa[d];
      ib += sb[d];
      if (++cnt[d] < lim) break;
      ia -= sa[d] * lim;
      ib -= sb[d] * lim;
      cnt[d] = 0;
    }
  }
}

function run(y: TapeNode, code: number, aLive: boolean, bLive: boolean, set: boolean, len: number, o: number, ia: number, sa: number, ib: number, sb: number): void {
  const a = y.a;
  const b = y.b;
  switch (code) {
    case V_AFFINE:
      lin2(len, y.val, o, a.val, ia, sa, y.c1, b.val, ib, sb, y.c2);
      return;
    case T_AFFINE_A:
      lin1(len, y.dot, o, a.dot, ia, sa, y.c1);
      return;
    case T_AFFINE_B:
      lin1(len, y.dot, o, b.dot, ib, sb, y.c2);
      return;
    case T_AFFINE_AB:
      lin2(len, y.dot, o, a.dot, ia, sa, y.c1, b.dot, ib, sb, y.c2);
      return;
    case R_AFFINE_A:
      spread(len, y.bar, o, y.c1, a.bar, ia, sa, set);
      return;
    case R_AFFINE_B:
      spread(len, y.bar, o, y.c2, b.bar, ib, sb, set);
      return;
    case D_AFFINE_A:
      spread(len, y.bdot, o, y.c1, a.bdot, ia, sa, set);
      return;
    case D_AFFINE_B:
      spread(len, y.bdot, o, y.c2, b.bdot, ib, sb, set);
      return;
    case V_MUL:
      prod(len, y.val, o, a.val, ia, sa, b.val, ib, sb);
      return;
    case T_MUL_A:
      prod(len, y.dot, o, a.dot, ia, sa, b.val, ib, sb);
      return;
    case T_MUL_B:
      prod(len, y.dot, o, a.val, ia, sa, b.dot, ib, sb);
      return;
    case T_MUL_AB:
      prod2(len, y.dot, o, a.dot, a.val, ia, sa, b.val, b.dot, ib, sb);
      return;
    case R_MUL_A:
      spreadProd(len, y.bar, o, a.bar, ia, sa, b.val, ib, sb, set);
      return;
    case R_MUL_B:
      spreadProd(len, y.bar, o, b.bar, ib, sb, a.val, ia, sa, set);
      return;
    case D_MUL_A:
      spreadProd(len, y.bdot, o, a.bdot, ia, sa, b.val, ib, sb, set);
      return;
    case D_MUL_A2:
      spreadProd2(len, y.bdot, y.bar, o, a.bdot, ia, sa, b.val, b.dot, ib, sb, set);
      return;
    case D_MUL_B:
      spreadProd(len, y.bdot, o, b.bdot, ib, sb, a.val, ia, sa, set);
      return;
    case D_MUL_B2:
      spreadProd2(len, y.bdot, y.bar, o, b.bdot, ib, sb, a.val, a.dot, ia, sa, set);
      return;
    case V_DIV:
      quot(len, y.val, o, a.val, ia, sa, b.val, ib, sb);
      return;
    case T_DIV:
      divTangent(len, y.dot, y.val, o, aLive ? a.dot : ZERO, aLive ? ia : 0, aLive ? sa : 0, b.val, bLive ? b.dot : ZERO, ib, sb, bLive ? 1 : 0);
      return;
    case R_DIV_A:
      divBarA(len, y.bar, o, a.bar, ia, sa, b.val, ib, sb);
      return;
    case R_DIV_B:
      divBarB(len, y.bar, y.val, o, b.bar, ib, sb, b.val);
      return;
    case D_DIV_A:
      divBdotA(len, y.bdot, y.bar, o, a.bdot, ia, sa, b.val, bLive ? b.dot : ZERO, ib, sb, bLive ? 1 : 0);
      return;
    case D_DIV_B:
      divBdotB(len, y.bdot, y.bar, y.val, o, b.bdot, ib, sb, b.val, bLive ? b.dot : ZERO, bLive ? 1 : 0, aLive ? a.dot : ZERO, aLive ? ia : 0, aLive ? sa : 0);
      return;
    case S_VAL:
      sumInto(len, a.val, o, y.val, ib, sb);
      return;
    case S_TAN:
      sumInto(len, a.dot, o, y.dot, ib, sb);
      return;
    case S_BAR:
      gatherAdd(len, a.bar, o, y.bar, ib, sb, set);
      return;
    case S_BDOT:
      gatherAdd(len, a.bdot, o, y.bdot, ib, sb, set);
      return;
    default:
      return;
  }
}

// ---- runs ------------------------------------------------------------------------------------------------------

/** y[o+k] = ca·A[ia+k·sa] + cb·B[ib+k·sb]. */
function lin2(len: number, y: Float64Array, o: number, A: Float64Array, ia: number, sa: number, ca: number, B: Float64Array, ib: number, sb: number, cb: number): void {
  if (sa === 1 && sb === 1) for (let k = 0; k < len; k++) y[o + k] = ca * A[ia + k] + cb * B[ib + k];
  else for (let k = 0; k < len; k++) y[o + k] = ca * A[ia + k * sa] + cb * B[ib + k * sb];
}

/** y[o+k] = ca·A[ia+k·sa]. */
function lin1(len: number, y: Float64Array, o: number, A: Float64Array, ia: number, sa: number, ca: number): void {
  for (let k = 0; k < len; k++) y[o + k] = ca * A[ia + k * sa];
}

/**
 * D[id+k·sd] += c·Y[o+k] (a stride-0 destination takes one sum); `set`: = instead of += (only for a destination each
 * of whose entries the walk writes once: not broadcast, see TapeNode.assigns).
 */
function spread(len: number, Y: Float64Array, o: number, c: number, D: Float64Array, id: number, sd: number, set: boolean): void {
  if (sd === 0) {
    let s = 0;
    for (let k = 0; k < len; k++) s += Y[o + k];
    D[id] = set ? c * s : D[id] + c * s;
  } else if (set) for (let k = 0; k < len; k++) D[id + k * sd] = c * Y[o + k];
  else if (sd === 1) for (let k = 0; k < len; k++) D[id + k] += c * Y[o + k];
  else for (let k = 0; k < len; k++) D[id + k * sd] += c * Y[o + k];
}

/**
 * The scale of the sum being replayed, c (1/count for a mean): read from this array by the sum's runs rather than
 * passed to them, since a call that V8 does not inline receives a non-integer number boxed, a heap allocation per
 * call. (A mean allocated 16 bytes a replay, measured; the box came from a conditional expression that merged the
 * field c₁ with a computed 1/count, see setScale.)
 */
const SCALE = new Float64Array(1);

/** Y[o+k] scaled by c = SCALE[0], summed into D[id+k·sd] (as {@link spread}, never assigned). */
function sumInto(len: number, Y: Float64Array, o: number, D: Float64Array, id: number, sd: number): void {
  const c = SCALE[0];
  if (sd === 0) {
    let s = 0;
    for (let k = 0; k < len; k++) s += Y[o + k];
    D[id] += c * s;
  } else if (sd === 1) for (let k = 0; k < len; k++) D[id + k] += c * Y[o + k];
  else for (let k = 0; k < len; k++) D[id + k * sd] += c * Y[o + k];
}

/** D[o+k] (+)= c·S[is+k·ss] with c = SCALE[0] (a broadcast read; `set`: =). */
function gatherAdd(len: number, D: Float64Array, o: number, S: Float64Array, is: number, ss: number, set: boolean): void {
  const c = SCALE[0];
  if (ss === 0) {
    const w = c * S[is];
    if (set) for (let k = 0; k < len; k++) D[o + k] = w;
    else for (let k = 0; k < len; k++) D[o + k] += w;
  } else if (set) for (let k = 0; k < len; k++) D[o + k] = c * S[is + k * ss];
  else for (let k = 0; k < len; k++) D[o + k] += c * S[is + k * ss];
}

/** y[o+k] = A[ia+k·sa]·B[ib+k·sb]. */
function prod(len: number, y: Float64Array, o: number, A: Float64Array, ia: number, sa: number, B: Float64Array, ib: number, sb: number): void {
  if (sa === 1 && sb === 1) for (let k = 0; k < len; k++) y[o + k] = A[ia + k] * B[ib + k];
  else for (let k = 0; k < len; k++) y[o + k] = A[ia + k * sa] * B[ib + k * sb];
}

/** y[o+k] = A1·B1 + A2·B2 with the A's at (ia, sa), the B's at (ib, sb). */
function prod2(len: number, y: Float64Array, o: number, A1: Float64Array, A2: Float64Array, ia: number, sa: number, B1: Float64Array, B2: Float64Array, ib: number, sb: number): void {
  for (let k = 0; k < len; k++) {
    const i = ia + k * sa;
    const j = ib + k * sb;
    y[o + k] = A1[i] * B1[j] + A2[i] * B2[j];
  }
}

/** D[id+k·sd] (+)= Y[o+k]·B[ib+k·sb] (`set`: =, see {@link spread}). */
function spreadProd(len: number, Y: Float64Array, o: number, D: Float64Array, id: number, sd: number, B: Float64Array, ib: number, sb: number, set: boolean): void {
  if (sd === 0) {
    let s = 0;
    for (let k = 0; k < len; k++) s += Y[o + k] * B[ib + k * sb];
    D[id] = set ? s : D[id] + s;
  } else if (set) for (let k = 0; k < len; k++) D[id + k * sd] = Y[o + k] * B[ib + k * sb];
  else for (let k = 0; k < len; k++) D[id + k * sd] += Y[o + k] * B[ib + k * sb];
}

/** D[id+k·sd] (+)= Y1[o+k]·B1[ib+k·sb] + Y2[o+k]·B2[ib+k·sb] (`set`: =, see {@link spread}). */
function spreadProd2(
  len: number, Y1: Float64Array, Y2: Float64Array, o: number, D: Float64Array, id: number, sd: number, B1: Float64Array, B2: Float64Array, ib: number, sb: number, set: boolean,
): void {
  if (sd === 0) {
    let s = 0;
    for (let k = 0; k < len; k++) s += Y1[o + k] * B1[ib + k * sb] + Y2[o + k] * B2[ib + k * sb];
    D[id] = set ? s : D[id] + s;
  } else if (set) for (let k = 0; k < len; k++) D[id + k * sd] = Y1[o + k] * B1[ib + k * sb] + Y2[o + k] * B2[ib + k * sb];
  else for (let k = 0; k < len; k++) D[id + k * sd] += Y1[o + k] * B1[ib + k * sb] + Y2[o + k] * B2[ib + k * sb];
}

/** y[o+k] = A/B. */
function quot(len: number, y: Float64Array, o: number, A: Float64Array, ia: number, sa: number, B: Float64Array, ib: number, sb: number): void {
  for (let k = 0; k < len; k++) y[o + k] = A[ia + k * sa] / B[ib + k * sb];
}

/** ẏ = (ȧ − y·ḃ)/b; a dead ȧ reads ZERO with stride 0, a dead ḃ has mb = 0. */
function divTangent(len: number, yd: Float64Array, y: Float64Array, o: number, Ad: Float64Array, ia: number, sa: number, B: Float64Array, Bd: Float64Array, ib: number, sb: number, mb: number): void {
  for (let k = 0; k < len; k++) {
    const j = ib + k * sb;
    yd[o + k] = (Ad[ia + k * sa] - y[o + k] * Bd[j * mb]) / B[j];
  }
}

/** ā += ȳ/b. */
function divBarA(len: number, yb: Float64Array, o: number, D: Float64Array, id: number, sd: number, B: Float64Array, ib: number, sb: number): void {
  if (sd === 0) {
    let s = 0;
    for (let k = 0; k < len; k++) s += yb[o + k] / B[ib + k * sb];
    D[id] += s;
  } else for (let k = 0; k < len; k++) D[id + k * sd] += yb[o + k] / B[ib + k * sb];
}

/** b̄ −= ȳ·y/b. */
function divBarB(len: number, yb: Float64Array, y: Float64Array, o: number, D: Float64Array, ib: number, sb: number, B: Float64Array): void {
  if (sb === 0) {
    const r = 1 / B[ib];
    let s = 0;
    for (let k = 0; k < len; k++) s += yb[o + k] * y[o + k];
    D[ib] -= s * r;
  } else for (let k = 0; k < len; k++) D[ib + k * sb] -= (yb[o + k] * y[o + k]) / B[ib + k * sb];
}

/** ā̇ += (ȳ̇ − ȳ·ḃ/b)/b. */
function divBdotA(len: number, ybd: Float64Array, yb: Float64Array, o: number, D: Float64Array, id: number, sd: number, B: Float64Array, Bd: Float64Array, ib: number, sb: number, mb: number): void {
  for (let k = 0; k < len; k++) {
    const j = ib + k * sb;
    const r = 1 / B[j];
    D[id + k * sd] += (ybd[o + k] - yb[o + k] * Bd[j * mb] * r) * r;
  }
}

/** b̄̇ −= (ȳ̇·y + ȳ·(ȧ − 2y·ḃ)/b)/b. */
function divBdotB(
  len: number, ybd: Float64Array, yb: Float64Array, y: Float64Array, o: number, D: Float64Array, ib: number, sb: number,
  B: Float64Array, Bd: Float64Array, mb: number, Ad: Float64Array, ia: number, sa: number,
): void {
  for (let k = 0; k < len; k++) {
    const j = ib + k * sb;
    const r = 1 / B[j];
    const yk = y[o + k];
    D[j] -= (ybd[o + k] * yk + yb[o + k] * (Ad[ia + k * sa] - 2 * yk * Bd[j * mb]) * r) * r;
  }
}

// ---- rules -----------------------------------------------------------------------------------------------------

export function affineForward(y: TapeNode, mode: number, tanMask: number): void {
  if ((mode & FWD_VALUE) !== 0) walk(y, V_AFFINE, false, false, false);
  if (tanMask === 3) walk(y, T_AFFINE_AB, true, true, false);
  else if (tanMask === 1) walk(y, T_AFFINE_A, true, false, false);
  else if (tanMask === 2) walk(y, T_AFFINE_B, false, true, false);
}

export function affineReverse(y: TapeNode, barMask: number, bdotMask: number, barSet: number, bdotSet: number): void {
  if ((barMask & 1) !== 0) walk(y, R_AFFINE_A, false, false, (barSet & 1) !== 0);
  if ((barMask & 2) !== 0) walk(y, R_AFFINE_B, false, false, (barSet & 2) !== 0);
  if ((bdotMask & 1) !== 0) walk(y, D_AFFINE_A, false, false, (bdotSet & 1) !== 0);
  if ((bdotMask & 2) !== 0) walk(y, D_AFFINE_B, false, false, (bdotSet & 2) !== 0);
}

export function mulForward(y: TapeNode, mode: number, tanMask: number): void {
  if ((mode & FWD_VALUE) !== 0) walk(y, V_MUL, false, false, false);
  if (tanMask === 3) walk(y, T_MUL_AB, true, true, false);
  else if (tanMask === 1) walk(y, T_MUL_A, true, false, false);
  else if (tanMask === 2) walk(y, T_MUL_B, false, true, false);
}

export function mulReverse(y: TapeNode, barMask: number, bdotMask: number, tanMask: number, barSet: number, bdotSet: number): void {
  if ((barMask & 1) !== 0) walk(y, R_MUL_A, false, false, (barSet & 1) !== 0);
  if ((barMask & 2) !== 0) walk(y, R_MUL_B, false, false, (barSet & 2) !== 0);
  if ((bdotMask & 1) !== 0) walk(y, (tanMask & 2) !== 0 ? D_MUL_A2 : D_MUL_A, false, false, (bdotSet & 1) !== 0);
  if ((bdotMask & 2) !== 0) walk(y, (tanMask & 1) !== 0 ? D_MUL_B2 : D_MUL_B, false, false, (bdotSet & 2) !== 0);
}

export function divForward(y: TapeNode, mode: number, tanMask: number): void {
  if ((mode & FWD_VALUE) !== 0) walk(y, V_DIV, false, false, false);
  if (tanMask !== 0) walk(y, T_DIV, (tanMask & 1) !== 0, (tanMask & 2) !== 0, false);
}

export function divReverse(y: TapeNode, barMask: number, bdotMask: number, tanMask: number): void {
  const aLive = (tanMask & 1) !== 0;
  const bLive = (tanMask & 2) !== 0;
  if ((barMask & 1) !== 0) walk(y, R_DIV_A, false, false, false);
  if ((barMask & 2) !== 0) walk(y, R_DIV_B, false, false, false);
  if ((bdotMask & 1) !== 0) walk(y, D_DIV_A, aLive, bLive, false);
  if ((bdotMask & 2) !== 0) walk(y, D_DIV_B, aLive, bLive, false);
}

/** SCALE[0] ← the sum's scale: c₁, or 1/count for a mean (c₁ = NaN; c₂ the count of reduced entries per sample or in all). */
function setScale(y: TapeNode): void {
  // c2: reduced entries at a fixed size; ip[0] = 1 when the batch axis is reduced (the count scales with the batch).
  // One store per branch: a conditional expression merging the field c₁ with a computed quotient boxes the result.
  if (!Number.isNaN(y.c1)) SCALE[0] = y.c1;
  else if (y.ip[0] === 1) SCALE[0] = 1 / (y.c2 * y.ctx.size);
  else SCALE[0] = 1 / y.c2;
}

export function sumForward(y: TapeNode, mode: number, tanMask: number): void {
  setScale(y);
  const n = y.n;
  if ((mode & FWD_VALUE) !== 0) {
    const v = y.val;
    for (let k = 0; k < n; k++) v[k] = 0;
    walk(y, S_VAL, false, false, false);
  }
  if (tanMask !== 0) {
    const d = y.dot;
    for (let k = 0; k < n; k++) d[k] = 0;
    walk(y, S_TAN, false, false, false);
  }
}

export function sumReverse(y: TapeNode, barMask: number, bdotMask: number, barSet: number, bdotSet: number): void {
  setScale(y);
  if ((barMask & 1) !== 0) walk(y, S_BAR, false, false, (barSet & 1) !== 0);
  if ((bdotMask & 1) !== 0) walk(y, S_BDOT, false, false, (bdotSet & 1) !== 0);
}
