// The reciprocal node 1/y (and a/b = a·(1/b)): outward-rounded intervals against hand computations, the CROWN
// relaxation of 1/y on [l, u] ⊂ (0, ∞) (chord above, tangent below, as convex functions get), and soundness on
// random expressions with a division: every sampled value inside the interval and the linear bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '@bilevel/linalg';
import { evaluate } from './evaluate';
import { Graph } from './expr-graph';
import type { GraphNode } from './expr-graph';
import * as I from './interval';
import { intervalBounds, nodeInterval } from './interval-bounds';
import { linearBounds } from './linear-bounds';
import { relaxUnary } from './relaxation';
import { addDown, addUp, mulDown, mulUp } from './rounding';

/** Outward rounding widens an exact bound by a few ulps at most. */
const ULP_SLACK = 1e-15;
/** The proved intercept of a tangent line: f''(y)·h²/2 with f'' ≤ 2 and h = 1/8 of [1, 2] bounds the loss. */
const TANGENT_SLACK = 2 * (1 / 8) ** 2 / 2;
const NO_BOX = { lo: new Float64Array(0), hi: new Float64Array(0) };
const RECIP: GraphNode = { op: 'recip', a: 0 };

test('interval reciprocal: [2, 4] → [1/4, 1/2], [−4, −2] → [−1/2, −1/4], [1, 3] encloses 1/3 outward; 0 inside → (−∞, ∞)', () => {
  // exact: 1/4 and 1/2 are floats, so the enclosure is the exact interval
  assert.deepEqual(I.recip({ lo: 2, hi: 4 }), { lo: 0.25, hi: 0.5 });
  assert.deepEqual(I.recip({ lo: -4, hi: -2 }), { lo: -0.5, hi: -0.25 });
  // 1/3 is not a float: the lower end lies below the real 1/3 (the float nearest from below), the upper is 1
  const r = I.recip({ lo: 1, hi: 3 });
  assert.equal(r.hi, 1);
  assert.ok(r.lo < 1 / 3 && r.lo > 1 / 3 - ULP_SLACK, `lower end ${r.lo}`);
  for (const a of [{ lo: -1, hi: 1 }, { lo: 0, hi: 2 }, { lo: -2, hi: 0 }]) {
    assert.deepEqual(I.recip(a), { lo: -Infinity, hi: Infinity }, `[${a.lo}, ${a.hi}] holds or touches 0`);
  }
});

test('interval reciprocal is sound: 1/x of every point of a zero-free interval lies in the image', () => {
  const real = (min: number, max: number) => fc.integer({ min: 0, max: 2 ** 30 }).map((k) => min + ((max - min) * k) / 2 ** 30);
  fc.assert(
    fc.property(real(1e-3, 50), real(0, 50), real(0, 1), fc.boolean(), (lo, w, t, negative) => {
      const a = negative ? { lo: -(lo + w), hi: -lo } : { lo, hi: lo + w };
      const x = a.lo + t * (a.hi - a.lo);
      const img = I.recip(a);
      // 1/x in float is within half an ulp of the real 1/x; the image must hold the real value: check the float
      // one against the image widened by nothing (the image is outward-rounded from the ends, and 1/x is monotone)
      assert.ok(img.lo <= 1 / x && 1 / x <= img.hi, `1/${x} = ${1 / x} outside [${img.lo}, ${img.hi}]`);
    }),
    { seed: 2301, numRuns: 2000 },
  );
});

test('relaxation of 1/y on [1, 2]: chord above (slope −1/2, intercept 3/2), tangent at the midpoint below', () => {
  // 1/y is convex on (0, ∞): the chord through (1, 1) and (2, 1/2) is the tightest upper line; the lowest-area
  // lower line among the candidates is the tangent at 3/2: slope −1/(3/2)² = −4/9, intercept 2/(3/2) = 4/3, whose
  // proved intercept lies below 4/3 by the 8-piece mean-value enclosure of 1/y + (4/9)y (≈ f''·h²/2, h = 1/8).
  const arg = { lo: 1, hi: 2 };
  const r = relaxUnary(RECIP, arg, nodeInterval(RECIP, [arg], NO_BOX))!;
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;
  assert.ok(near(r.upperSlope, -0.5) && near(r.upperIntercept, 1.5) && r.upperIntercept >= 1.5 - ULP_SLACK, `upper ${r.upperSlope}, ${r.upperIntercept}`);
  assert.ok(near(r.lowerSlope, -4 / 9) && r.lowerIntercept <= 4 / 3 && r.lowerIntercept > 4 / 3 - TANGENT_SLACK, `lower ${r.lowerSlope}, ${r.lowerIntercept}`);
});

test('relaxation of 1/y encloses it at 101 points of random zero-free intervals (both signs)', () => {
  const real = (min: number, max: number) => fc.integer({ min: 0, max: 2 ** 30 }).map((k) => min + ((max - min) * k) / 2 ** 30);
  fc.assert(
    fc.property(real(0.05, 5), real(0, 10), fc.boolean(), (lo, w, negative) => {
      const arg = negative ? { lo: -(lo + w), hi: -lo } : { lo, hi: lo + w };
      const r = relaxUnary(RECIP, arg, nodeInterval(RECIP, [arg], NO_BOX))!;
      assert.ok(Number.isFinite(r.lowerIntercept) && Number.isFinite(r.upperIntercept), 'finite lines on a zero-free interval');
      for (let k = 0; k <= 100; k++) {
        const x = Math.min(arg.hi, arg.lo + ((arg.hi - arg.lo) * k) / 100);
        const fx = I.recip({ lo: x, hi: x });
        assert.ok(addDown(mulDown(r.lowerSlope, x), r.lowerIntercept) <= fx.hi, `lower line above 1/y at ${x} on [${arg.lo}, ${arg.hi}]`);
        assert.ok(addUp(mulUp(r.upperSlope, x), r.upperIntercept) >= fx.lo, `upper line below 1/y at ${x} on [${arg.lo}, ${arg.hi}]`);
      }
    }),
    { seed: 2302, numRuns: 600 },
  );
});

test('Graph.div: (x₁ + 1)/(x₂² + 1) on [−1, 2] × [−1, 1] — interval [0, 3] by hand, every sample inside both bounds', () => {
  // Arrange: numerator ∈ [0, 3], denominator ∈ [1, 2], so interval propagation gives [0/2, 3/1] = [0, 3]
  const g = new Graph(2);
  const [x1, x2] = g.inputs();
  const f = g.div(g.affine([x1], [1], 1), g.affine([g.sqr(x2)], [1], 1));
  const box = { lo: Float64Array.of(-1, -1), hi: Float64Array.of(2, 1) };
  // Act
  const ibp = intervalBounds(g, box)[f];
  const lin = linearBounds(g, box, { nodes: [f] }).outputs[0].bound;
  // Assert
  assert.ok(ibp.lo <= 0 && ibp.lo > -ULP_SLACK && ibp.hi >= 3 && ibp.hi < 3 + 4 * ULP_SLACK, `interval [${ibp.lo}, ${ibp.hi}]`);
  const rng = Rng.fromSeed(2303);
  const pt = new Float64Array(2);
  for (let k = 0; k < 2000; k++) {
    pt[0] = -1 + 3 * rng.float();
    pt[1] = -1 + 2 * rng.float();
    const v = evaluate(g, pt)[f];
    const exact = (pt[0] + 1) / (pt[1] * pt[1] + 1);
    assert.ok(Math.abs(v - exact) <= 4e-16 * Math.abs(exact), `a·(1/b) = ${v} vs a/b = ${exact}`); // two roundings
    assert.ok(ibp.lo <= v && v <= ibp.hi && lin.lo <= v && v <= lin.hi, `f(${pt[0]}, ${pt[1]}) = ${v} outside a bound`);
  }
});

test('a division by an interval that holds 0 gives an unbounded but sound result, and Graph.recip checks its argument', () => {
  const g = new Graph(1);
  const [x] = g.inputs();
  const f = g.recip(x);
  const b = intervalBounds(g, { lo: Float64Array.of(-1), hi: Float64Array.of(1) })[f];
  assert.deepEqual(b, { lo: -Infinity, hi: Infinity });
  assert.throws(() => g.recip(99), /Graph\.recip: a must be a node id in \[0, 2\), received 99/);
});

test('random expressions with a division by a positive node: sampled values inside interval and CROWN bounds', () => {
  const rng = Rng.fromSeed(2304);
  for (let trial = 0; trial < 40; trial++) {
    const g = new Graph(3);
    const [x1, x2, x3] = g.inputs();
    const c = [rng.float() * 4 - 2, rng.float() * 4 - 2, rng.float() * 4 - 2];
    const num = g.affine([g.tanh(x1), g.mul(x2, x3), g.sin(x1)], c, rng.float() - 0.5);
    const den = g.affine([g.sqr(x2), g.exp(x3)], [rng.float() + 0.1, rng.float() + 0.1], 0.2);
    const f = g.affine([g.div(num, den), x1], [1, rng.float() - 0.5], 0);
    const lo = Float64Array.from({ length: 3 }, () => rng.float() * 2 - 1.5);
    const box = { lo, hi: lo.map((l) => l + rng.float() * 1.5 + 0.01) };
    const ibp = intervalBounds(g, box)[f];
    const lin = linearBounds(g, box, { nodes: [f] }).outputs[0].bound;
    const pt = new Float64Array(3);
    for (let k = 0; k < 300; k++) {
      for (let i = 0; i < 3; i++) pt[i] = box.lo[i] + (box.hi[i] - box.lo[i]) * rng.float();
      const v = evaluate(g, pt)[f];
      assert.ok(ibp.lo <= v && v <= ibp.hi, `trial ${trial}: ${v} outside interval [${ibp.lo}, ${ibp.hi}]`);
      assert.ok(lin.lo <= v && v <= lin.hi, `trial ${trial}: ${v} outside CROWN [${lin.lo}, ${lin.hi}]`);
    }
  }
});
