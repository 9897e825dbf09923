/**
 * Sound linear relaxations of the unary nodes of a {@link Graph}: for f on an input interval [l, u], floats aL, bL,
 * aU, bU with, in exact real arithmetic,
 *
 *     aL·x + bL ≤ f(x) ≤ aU·x + bU      for every x ∈ [l, u].
 *
 * The slopes are chosen among a few candidates (the chord, the tangent slopes at l, (l+u)/2 and u, 0, and for
 * piecewise-linear f the slopes of its pieces) by the value of the line at the midpoint, i.e. the area between
 * line and f. For ReLU this is the triangle relaxation with the adaptive lower slope of CROWN (Zhang, Weng, Chen,
 * Hsieh, Daniel, NeurIPS 2018): upper chord u/(u−l)·(x−l), lower slope 1 if u > −l else 0.
 *
 * The slopes are heuristics, the intercepts are proofs: whatever the slope a, the intercepts enclose
 * {f(x) − a·x : x ∈ [l, u]}, computed in outward-rounded interval arithmetic:
 * - piecewise-linear f (relu, leaky relu, |·|, clamp): f(x) − a·x is piecewise linear, so its extremes are at l, u
 *   and the kinks inside; evaluating there is exact up to rounding.
 * - smooth f (tanh, exp, sin, cos, 1/x on a zero-free interval, x^k): [l, u] is cut into {@link RELAXATION_PIECES} pieces P; on each, if the
 *   interval derivative f'(P) − a has a sign, g = f − a·x is monotone and its range is [g(p), g(q)] (endpoints
 *   evaluated as point intervals); otherwise the mean-value form g(c) + (f'(P) − a)(P − c) encloses it. Where the
 *   line touches f, f' − a ≈ 0 and the mean-value form is second-order tight, so tangent and chord lines lose only
 *   rounding-level slack.
 */
import type { GraphNode } from './expr-graph';
import type { Interval } from './interval';
import * as I from './interval';

/** A pair of lines enclosing a unary function on an interval. */
export interface Relaxation {
  readonly lowerSlope: number;
  readonly lowerIntercept: number;
  readonly upperSlope: number;
  readonly upperIntercept: number;
}

/** Pieces of the input interval for the intercepts of smooth functions (tightness against cost). */
export const RELAXATION_PIECES = 8;

interface SmoothFn {
  f(a: Interval): Interval;
  df(a: Interval): Interval;
  /** Float approximations, for choosing slopes only. */
  fx(x: number): number;
  dfx(x: number): number;
}

interface PiecewiseLinearFn {
  f(a: Interval): Interval;
  fx(x: number): number;
  kinks: readonly number[];
  slopes: readonly number[];
}

const ONE: Interval = { lo: 1, hi: 1 };

function smoothOf(node: GraphNode): SmoothFn | undefined {
  switch (node.op) {
    case 'tanh':
      return { f: I.tanh, df: (a) => I.sub(ONE, I.sqr(I.tanh(a))), fx: Math.tanh, dfx: (x) => 1 - Math.tanh(x) ** 2 };
    case 'exp':
      return { f: I.exp, df: I.exp, fx: Math.exp, dfx: Math.exp };
    case 'sin':
      return { f: I.sin, df: I.cos, fx: Math.sin, dfx: Math.cos };
    case 'cos':
      return { f: I.cos, df: (a) => I.neg(I.sin(a)), fx: Math.cos, dfx: (x) => -Math.sin(x) };
    case 'recip':
      // d/dx (1/x) = −1/x² = −(1/x)²; convex on (0, ∞), concave on (−∞, 0): chord and tangent candidates suffice
      return { f: I.recip, df: (a) => I.neg(I.sqr(I.recip(a))), fx: (x) => 1 / x, dfx: (x) => -1 / (x * x) };
    case 'pow': {
      const k = node.k;
      return { f: (a) => I.powInt(a, k), df: (a) => I.scale(I.powInt(a, k - 1), k), fx: (x) => x ** k, dfx: (x) => k * x ** (k - 1) };
    }
    default:
      return undefined;
  }
}

function piecewiseOf(node: GraphNode): PiecewiseLinearFn | undefined {
  switch (node.op) {
    case 'relu':
      return { f: I.relu, fx: (x) => Math.max(x, 0), kinks: [0], slopes: [0, 1] };
    case 'leakyRelu': {
      const al = node.alpha;
      return { f: (a) => I.leakyRelu(a, al), fx: (x) => (x >= 0 ? x : al * x), kinks: [0], slopes: [al, 1] };
    }
    case 'abs':
      return { f: I.abs, fx: Math.abs, kinks: [0], slopes: [-1, 1] };
    case 'clamp': {
      const { lo, hi } = node;
      return { f: (a) => I.clamp(a, lo, hi), fx: (x) => Math.min(Math.max(x, lo), hi), kinks: [lo, hi], slopes: [0, 1] };
    }
    default:
      return undefined;
  }
}

/** g(x) = f(x) − a·x on a point-or-interval argument. */
function gap(fx: Interval, x: Interval, a: number): Interval {
  return I.sub(fx, I.scale(x, a));
}

/** Encloses {f(x) − a·x : x ∈ [l, u]} for piecewise-linear f: hull over l, u and the kinks inside. */
function piecewiseGap(fn: PiecewiseLinearFn, a: number, l: number, u: number): Interval {
  const pts = [l, u, ...fn.kinks.filter((k) => k > l && k < u)];
  let r: Interval | undefined;
  for (const p of pts) {
    const x = { lo: p, hi: p };
    const g = gap(fn.f(x), x, a);
    r = r ? I.hull(r, g) : g;
  }
  return r!;
}

interface Pieces {
  readonly pts: Interval[]; // the piece endpoints as point intervals
  readonly fPts: Interval[];
  readonly mids: Interval[];
  readonly fMids: Interval[];
  readonly pieces: Interval[];
  readonly fPieces: Interval[];
  readonly dfPieces: Interval[];
}

function cut(fn: SmoothFn, l: number, u: number): Pieces {
  const n = RELAXATION_PIECES;
  const xs: number[] = [l];
  for (let i = 1; i < n; i++) xs.push(Math.min(u, Math.max(xs[i - 1], l + ((u - l) * i) / n)));
  xs.push(u);
  const pts = xs.map((x) => ({ lo: x, hi: x }));
  const pieces = xs.slice(0, n).map((x, i) => ({ lo: x, hi: xs[i + 1] }));
  const mids = pieces.map((p) => {
    const c = Math.min(p.hi, Math.max(p.lo, p.lo + (p.hi - p.lo) / 2));
    return { lo: c, hi: c };
  });
  return {
    pts,
    fPts: pts.map((p) => fn.f(p)),
    mids,
    fMids: mids.map((m) => fn.f(m)),
    pieces,
    fPieces: pieces.map((p) => fn.f(p)),
    dfPieces: pieces.map((p) => fn.df(p)),
  };
}

/** Encloses {f(x) − a·x : x ∈ [l, u]} for smooth f (see the file comment). */
function smoothGap(c: Pieces, a: number): Interval {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < c.pieces.length; i++) {
    const dg = I.sub(c.dfPieces[i], { lo: a, hi: a });
    let r: Interval;
    if (dg.lo >= 0) r = { lo: gap(c.fPts[i], c.pts[i], a).lo, hi: gap(c.fPts[i + 1], c.pts[i + 1], a).hi };
    else if (dg.hi <= 0) r = { lo: gap(c.fPts[i + 1], c.pts[i + 1], a).lo, hi: gap(c.fPts[i], c.pts[i], a).hi };
    else {
      const centred = I.add(gap(c.fMids[i], c.mids[i], a), I.mul(dg, I.sub(c.pieces[i], c.mids[i])));
      const naive = gap(c.fPieces[i], c.pieces[i], a);
      r = { lo: Math.max(centred.lo, naive.lo), hi: Math.min(centred.hi, naive.hi) };
    }
    if (r.lo < lo) lo = r.lo;
    if (r.hi > hi) hi = r.hi;
  }
  return { lo, hi };
}

/** Picks, among candidate slopes, the lower line highest and the upper line lowest at the midpoint m. */
function choose(slopes: readonly number[], gapOf: (a: number) => Interval, m: number, range: Interval): Relaxation {
  // the constant lines from the interval of f are always candidates
  let best: { lowerSlope: number; lowerIntercept: number; upperSlope: number; upperIntercept: number } = {
    lowerSlope: 0,
    lowerIntercept: range.lo,
    upperSlope: 0,
    upperIntercept: range.hi,
  };
  let lowAtM = range.lo;
  let upAtM = range.hi;
  for (const a of slopes) {
    if (!Number.isFinite(a) || a === 0) continue;
    const g = gapOf(a);
    const lo = a * m + g.lo;
    const up = a * m + g.hi;
    if (Number.isFinite(g.lo) && lo > lowAtM) {
      lowAtM = lo;
      best = { ...best, lowerSlope: a, lowerIntercept: g.lo };
    }
    if (Number.isFinite(g.hi) && up < upAtM) {
      upAtM = up;
      best = { ...best, upperSlope: a, upperIntercept: g.hi };
    }
  }
  return best;
}

/**
 * The relaxation of a unary node on its argument's interval `arg`; `range` is a sound interval of the node's
 * value there (the constant lines y = range.lo, y = range.hi are the fallback). Returns undefined for nodes that
 * are not unary nonlinear ops.
 */
export function relaxUnary(node: GraphNode, arg: Interval, range: Interval): Relaxation | undefined {
  const smooth = smoothOf(node);
  const pw = smooth ? undefined : piecewiseOf(node);
  if (!smooth && !pw) return undefined;
  const { lo: l, hi: u } = arg;
  if (!(Number.isFinite(l) && Number.isFinite(u)) || l === u) {
    return { lowerSlope: 0, lowerIntercept: range.lo, upperSlope: 0, upperIntercept: range.hi };
  }
  const m = l + (u - l) / 2;
  const fx = smooth ? smooth.fx : pw!.fx;
  const chord = (fx(u) - fx(l)) / (u - l);
  if (pw) return choose([chord, ...pw.slopes], (a) => piecewiseGap(pw, a, l, u), m, range);
  const pieces = cut(smooth!, l, u);
  return choose([chord, smooth!.dfx(l), smooth!.dfx(m), smooth!.dfx(u)], (a) => smoothGap(pieces, a), m, range);
}
