import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkpointDifference } from './checkpoint-difference';

test('identical trees have no difference, −0 and NaN compared by Object.is', () => {
  const tree = { a: [1, -0, NaN, 'x', null, true, 3n], f: new Float64Array([-0, NaN, Infinity]) };
  const copy = { a: [1, -0, NaN, 'x', null, true, 3n], f: new Float64Array([-0, NaN, Infinity]) };

  assert.equal(checkpointDifference(tree, copy), undefined);
});

test('names the first difference with its path', () => {
  assert.equal(checkpointDifference({ a: [1, -0] }, { a: [1, 0] }), 'state.a[1]: -0 vs 0');
  assert.equal(checkpointDifference({ f: new Float64Array([-0]) }, { f: new Float64Array([0]) }), 'state.f: byte 7 differs (128 vs 0)');
  assert.equal(checkpointDifference({ f: new Float32Array(2) }, { f: new Int32Array(2) }), 'state.f: Float32Array vs Int32Array');
  assert.equal(checkpointDifference({ a: 1, b: 2 }, { b: 2, a: 1 }), 'state: keys ["a","b"] vs ["b","a"]');
  assert.equal(checkpointDifference([1, 2], [1]), 'state: length 2 vs 1');
  assert.equal(checkpointDifference([new Uint8Array(1)], [[0]]), 'state[0]: one is a typed array, the other is not');
  assert.equal(checkpointDifference({ a: [] }, { a: {} }), 'state.a: one is an array, the other is not');
});

test('typed-array views are compared over their own bytes only', () => {
  const big = new Float64Array([9, 1, 2, 9]);

  assert.equal(checkpointDifference(big.subarray(1, 3), new Float64Array([1, 2])), undefined);
});
