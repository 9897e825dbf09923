// Polynomial algebra checked against evaluation at random points: (p ∘ q)(x) must equal p(x) ∘ q(x) for the ring
// operations, ∂p/∂x_i must match a central difference, substitution must match evaluation at the substituted value.
// Coefficients are small integers and points lie in [−2, 2], so float error is tiny: REL 1e-9 of the magnitude.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Polynomial, monomialBasis } from './polynomial';

const N = 3;
const REL = 1e-9;
const FD_REL = 1e-6; // central difference with h = 1e-5 on degree ≤ 4 polynomials: O(h²)·|p'''| ≪ 1e-6
const term = fc.tuple(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: N, maxLength: N }), fc.integer({ min: -5, max: 5 }));
const poly = fc.array(term, { maxLength: 5 }).map((ts) => Polynomial.fromTerms(N, ts));
const point = fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: N, maxLength: N });
const close = (a: number, b: number, rel = REL) => Math.abs(a - b) <= rel * (1 + Math.abs(a) + Math.abs(b));
const PARAMS = { seed: 42, numRuns: 200 };

test('add, sub, mul, scale and pow agree with evaluation', () => {
  fc.assert(
    fc.property(poly, poly, point, fc.integer({ min: -3, max: 3 }), fc.integer({ min: 0, max: 3 }), (p, q, x, s, k) => {
      const px = p.evaluate(x);
      const qx = q.evaluate(x);
      assert.ok(close(p.add(q).evaluate(x), px + qx));
      assert.ok(close(p.sub(q).evaluate(x), px - qx));
      assert.ok(close(p.mul(q).evaluate(x), px * qx));
      assert.ok(close(p.scale(s).evaluate(x), s * px));
      assert.ok(close(p.pow(k).evaluate(x), px ** k));
    }),
    PARAMS,
  );
});

test('partial derivatives match central differences', () => {
  fc.assert(
    fc.property(poly, point, fc.integer({ min: 0, max: N - 1 }), (p, x, i) => {
      const h = 1e-5;
      const xp = [...x];
      const xm = [...x];
      xp[i] += h;
      xm[i] -= h;
      const fd = (p.evaluate(xp) - p.evaluate(xm)) / (2 * h);
      assert.ok(close(p.partial(i).evaluate(x), fd, FD_REL), `${p.partial(i).evaluate(x)} vs ${fd}`);
      assert.ok(close(p.gradient()[i].evaluate(x), fd, FD_REL));
    }),
    PARAMS,
  );
});

test('substitution equals evaluation at the substituted value', () => {
  fc.assert(
    fc.property(poly, poly, point, fc.integer({ min: 0, max: N - 1 }), (p, q, x, i) => {
      const y = [...x];
      y[i] = q.evaluate(x);
      assert.ok(close(p.substitute(i, q).evaluate(x), p.evaluate(y)));
    }),
    PARAMS,
  );
});

test('degree, remap, and exact zero cancellation', () => {
  const x = Polynomial.variable(2, 0);
  const y = Polynomial.variable(2, 1);
  const p = x.mul(x).mul(y).add(y.scale(3));
  assert.equal(p.degree(), 3);
  assert.equal(p.sub(p).size, 0);
  assert.equal(Polynomial.zero(2).degree(), -Infinity);
  const q = p.remap(3, [2, 0]); // x → z, y → x
  assert.equal(q.evaluate([5, 7, 2]), 2 * 2 * 5 + 15);
  assert.throws(() => p.remap(1, [0, -1]), /variable 1 is dropped/);
});

test('monomialBasis has C(n + d, d) distinct monomials in graded order', () => {
  const binom = (a: number, b: number) => {
    let r = 1;
    for (let k = 1; k <= b; k++) r = (r * (a - b + k)) / k;
    return r;
  };
  for (const [n, d] of [[1, 3], [2, 2], [2, 4], [3, 3], [4, 2]]) {
    const basis = monomialBasis(n, d);
    assert.equal(basis.length, binom(n + d, d));
    assert.equal(new Set(basis.map((e) => e.join(','))).size, basis.length);
    const degs = basis.map((e) => e.reduce((a, b) => a + b, 0));
    assert.deepEqual(degs, [...degs].sort((a, b) => a - b));
  }
  assert.equal(monomialBasis(2, 2, 1).length, 5);
});

test('errors name the function, the field and the value', () => {
  assert.throws(() => Polynomial.variable(2, 2), /Polynomial.variable: i must be an integer in \[0, 2\), received 2/);
  assert.throws(() => Polynomial.variable(2, 0).add(Polynomial.variable(3, 0)), /Polynomial.add: both polynomials must have 2 variables, received 3/);
  assert.throws(() => Polynomial.variable(2, 0).pow(-1), /Polynomial.pow: k must be an integer ≥ 0, received -1/);
  assert.throws(() => Polynomial.variable(2, 0).evaluate([1]), /Polynomial.evaluate: x must have length 2, received 1/);
});
