// gatherRows (a Matrix or a Float64Array with a per-sample shape) and gatherLabels pick the batch's samples, in the
// batch's order and with repeats, for a batch smaller than the capacity; their errors name the argument and the sizes.
// (Their derivatives are exercised by every batched case of the op specs; rowsDot and gather by tape.spec.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matrix } from '@bilevel/linalg';
import { Tape } from './tape';

test('gatherRows copies the batch rows as [batch, ...shape]; gatherLabels the batch labels', () => {
  const t = new Tape({ maxBatch: 3 });
  const pixels = Float64Array.from({ length: 5 * 4 }, (_, i) => i);
  const images = t.gatherRows(pixels, [1, 2, 2]);
  const rows = t.gatherRows(matrix(5, 4, pixels));
  const labels = t.gatherLabels(Int32Array.of(4, 3, 2, 1, 0));
  assert.deepEqual([images.shape, images.batched, rows.shape], [[3, 1, 2, 2], true, [3, 4]]);
  const w = t.input([4]);
  t.output(t.add(t.sum(t.mul(images, t.reshape(w, [1, 2, 2]))), t.add(t.sum(rows), t.sum(labels))));
  w.val.fill(1);
  t.plan({ order: 0 }).run(Int32Array.of(3, 0, 3));
  assert.deepEqual(Array.from(images.val.subarray(0, 12)), [12, 13, 14, 15, 0, 1, 2, 3, 12, 13, 14, 15]);
  assert.deepEqual(Array.from(rows.val.subarray(0, 12)), Array.from(images.val.subarray(0, 12)));
  assert.deepEqual(Array.from(labels.val.subarray(0, 3)), [1, 4, 1]);
  assert.equal(images.n, 12);
});

test('gatherRows and gatherLabels reject data that do not match, naming the argument and the sizes', () => {
  const t = new Tape();
  assert.throws(() => t.gatherRows(new Float64Array(10), [3]), /Tape\.gatherRows: data must hold whole samples of 3 numbers \(shape \[3\]\), received 10 numbers/);
  assert.throws(() => t.gatherRows(new Float64Array(9)), /Tape\.gatherRows: shape is required with a Float64Array/);
  assert.throws(() => t.gatherRows(matrix(3, 4), [3]), /Tape\.gatherRows: shape \[3\] must hold the 4 columns of data/);
  t.gatherRows(matrix(3, 4), [2, 2]);
  assert.throws(() => t.gatherLabels(Int32Array.of(0, 1)), /Tape\.gatherLabels: labels has 2 samples but the tape's data have 3/);
  assert.throws(() => t.gatherLabels(Int32Array.of(0, -1, 2)), /Tape\.gatherLabels: labels\[1\] must be an integer ≥ 0 \(a class index\), received -1/);
  assert.throws(() => t.input([2, 0]), /Tape\.input: shape must be a list of positive integers, received \[2, 0\]/);
});
