// Rotations by quarter turns, checked against numpy.rot90 by hand (counter-clockwise) and against the group laws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { rotateSquare } from './rotate-square';

function rot(src: number[], size: number, k: number): number[] {
  const out = new Float64Array(size * size);
  rotateSquare(Float64Array.from(src), 0, size, k, out, 0);
  return Array.from(out);
}

test('numpy.rot90 by hand: [[1, 2, 3], [4, 5, 6], [7, 8, 9]] turned counter-clockwise 1, 2, 3 times', () => {
  const m = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  assert.deepEqual(rot(m, 3, 0), m);
  assert.deepEqual(rot(m, 3, 1), [3, 6, 9, 2, 5, 8, 1, 4, 7]); // np.rot90(m, 1): the right column becomes the top row
  assert.deepEqual(rot(m, 3, 2), [9, 8, 7, 6, 5, 4, 3, 2, 1]);
  assert.deepEqual(rot(m, 3, 3), [7, 4, 1, 8, 5, 2, 9, 6, 3]);
  assert.deepEqual(rot(m, 3, -1), rot(m, 3, 3));
  assert.deepEqual(rot([1, 2, 3, 4], 2, 1), [2, 4, 1, 3]);
});

test('at offsets: reads and writes one square of larger buffers', () => {
  const src = Float64Array.of(-1, 1, 2, 3, 4, -1);
  const dst = new Float64Array(7).fill(0);
  rotateSquare(src, 1, 2, 1, dst, 2);
  assert.deepEqual(Array.from(dst), [0, 0, 2, 4, 1, 3, 0]);
});

test('group laws: four quarter turns are the identity, a then b turns are a + b turns', () => {
  const square = fc.integer({ min: 1, max: 9 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.double({ noNaN: true }), { minLength: n * n, maxLength: n * n })));
  fc.assert(
    fc.property(square, fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }), ([n, m], a, b) => {
      assert.deepEqual(rot(rot(m, n, a), n, b), rot(m, n, a + b));
      assert.deepEqual(rot(m, n, 4), m);
    }),
    { numRuns: 200 },
  );
});
