import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, timeCall } from './time-call';
import { scalarFma } from './scalar-fma';

test('median of odd and even lists, without reordering the input', () => {
  const xs = [5, 1, 3];
  assert.equal(median(xs), 3);
  assert.deepEqual(xs, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), /median: empty list/);
});

test('timeCall calibrates a block of about blockMs and reports seconds per call', () => {
  let calls = 0;
  const timer = timeCall(() => void calls++, { blockMs: 2, warmup: 5 });
  assert.ok(timer.calls >= 1);
  const before = calls;
  const s = timer.block();
  assert.equal(calls - before, timer.calls, 'one block makes exactly `calls` calls');
  assert.ok(s > 0 && Number.isFinite(s));
});

test('timeCall refuses bad options', () => {
  assert.throws(() => timeCall(() => {}, { blockMs: 0 }), /timeCall: blockMs must be a positive number, received 0/);
  assert.throws(() => timeCall(() => {}, { warmup: -1 }), /timeCall: warmup must be a non-negative integer, received -1/);
});

test('scalarFma computes the 8-chain recursion a ← 0.999a + 0.001', () => {
  const a = [1, 1.0625, 1.125, 1.1875, 1.25, 1.3125, 1.375, 1.4375];
  for (let t = 0; t < 50; t++) for (let i = 0; i < 8; i++) a[i] = a[i] * 0.999 + 0.001;
  assert.equal(scalarFma(50), a.reduce((s, v) => s + v, 0));
});
