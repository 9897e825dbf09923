/**
 * Directed rounding for float64 without access to the FPU rounding mode.
 *
 * JavaScript computes every `+ − × ÷` in round-to-nearest, so the exact result `t` of an operation lies within half
 * an ulp of the computed `r`. For a sum, TwoSum (Knuth, TAOCP vol. 2, 4.2.2) gives the rounding error `e = t − r`
 * exactly; for a product, Dekker's TwoProduct (Numer. Math. 1971) does when no overflow or underflow occurs. The sign
 * of `e` then says whether `r` is already the rounded-down (or up) value or one step away: `[r⁻, r⁺]` is always a
 * valid enclosure, so when the error cannot be computed (division, near the overflow and underflow limits) the
 * result is widened by one ulp on each side. The ulp steps use a Float64Array/Uint32Array view of the bits.
 *
 * Example: `addUp(0.1, 0.2)` is the smallest float ≥ 0.1 + 0.2 (the real sum of the two floats).
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
f64[0] = 1; // 0x3ff00000_00000000: find which 32-bit word holds the sign and exponent
const HI = u32[1] === 0x3ff00000 ? 1 : 0;
const LO = 1 - HI;

/**
 * The smallest float strictly greater than `x` (`+∞` stays, NaN stays NaN). Floats of one sign are ordered like
 * their bit patterns, so the step is ±1 on the 64-bit pattern (done on two 32-bit words: faster than BigInt).
 */
export function nextUp(x: number): number {
  if (x !== x || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  if (x > 0) {
    if (u32[LO] === 0xffffffff) {
      u32[LO] = 0;
      u32[HI] += 1;
    } else u32[LO] += 1;
  } else if (u32[LO] === 0) {
    u32[LO] = 0xffffffff;
    u32[HI] -= 1;
  } else u32[LO] -= 1;
  return f64[0] === 0 ? 0 : f64[0]; // −MIN_VALUE steps up to +0, not −0
}

/** The largest float strictly smaller than `x` (`−∞` stays, NaN stays NaN). */
export function nextDown(x: number): number {
  return -nextUp(-x);
}

/** Moves `x` up by `n` ulps. */
export function ulpsUp(x: number, n: number): number {
  for (let i = 0; i < n; i++) x = nextUp(x);
  return x;
}

/** Moves `x` down by `n` ulps. */
export function ulpsDown(x: number, n: number): number {
  for (let i = 0; i < n; i++) x = nextDown(x);
  return x;
}

/** TwoSum error e = (a + b) − fl(a + b), exact for finite a, b when the sum does not overflow. */
function sumError(a: number, b: number, s: number): number {
  const bb = s - a;
  return a - (s - bb) + (b - bb);
}

/** The smallest float ≥ a + b (exact sum of the floats). */
export function addUp(a: number, b: number): number {
  const s = a + b;
  if (!Number.isFinite(s)) return s === -Infinity && Number.isFinite(a) && Number.isFinite(b) ? -Number.MAX_VALUE : s;
  return sumError(a, b, s) > 0 ? nextUp(s) : s;
}

/** The largest float ≤ a + b. */
export function addDown(a: number, b: number): number {
  const s = a + b;
  if (!Number.isFinite(s)) return s === Infinity && Number.isFinite(a) && Number.isFinite(b) ? Number.MAX_VALUE : s;
  return sumError(a, b, s) < 0 ? nextDown(s) : s;
}

/** The smallest float ≥ a − b. */
export function subUp(a: number, b: number): number {
  return addUp(a, -b);
}

/** The largest float ≤ a − b. */
export function subDown(a: number, b: number): number {
  return addDown(a, -b);
}

const SPLITTER = 134217729; // 2^27 + 1, Veltkamp's splitting constant
const SPLIT_SAFE = 2 ** 995; // |x| below this: x·SPLITTER cannot overflow
const PRODUCT_NORMAL = 2 ** -969; // |a·b| above this: the error term a·b − fl(a·b) is representable

/**
 * Error of the product, e = a·b − fl(a·b), or NaN when Dekker's algorithm cannot guarantee it (operands too large,
 * product too small).
 */
function productError(a: number, b: number, p: number): number {
  if (!(Math.abs(a) < SPLIT_SAFE && Math.abs(b) < SPLIT_SAFE && Math.abs(p) > PRODUCT_NORMAL)) return NaN;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return al * bl - (p - ah * bh - al * bh - ah * bl);
}

/**
 * The smallest float ≥ a·b. A zero factor gives exactly 0 even against an infinite one (the convention of interval
 * arithmetic: the bounds stand for finite reals).
 */
export function mulUp(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  const p = a * b;
  if (!Number.isFinite(p)) return p === -Infinity && Number.isFinite(a) && Number.isFinite(b) ? -Number.MAX_VALUE : p;
  const e = productError(a, b, p);
  if (e !== e) return nextUp(p);
  return e > 0 ? nextUp(p) : p;
}

/** The largest float ≤ a·b (0 when a factor is 0). */
export function mulDown(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  const p = a * b;
  if (!Number.isFinite(p)) return p === Infinity && Number.isFinite(a) && Number.isFinite(b) ? Number.MAX_VALUE : p;
  const e = productError(a, b, p);
  if (e !== e) return nextDown(p);
  return e < 0 ? nextDown(p) : p;
}

/** A float ≥ a / b (one ulp above the rounded quotient unless it is exact in an obvious way). */
export function divUp(a: number, b: number): number {
  if (a === 0) return 0;
  const q = a / b;
  if (!Number.isFinite(q)) return q === -Infinity && Number.isFinite(a) ? -Number.MAX_VALUE : q;
  return q * b === a && Math.abs(q) > PRODUCT_NORMAL && Math.abs(q) < 2 ** 1000 && productError(q, b, a) === 0 ? q : nextUp(q);
}

/** A float ≤ a / b. */
export function divDown(a: number, b: number): number {
  if (a === 0) return 0;
  const q = a / b;
  if (!Number.isFinite(q)) return q === Infinity && Number.isFinite(a) ? Number.MAX_VALUE : q;
  return q * b === a && Math.abs(q) > PRODUCT_NORMAL && Math.abs(q) < 2 ** 1000 && productError(q, b, a) === 0 ? q : nextDown(q);
}
