import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeValue } from './describe-value';

test('describeValue names primitives exactly and summarises structures', () => {
  assert.equal(describeValue('loud'), '"loud"');
  assert.equal(describeValue(-3), '-3');
  assert.equal(describeValue(NaN), 'NaN');
  assert.equal(describeValue(undefined), 'undefined');
  assert.equal(describeValue(null), 'null');
  assert.equal(describeValue([1, 2, 3, 4]), 'an array of 4');
  assert.equal(describeValue(new Float64Array(2)), 'a Float64Array');
  assert.equal(describeValue({ a: 1 }), 'an object');
  assert.equal(describeValue('x'.repeat(100)).length, 62);
});
