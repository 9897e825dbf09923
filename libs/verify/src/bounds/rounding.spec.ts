// Directed rounding checked against exact rational arithmetic: every float is an integer multiple of 2^-1074, so
// x·2^1074 is an exact BigInt and sums and products of floats can be compared exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addDown, addUp, divDown, divUp, mulDown, mulUp, nextDown, nextUp } from './rounding';

const SHIFT = 1074n;
/** x·2^1074 exactly. */
function scaled(x: number): bigint {
  let m = x;
  let e = 0n;
  while (!Number.isInteger(m)) {
    m *= 2; // exact: doubling a finite float with a fractional part never overflows
    e++;
  }
  return BigInt(m) << (SHIFT - e);
}

/** Bit-uniform doubles (all magnitudes, subnormals included) mixed with ordinary numbers of moderate size. */
const ordinary = fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map((k) => k / 977);
const finiteDouble = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e200, max: 1e200 }), ordinary);
const PARAMS = { seed: 6001, numRuns: 2000 };

test('nextUp / nextDown step to the adjacent float', () => {
  assert.equal(nextUp(1), 1 + 2 ** -52);
  assert.equal(nextDown(1), 1 - 2 ** -53);
  assert.equal(nextUp(0), Number.MIN_VALUE);
  assert.equal(nextDown(0), -Number.MIN_VALUE);
  assert.equal(nextUp(-Number.MIN_VALUE), 0);
  assert.equal(nextUp(Number.MAX_VALUE), Infinity);
  assert.equal(nextUp(-Infinity), -Number.MAX_VALUE);
  assert.equal(nextUp(Infinity), Infinity);
  const lowWordFull = 1 + (2 ** 32 - 1) * 2 ** -52; // carry from the low 32-bit word into the high one
  assert.equal(nextUp(lowWordFull), 1 + 2 ** 32 * 2 ** -52);
  assert.equal(nextDown(1 + 2 ** 32 * 2 ** -52), lowWordFull);
  assert.ok(Number.isNaN(nextUp(NaN)));
});

test('addDown ≤ a + b ≤ addUp exactly, and they are equal or adjacent floats', () => {
  fc.assert(
    fc.property(finiteDouble, finiteDouble, (a, b) => {
      const exact = scaled(a) + scaled(b);
      const lo = addDown(a, b);
      const hi = addUp(a, b);
      assert.ok(scaled(lo) <= exact && exact <= scaled(hi), `${a} + ${b}: [${lo}, ${hi}]`);
      assert.ok(hi === lo || hi === nextUp(lo));
      if (scaled(a + b) === exact) assert.ok(lo === hi, 'an exact sum is not widened');
    }),
    PARAMS,
  );
});

test('mulDown ≤ a·b ≤ mulUp exactly (products compared at scale 2^2148)', () => {
  const moderate = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e150, max: 1e150 }), ordinary);
  fc.assert(
    fc.property(moderate, moderate, (a, b) => {
      const exact = scaled(a) * scaled(b);
      const lo = mulDown(a, b);
      const hi = mulUp(a, b);
      assert.ok(scaled(lo) << SHIFT <= exact && exact <= scaled(hi) << SHIFT, `${a} · ${b}: [${lo}, ${hi}]`);
      assert.ok(hi === lo || hi === nextUp(lo) || Math.abs(a * b) < 1e-290, 'within one ulp outside the underflow range');
    }),
    PARAMS,
  );
});

test('divDown ≤ a/b ≤ divUp exactly (checked as products with b)', () => {
  const nonzero = fc.double({ noNaN: true, noDefaultInfinity: true, min: 1e-100, max: 1e100 });
  fc.assert(
    fc.property(finiteDouble.filter((a) => Math.abs(a) < 1e100), nonzero, fc.boolean(), (a, b0, negB) => {
      const b = negB ? -b0 : b0;
      const lo = divDown(a, b);
      const hi = divUp(a, b);
      // lo ≤ a/b ≤ hi  ⇔  lo·|b| ≤ a·sign(b) ≤ hi·|b|
      const A = scaled(a) * (b > 0 ? 1n : -1n) << SHIFT;
      const B = scaled(Math.abs(b));
      assert.ok(scaled(lo) * B <= A && A <= scaled(hi) * B, `${a} / ${b}: [${lo}, ${hi}]`);
    }),
    PARAMS,
  );
  assert.equal(divUp(1, 4), 0.25, 'an exact quotient is not widened');
});
