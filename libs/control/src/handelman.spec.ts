// Handelman products are non-negative on their box (that is what makes the LP certificate sound), there are
// C(2n + D, D) of them, and they span every polynomial of degree ≤ D; boxMinusInner tiles box \ inner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { handelmanProducts } from './handelman';
import { boxMinusInner } from './certificate-lp';
import { Polynomial } from './polynomial';

test('products are ≥ 0 on the box and count C(2n + D, D)', () => {
  const box = { lo: [-1.3, -1.5], hi: [-0.3, -0.5] };
  const hs = handelmanProducts(box, 3);
  assert.equal(hs.length, 35); // C(7, 3)
  const rng = Rng.fromSeed(5);
  for (let k = 0; k < 500; k++) {
    const x = [box.lo[0] + rng.float(), box.lo[1] + rng.float()];
    for (const h of hs) assert.ok(h.evaluate(x) >= -1e-15);
  }
  const corner = [box.lo[0], box.lo[1]];
  assert.ok(hs.some((h) => Math.abs(h.evaluate(corner)) < 1e-15), 'some product vanishes at a corner');
});

test('an extra generator counts with its degree', () => {
  const box = { lo: [0, 0], hi: [1, 1] };
  const ball = Polynomial.constant(2, 0.25).sub(Polynomial.variable(2, 0).sub(Polynomial.constant(2, 0.5)).pow(2));
  assert.equal(handelmanProducts(box, 2, [ball]).length, 15 + 1); // C(6, 2) box products + the ball itself
  assert.throws(() => handelmanProducts({ lo: [0, 1], hi: [1, 1] }, 2), /handelmanProducts: box must have lo < hi in every coordinate, received \[1, 1\] at 1/);
});

test('boxMinusInner covers box \\ inner and nothing of the open inner box', () => {
  const box = { lo: [-2, -2, -1], hi: [2, 2, 1] };
  const inner = { lo: [-0.5, -0.5, -0.5], hi: [0.5, 0.5, 0.5] };
  const parts = boxMinusInner(box, inner);
  assert.equal(parts.length, 6);
  const rng = Rng.fromSeed(6);
  const inBox = (b: { lo: readonly number[]; hi: readonly number[] }, x: number[]) => x.every((v, i) => v >= b.lo[i] && v <= b.hi[i]);
  for (let k = 0; k < 2000; k++) {
    const x = box.lo.map((l, i) => l + (box.hi[i] - l) * rng.float());
    const strictlyInner = x.every((v, i) => v > inner.lo[i] && v < inner.hi[i]);
    assert.equal(parts.some((b) => inBox(b, x)), !strictlyInner);
  }
});
