// polynomialNode against Polynomial.evaluate at random points, and its interval bounds against sampled values
// (soundness of the composition: the graph's outward-rounded box bounds must contain p at every sampled point).
// Coefficients are small integers and points lie in [−2, 2]: float error is tiny, REL 1e-12 of the magnitude.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Graph, evaluate, intervalBounds } from '@bilevel/verify';
import { Polynomial } from '../polynomial';
import { polynomialNode } from './polynomial-graph';

const N = 3;
const REL = 1e-12;
const PARAMS = { seed: 7, numRuns: 200 };
const term = fc.tuple(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: N, maxLength: N }), fc.integer({ min: -5, max: 5 }));
const poly = fc.array(term, { maxLength: 6 }).map((ts) => Polynomial.fromTerms(N, ts));
const point = fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: N, maxLength: N });

test('polynomialNode evaluates to p(x)', () => {
  fc.assert(
    fc.property(poly, point, (p, x) => {
      const g = new Graph(N);
      const node = polynomialNode(g, p, g.inputs());
      const scale = 1 + p.terms().reduce((s, [e, c]) => s + Math.abs(c) * e.reduce((m, k, i) => m * Math.abs(x[i]) ** k, 1), 0);
      assert.ok(Math.abs(evaluate(g, x)[node] - p.evaluate(x)) <= REL * scale);
    }),
    PARAMS,
  );
});

test('interval bounds of polynomialNode on a box contain p at points of the box', () => {
  fc.assert(
    fc.property(poly, point, point, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: N, maxLength: N }), (p, a, b, t) => {
      const lo = a.map((v, i) => Math.min(v, b[i]));
      const hi = a.map((v, i) => Math.max(v, b[i]));
      const x = lo.map((l, i) => Math.min(hi[i], l + t[i] * (hi[i] - l)));
      const g = new Graph(N);
      const node = polynomialNode(g, p, g.inputs());
      const bound = intervalBounds(g, { lo: Float64Array.from(lo), hi: Float64Array.from(hi) })[node];
      const v = p.evaluate(x);
      assert.ok(bound.lo <= v && v <= bound.hi, `${v} outside [${bound.lo}, ${bound.hi}]`);
    }),
    PARAMS,
  );
});

test('shared powers: B and ∂B/∂x₀ on one graph reuse x₀² and stay correct', () => {
  const x = Polynomial.variable(2, 0);
  const y = Polynomial.variable(2, 1);
  const B = x.pow(3).add(x.pow(2).mul(y)).add(Polynomial.constant(2, -1)); // x³ + x²y − 1
  const g = new Graph(2);
  const v = g.inputs();
  const powers = new Map<string, number>();
  const nb = polynomialNode(g, B, v, powers);
  const sizeAfterB = g.size;
  const nd = polynomialNode(g, B.partial(0), v, powers); // 3x² + 2xy: x² from the cache
  const vals = evaluate(g, [2, 3]);
  assert.equal(vals[nb], 8 + 12 - 1);
  assert.equal(vals[nd], 12 + 12);
  assert.ok(g.nodes.slice(sizeAfterB).every((n) => !(n.op === 'pow' && n.a === v[0] && n.k === 2)), 'x₀² was rebuilt');
});

test('constant polynomials and wrong arity', () => {
  const g = new Graph(2);
  const c = polynomialNode(g, Polynomial.constant(2, 2.5), g.inputs());
  assert.equal(evaluate(g, [0, 0])[c], 2.5);
  assert.throws(() => polynomialNode(g, Polynomial.zero(3), [0, 1]), /polynomialNode: vars must have length p.nvars = 3, received 2/);
});
