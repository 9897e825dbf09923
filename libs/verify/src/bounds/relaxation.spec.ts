// Linear relaxations: the lines enclose f on the whole interval (checked at dense points with the point enclosure,
// a rigorous comparison), ReLU gets CROWN's triangle with the adaptive lower slope, and tangent/chord lines are tight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { GraphNode } from './expr-graph';
import type { Interval } from './interval';
import { nodeInterval } from './interval-bounds';
import { relaxUnary } from './relaxation';
import { addDown, addUp, mulDown, mulUp } from './rounding';

const NODES: GraphNode[] = [
  { op: 'relu', a: 0 },
  { op: 'leakyRelu', a: 0, alpha: 0.2 },
  { op: 'abs', a: 0 },
  { op: 'clamp', a: 0, lo: -0.5, hi: 1 },
  { op: 'tanh', a: 0 },
  { op: 'exp', a: 0 },
  { op: 'sin', a: 0 },
  { op: 'cos', a: 0 },
  { op: 'pow', a: 0, k: 2 },
  { op: 'pow', a: 0, k: 3 },
  { op: 'pow', a: 0, k: 4 },
];
const NO_BOX = { lo: new Float64Array(0), hi: new Float64Array(0) };

function image(node: GraphNode, arg: Interval): Interval {
  return nodeInterval(node, [arg], NO_BOX);
}

const real = (min: number, max: number) => fc.integer({ min: 0, max: 2 ** 30 }).map((k) => min + ((max - min) * k) / 2 ** 30);

test('every relaxation encloses f: aL·x + bL ≤ f(x) ≤ aU·x + bU at 101 points of random intervals', () => {
  fc.assert(
    fc.property(fc.constantFrom(...NODES), real(-4, 4), real(0, 6), (node, lo, w) => {
      const arg = { lo, hi: lo + w };
      const r = relaxUnary(node, arg, image(node, arg))!;
      for (let k = 0; k <= 100; k++) {
        const x = Math.min(arg.hi, lo + (w * k) / 100);
        const fx = image(node, { lo: x, hi: x }); // sound enclosure of f(x)
        // a violation is proven when the line's smallest possible value exceeds f's largest (or vice versa)
        assert.ok(addDown(mulDown(r.lowerSlope, x), r.lowerIntercept) <= fx.hi, `${node.op} on [${arg.lo}, ${arg.hi}]: lower line above f at ${x}`);
        assert.ok(addUp(mulUp(r.upperSlope, x), r.upperIntercept) >= fx.lo, `${node.op} on [${arg.lo}, ${arg.hi}]: upper line below f at ${x}`);
      }
    }),
    { seed: 6020, numRuns: 800 },
  );
});

/** Intercepts may sit a few ulps outside the exact real ones (outward rounding of the gap enclosures). */
const INTERCEPT_TOL = 1e-12;

test('ReLU: triangle relaxation with the adaptive lower slope (CROWN)', () => {
  const relu: GraphNode = { op: 'relu', a: 0 };
  const r = relaxUnary(relu, { lo: -2, hi: 4 }, { lo: 0, hi: 4 })!;
  // upper chord through (−2, 0) and (4, 4): slope 2/3, intercept 4/3; lower slope 1 since u > −l
  assert.ok(Math.abs(r.upperSlope - 2 / 3) < INTERCEPT_TOL && Math.abs(r.upperIntercept - 4 / 3) < INTERCEPT_TOL && r.upperIntercept >= 4 / 3);
  assert.deepEqual([r.lowerSlope, r.lowerIntercept], [1, 0]);
  const s = relaxUnary(relu, { lo: -4, hi: 2 }, { lo: 0, hi: 2 })!;
  assert.deepEqual([s.lowerSlope, s.lowerIntercept], [0, 0], 'lower slope 0 when u < −l');
  const stable = relaxUnary(relu, { lo: 1, hi: 3 }, { lo: 1, hi: 3 })!;
  assert.deepEqual([stable.lowerSlope, stable.lowerIntercept, stable.upperSlope, stable.upperIntercept], [1, 0, 1, 0], 'exact when active');
});

test('convex x² on [−1, 2]: upper chord x + 2, lower tangent at the midpoint x − 1/4', () => {
  const r = relaxUnary({ op: 'pow', a: 0, k: 2 }, { lo: -1, hi: 2 }, { lo: 0, hi: 4 })!;
  assert.ok(Math.abs(r.upperSlope - 1) < INTERCEPT_TOL && r.upperIntercept >= 2 && r.upperIntercept - 2 < INTERCEPT_TOL, JSON.stringify(r));
  assert.ok(Math.abs(r.lowerSlope - 1) < INTERCEPT_TOL && r.lowerIntercept <= -0.25 && -0.25 - r.lowerIntercept < INTERCEPT_TOL, JSON.stringify(r));
});

test('tanh on [−1, 1] and sin on [0, π/2]: the lines stay within 0.25 of each other', () => {
  for (const [node, arg] of [[{ op: 'tanh', a: 0 }, { lo: -1, hi: 1 }], [{ op: 'sin', a: 0 }, { lo: 0, hi: Math.PI / 2 }]] as [GraphNode, Interval][]) {
    const r = relaxUnary(node, arg, image(node, arg))!;
    const gapAt = (x: number) => r.upperSlope * x + r.upperIntercept - (r.lowerSlope * x + r.lowerIntercept);
    const worst = Math.max(gapAt(arg.lo), gapAt(arg.hi));
    assert.ok(worst < 0.25, `${node.op}: lines ${worst} apart`);
  }
});
