/**
 * Closed intervals [lo, hi] of reals with float64 bounds and outward rounding: every operation returns an interval
 * that contains the exact image of its operands, so a chain of operations encloses the exact real result (the
 * fundamental theorem of interval arithmetic; Moore, Kearfott, Cloud, "Introduction to Interval Analysis", SIAM
 * 2009). `+ − ×` round with the error-free transforms of ./rounding; `Math.sin/cos/tanh/exp` are not correctly
 * rounded (V8 uses fdlibm ports, documented below 1 ulp of error), so their results are widened by
 * {@link TRANSCENDENTAL_ULPS} ulps on each side and clipped to the function's true range.
 *
 * Example: `sin(interval(0, 2))` is about [0, 1]: the maximum at π/2 lies inside, so the upper end is exactly 1.
 */
import { addDown, addUp, divDown, divUp, mulDown, mulUp, subDown, subUp, ulpsDown, ulpsUp } from './rounding';

/** A closed interval `lo ≤ x ≤ hi` (`lo` may be −∞ and `hi` +∞). */
export interface Interval {
  readonly lo: number;
  readonly hi: number;
}

/**
 * Ulps added on each side of a `Math.sin/cos/tanh/exp` result: fdlibm's error bound is below 1 ulp; 4 leaves room
 * for any engine that is a little worse, at a cost of about 1e-15 relative width.
 */
export const TRANSCENDENTAL_ULPS = 4;

/** The interval [lo, hi]; throws unless lo ≤ hi (NaN rejected). */
export function interval(lo: number, hi: number = lo): Interval {
  if (!(lo <= hi)) throw new RangeError(`interval: expected lo ≤ hi, received lo=${lo}, hi=${hi}`);
  return { lo, hi };
}

/** The degenerate interval [x, x]. */
export function point(x: number): Interval {
  return interval(x, x);
}

export function width(a: Interval): number {
  return subUp(a.hi, a.lo);
}

export function contains(a: Interval, x: number): boolean {
  return a.lo <= x && x <= a.hi;
}

/** The intersection; throws if empty (two sound enclosures of the same value can never be disjoint). */
export function intersect(a: Interval, b: Interval): Interval {
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  if (!(lo <= hi)) throw new RangeError(`intersect: disjoint intervals [${a.lo}, ${a.hi}] and [${b.lo}, ${b.hi}]`);
  return { lo, hi };
}

/** The convex hull. */
export function hull(a: Interval, b: Interval): Interval {
  return { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
}

export function add(a: Interval, b: Interval): Interval {
  return { lo: addDown(a.lo, b.lo), hi: addUp(a.hi, b.hi) };
}

export function sub(a: Interval, b: Interval): Interval {
  return { lo: subDown(a.lo, b.hi), hi: subUp(a.hi, b.lo) };
}

export function neg(a: Interval): Interval {
  return { lo: -a.hi, hi: -a.lo };
}

/** c·a for a float c. */
export function scale(a: Interval, c: number): Interval {
  if (c >= 0) return { lo: mulDown(c, a.lo), hi: mulUp(c, a.hi) };
  return { lo: mulDown(c, a.hi), hi: mulUp(c, a.lo) };
}

/** a·b: the hull of the four endpoint products. */
export function mul(a: Interval, b: Interval): Interval {
  return {
    lo: Math.min(mulDown(a.lo, b.lo), mulDown(a.lo, b.hi), mulDown(a.hi, b.lo), mulDown(a.hi, b.hi)),
    hi: Math.max(mulUp(a.lo, b.lo), mulUp(a.lo, b.hi), mulUp(a.hi, b.lo), mulUp(a.hi, b.hi)),
  };
}

/** x^k rounded up for x ≥ 0 (repeated upward products of nonnegative numbers only grow). */
function powUpNonneg(x: number, k: number): number {
  let r = 1;
  for (let i = 0; i < k; i++) r = mulUp(r, x);
  return r;
}

function powDownNonneg(x: number, k: number): number {
  let r = 1;
  for (let i = 0; i < k; i++) r = mulDown(r, x);
  return r;
}

/**
 * a^k for an integer k ≥ 0. Odd k is increasing; even k is decreasing then increasing, so its minimum is 0 when
 * 0 ∈ a (exactly: the dependency between the factors is respected, unlike mul(a, a)).
 */
export function powInt(a: Interval, k: number): Interval {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`powInt: k must be an integer ≥ 0, received ${k}`);
  if (k === 0) return { lo: 1, hi: 1 };
  if (k % 2 === 1) {
    const lo = a.lo >= 0 ? powDownNonneg(a.lo, k) : -powUpNonneg(-a.lo, k);
    const hi = a.hi >= 0 ? powUpNonneg(a.hi, k) : -powDownNonneg(-a.hi, k);
    return { lo, hi };
  }
  if (a.lo >= 0) return { lo: powDownNonneg(a.lo, k), hi: powUpNonneg(a.hi, k) };
  if (a.hi <= 0) return { lo: powDownNonneg(-a.hi, k), hi: powUpNonneg(-a.lo, k) };
  return { lo: 0, hi: powUpNonneg(Math.max(-a.lo, a.hi), k) };
}

export function sqr(a: Interval): Interval {
  return powInt(a, 2);
}

/**
 * 1/a: decreasing on each side of 0, so [1/hi, 1/lo] rounded outward when a excludes 0; (−∞, ∞) when a holds or
 * touches 0 (1/x is unbounded there).
 */
export function recip(a: Interval): Interval {
  if (a.lo > 0 || a.hi < 0) return { lo: divDown(1, a.hi), hi: divUp(1, a.lo) };
  return { lo: -Infinity, hi: Infinity };
}

/** |a|. */
export function abs(a: Interval): Interval {
  if (a.lo >= 0) return a;
  if (a.hi <= 0) return neg(a);
  return { lo: 0, hi: Math.max(-a.lo, a.hi) };
}

/** max(a, 0). */
export function relu(a: Interval): Interval {
  return { lo: Math.max(a.lo, 0), hi: Math.max(a.hi, 0) };
}

/** x for x ≥ 0, αx below, with 0 ≤ α ≤ 1 (increasing). */
export function leakyRelu(a: Interval, alpha: number): Interval {
  return { lo: a.lo >= 0 ? a.lo : mulDown(alpha, a.lo), hi: a.hi >= 0 ? a.hi : mulUp(alpha, a.hi) };
}

/** min(max(a, lo), hi) (increasing, exact). */
export function clamp(a: Interval, lo: number, hi: number): Interval {
  return { lo: Math.min(Math.max(a.lo, lo), hi), hi: Math.min(Math.max(a.hi, lo), hi) };
}

/** An enclosure of f(x) from an approximate value within 1 ulp, clipped to [min, max]. */
function widened(y: number, min: number, max: number): Interval {
  return { lo: Math.max(min, ulpsDown(y, TRANSCENDENTAL_ULPS)), hi: Math.min(max, ulpsUp(y, TRANSCENDENTAL_ULPS)) };
}

/** e^a (increasing). */
export function exp(a: Interval): Interval {
  return { lo: widened(Math.exp(a.lo), 0, Infinity).lo, hi: widened(Math.exp(a.hi), 0, Infinity).hi };
}

/** tanh a (increasing, within [−1, 1]). */
export function tanh(a: Interval): Interval {
  return { lo: widened(Math.tanh(a.lo), -1, 1).lo, hi: widened(Math.tanh(a.hi), -1, 1).hi };
}

/** Above this magnitude the argument reduction of sin/cos is not worth trusting for extrema: return [−1, 1]. */
const TRIG_MAX_ARG = 2 ** 40;
/** Relative slack on x/(π/2), covering the error of the float π/2 (≤ 2⁻⁵³ relative) and of the division. */
const QUARTER_SLACK = 2 ** -48;

/**
 * Whether some x = n·π/2 with n ≡ r (mod 4) may lie in [lo, hi]. Conservative: the quarter-turn coordinates are
 * widened so that a `true` is never missed (a spurious `true` only loosens the bound to ±1).
 */
function mayContainQuarter(lo: number, hi: number, r: number): boolean {
  const qlo = lo / (Math.PI / 2);
  const qhi = hi / (Math.PI / 2);
  const a = qlo - Math.abs(qlo) * QUARTER_SLACK - 1e-300;
  const b = qhi + Math.abs(qhi) * QUARTER_SLACK + 1e-300;
  // smallest n ≥ a with n ≡ r (mod 4)
  const n0 = Math.ceil(a);
  const shift = (((r - n0) % 4) + 4) % 4;
  return n0 + shift <= b;
}

function trig(a: Interval, fn: (x: number) => number, maxR: number, minR: number): Interval {
  if (!Number.isFinite(a.lo) || !Number.isFinite(a.hi) || Math.max(-a.lo, a.hi) > TRIG_MAX_ARG || subUp(a.hi, a.lo) >= 2 * Math.PI) {
    return { lo: -1, hi: 1 };
  }
  const l = widened(fn(a.lo), -1, 1);
  const h = widened(fn(a.hi), -1, 1);
  return {
    lo: mayContainQuarter(a.lo, a.hi, minR) ? -1 : Math.min(l.lo, h.lo),
    hi: mayContainQuarter(a.lo, a.hi, maxR) ? 1 : Math.max(l.hi, h.hi),
  };
}

/** sin: maxima at π/2 + 2kπ (quarter 1), minima at 3π/2 + 2kπ (quarter 3). */
export function sin(a: Interval): Interval {
  return trig(a, Math.sin, 1, 3);
}

/** cos: maxima at 2kπ (quarter 0), minima at π + 2kπ (quarter 2). */
export function cos(a: Interval): Interval {
  return trig(a, Math.cos, 0, 2);
}
