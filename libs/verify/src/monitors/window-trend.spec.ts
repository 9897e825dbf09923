// halfRatio and halfMeans: closed forms on small windows, and the middle value of an odd count is ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { halfMeans, halfRatio } from './window-trend';

/** Rounding of exp(mean of logs). */
const RTOL = 1e-12;

test('closed forms', () => {
  assert.ok(Math.abs(halfRatio([1, 2, 4, 8]) - Math.sqrt(32 / 2)) <= RTOL * 4);
  assert.ok(Math.abs(halfRatio([1, 1e9, 3]) - 3) <= RTOL * 3);
  assert.deepEqual(halfMeans([1, 2, 4, 8]), { older: 1.5, newer: 6 });
  assert.deepEqual(halfMeans([1, 100, 3]), { older: 1, newer: 3 });
});

test('a constant window has ratio 1 and equal means; a geometric window of rate q has ratio q^⌈n/2⌉', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 12 }), fc.double({ min: 0.5, max: 2, noNaN: true }), (n, q) => {
      const xs = Array.from({ length: n }, (_, i) => q ** i);
      const expected = q ** Math.ceil(n / 2);
      assert.ok(Math.abs(halfRatio(xs) - expected) <= 1e-9 * expected);
      assert.ok(Math.abs(halfRatio(Array(n).fill(3)) - 1) <= RTOL);
      const m = halfMeans(Array(n).fill(3));
      assert.ok(Math.abs(m.older - m.newer) <= RTOL);
    }),
    { seed: 8, numRuns: 100 },
  );
});
