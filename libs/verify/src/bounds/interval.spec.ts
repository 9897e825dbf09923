// Soundness of the interval operations by fast-check: for random intervals and points inside them, the float image
// of the point lies in the image of the interval; plus exact cases where the enclosure must be tight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Interval } from './interval';
import * as I from './interval';
import { nextUp } from './rounding';

const PARAMS = { seed: 6002, numRuns: 1500 };

/**
 * Reals in [min, max]: uniform by value 3 times in 4 (fc.double alone is uniform over bit patterns, so mostly tiny
 * numbers), and fc.double's edge cases (0, −0, subnormals, the bounds) otherwise.
 */
function real(min: number, max: number) {
  const uniform = fc.integer({ min: 0, max: 2 ** 30 }).map((k) => Math.min(max, min + ((max - min) * k) / 2 ** 30));
  return fc.oneof({ arbitrary: uniform, weight: 3 }, { arbitrary: fc.double({ min, max, noNaN: true }), weight: 1 });
}

/** An interval in [−m, m] and a point inside it (the point is an endpoint 1 time in 4). */
function intervalWithPoint(m: number) {
  return fc
    .tuple(fc.oneof(real(-m, m), real(-3, 3)), fc.oneof(real(-m, m), real(-3, 3)), real(0, 1), fc.integer({ min: 0, max: 3 }))
    .map(([a, b, t, e]) => {
      const lo = Math.min(a, b);
      const hi = Math.max(a, b);
      const x = e === 0 ? lo : e === 1 ? hi : Math.min(hi, Math.max(lo, lo + t * (hi - lo)));
      return { iv: { lo, hi } as Interval, x };
    });
}

function inside(iv: Interval, y: number, what: string): void {
  assert.ok(iv.lo <= y && y <= iv.hi, `${what}: ${y} not in [${iv.lo}, ${iv.hi}]`);
}

const UNARY: [string, (a: Interval) => Interval, (x: number) => number, number][] = [
  ['neg', I.neg, (x) => -x, 1e300],
  ['abs', I.abs, Math.abs, 1e300],
  ['relu', I.relu, (x) => Math.max(x, 0), 1e300],
  ['leakyRelu(0.1)', (a) => I.leakyRelu(a, 0.1), (x) => (x >= 0 ? x : 0.1 * x), 1e300],
  ['clamp(-0.5, 2)', (a) => I.clamp(a, -0.5, 2), (x) => Math.min(Math.max(x, -0.5), 2), 1e300],
  ['sqr', I.sqr, (x) => x * x, 1e100],
  ['pow 3', (a) => I.powInt(a, 3), (x) => x * x * x, 1e60],
  ['pow 4', (a) => I.powInt(a, 4), (x) => x * x * x * x, 1e60],
  ['pow 5', (a) => I.powInt(a, 5), (x) => x ** 5, 1e40],
  ['tanh', I.tanh, Math.tanh, 30],
  ['exp', I.exp, Math.exp, 700],
  ['sin', I.sin, Math.sin, 20],
  ['cos', I.cos, Math.cos, 20],
  ['scale(-3.7)', (a) => I.scale(a, -3.7), (x) => -3.7 * x, 1e300],
];

for (const [name, f, fx, m] of UNARY) {
  test(`${name}: f(x) ∈ f([lo, hi]) for x in [lo, hi]`, () => {
    fc.assert(
      fc.property(intervalWithPoint(m), ({ iv, x }) => inside(f(iv), fx(x), `${name}([${iv.lo}, ${iv.hi}]) at ${x}`)),
      PARAMS,
    );
  });
}

const BINARY: [string, (a: Interval, b: Interval) => Interval, (x: number, y: number) => number][] = [
  ['add', I.add, (x, y) => x + y],
  ['sub', I.sub, (x, y) => x - y],
  ['mul', I.mul, (x, y) => x * y],
];

for (const [name, f, fx] of BINARY) {
  test(`${name}: x ∘ y ∈ [a] ∘ [b] for x ∈ a, y ∈ b`, () => {
    fc.assert(
      fc.property(intervalWithPoint(1e150), intervalWithPoint(1e150), (a, b) => inside(f(a.iv, b.iv), fx(a.x, b.x), name)),
      PARAMS,
    );
  });
}

test('sin/cos: dense samples of a random interval stay inside (extrema found inside the interval)', () => {
  fc.assert(
    fc.property(real(-10, 10), real(0, 7), (lo, w) => {
      const iv = { lo, hi: lo + w };
      const s = I.sin(iv);
      const c = I.cos(iv);
      for (let k = 0; k <= 200; k++) {
        const x = lo + (w * k) / 200;
        inside(s, Math.sin(x), `sin([${lo}, ${lo + w}]) at ${x}`);
        inside(c, Math.cos(x), `cos([${lo}, ${lo + w}]) at ${x}`);
      }
    }),
    { seed: 6003, numRuns: 300 },
  );
});

test('exact cases: extrema of sin/cos, even powers across 0, exact sums', () => {
  assert.equal(I.sin({ lo: 0, hi: 2 }).hi, 1, 'π/2 ∈ [0, 2]');
  assert.ok(I.sin({ lo: 0, hi: 1.5 }).hi < 1, 'π/2 ∉ [0, 1.5]: the bound stays below 1');
  assert.equal(I.cos({ lo: -0.1, hi: 0.1 }).hi, 1);
  assert.equal(I.cos({ lo: 3, hi: 3.3 }).lo, -1, 'π ∈ [3, 3.3]');
  assert.equal(I.sin({ lo: 4.5, hi: 5 }).lo, -1, '3π/2 ∈ [4.5, 5]');
  assert.deepEqual(I.powInt({ lo: -2, hi: 3 }, 2), { lo: 0, hi: 9 }, 'x² on [−2, 3] is [0, 9], not mul\'s [−6, 9]');
  assert.deepEqual(I.powInt({ lo: -2, hi: 3 }, 3), { lo: -8, hi: 27 });
  assert.deepEqual(I.add({ lo: -1, hi: 2 }, { lo: 0.5, hi: 0.25 + 0.5 }), { lo: -0.5, hi: 2.75 }, 'exact sums are not widened');
  assert.deepEqual(I.mul({ lo: -1, hi: 2 }, { lo: -3, hi: 4 }), { lo: -6, hi: 8 });
});

/** How far a transcendental enclosure of a point may reach: TRANSCENDENTAL_ULPS ulps each side. */
const POINT_WIDTH_ULPS = 2 * I.TRANSCENDENTAL_ULPS;

test('point enclosures of tanh/exp/sin/cos are a few ulps wide', () => {
  for (const x of [-3, -0.7, 0.3, 1, 2.5]) {
    for (const f of [I.tanh, I.exp, I.sin, I.cos]) {
      const r = f({ lo: x, hi: x });
      let y = r.lo;
      let steps = 0;
      while (y < r.hi) {
        y = nextUp(y);
        steps++;
      }
      assert.ok(steps <= POINT_WIDTH_ULPS, `${f.name}(${x}): ${steps} ulps wide`);
    }
  }
});

test('interval rejects lo > hi and NaN', () => {
  assert.throws(() => I.interval(2, 1), /interval: expected lo ≤ hi, received lo=2, hi=1/);
  assert.throws(() => I.interval(NaN, 1), /lo=NaN/);
});
