// tensorLayout: the flat layout of named tensors (closed-form offsets), views and copies, checked input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensorLayout } from './tensor-layout';

test('tensors lie one after the other in declared order, row-major', () => {
  const layout = tensorLayout({ W1: [3, 2], b1: [2], s: [], v: 4 });
  assert.deepEqual(layout.names, ['W1', 'b1', 's', 'v']);
  assert.deepEqual(layout.shapes, [[3, 2], [2], [], [4]]);
  assert.deepEqual(layout.offsets, [0, 6, 8, 9]);
  assert.deepEqual(layout.sizes, [6, 2, 1, 4]);
  assert.equal(layout.size, 13);
  const flat = Float64Array.from({ length: 13 }, (_, i) => i);
  const parts = layout.split(flat);
  assert.deepEqual(Array.from(parts.W1), [0, 1, 2, 3, 4, 5]); // W1[i][j] at 2i + j
  assert.deepEqual(Array.from(parts.s), [8]);
  parts.b1[1] = 70; // a view
  assert.equal(flat[7], 70);
  assert.deepEqual(Array.from(layout.view(flat, 'v')), [9, 10, 11, 12]);
  const joined = layout.join({ W1: [1, 1, 1, 1, 1, 1], b1: new Float64Array(2), s: [5], v: [6, 7, 8, 9] });
  assert.deepEqual(Array.from(joined), [1, 1, 1, 1, 1, 1, 0, 0, 5, 6, 7, 8, 9]);
  const out = new Float64Array(13);
  assert.equal(layout.join(parts, out), out);
  assert.deepEqual(Array.from(out), Array.from(flat));
});

test('bad shapes, names and parts give one clear error each', () => {
  assert.throws(() => tensorLayout({}), /^RangeError: tensorLayout: shapes must name at least one tensor, received \{\}$/);
  assert.throws(() => tensorLayout([[2]] as never), /^TypeError: tensorLayout: shapes must be a record of named shapes/);
  assert.throws(() => tensorLayout({ W: [2, 1.5] }, 'f', 'spec.params'), /^RangeError: f: spec\.params\.W must be a positive integer or a list of positive integers \(\[\] for a scalar\), received \[2, 1\.5\]$/);
  assert.throws(() => tensorLayout({ a: 1, 7: 2 }), /^RangeError: tensorLayout: shapes has a tensor named "7"; names must not be integers/);
  const layout = tensorLayout({ a: [2], b: [1] });
  assert.throws(() => layout.split(new Float64Array(4)), /^RangeError: tensorLayout\.split: flat must be a Float64Array of length 3, received length 4$/);
  assert.throws(() => layout.join({ a: [1, 2] } as never), /^RangeError: tensorLayout\.join: b must hold 1 numbers \(shape \[1\]\), received nothing$/);
  assert.throws(() => layout.join({ a: [1, 2], b: [3], c: [4] } as never), /^RangeError: tensorLayout\.join: unknown tensor "c"; the layout has a, b$/);
  assert.throws(() => layout.join({ a: [1], b: [3] }), /^RangeError: tensorLayout\.join: a must hold 2 numbers \(shape \[2\]\), received 1$/);
});
