// The kernel table's contract: one row per (kernel, size, variant), every row runnable, and work counts that are
// positive and finite, with flops and bytes checked against hand counts for the rows whose sizes are fixed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernelCases } from './kernel-cases';
import { kernelData } from './kernel-data';
import { peakCases } from './peak-cases';

const data = kernelData(256);
const cases = jsKernelCases(data);

test('every row is unique, runs, and has positive finite work counts', () => {
  const keys = new Set<string>();
  for (const c of [...cases, ...peakCases()]) {
    const key = `${c.kernel} | ${c.size} | ${c.variant}`;
    assert.ok(!keys.has(key), `duplicate row ${key}`);
    keys.add(key);
    assert.ok(Number.isFinite(c.flops) && c.flops > 0, `${key}: flops ${c.flops}`);
    assert.ok(Number.isFinite(c.bytes) && c.bytes >= 0, `${key}: bytes ${c.bytes}`);
    if (!c.kernel.startsWith('peak:')) c.fn();
  }
});

test('hand counts: SagaMemory.direction is 4 flops and 48 bytes per coordinate; softmaxHessianRows 50 flops per row', () => {
  const saga = cases.filter((c) => c.kernel === 'SagaMemory.direction');
  assert.deepEqual(saga.map((c) => [c.flops, c.bytes]), [
    [4 * 30, 48 * 30],
    [4 * 7840, 48 * 7840],
  ]);
  const hessian = cases.find((c) => c.kernel === 'softmaxHessianRows');
  assert.equal(hessian?.flops, 64 * 50);
});

test('the logreg rows gather the real batches: 11 blocks of 31 rows of the 341 × 30 training matrix', () => {
  assert.equal(data.logregA.rows, 341);
  assert.equal(data.logregA.cols, 30);
  assert.equal(data.logregBatches.length, 11);
  const gemv = cases.find((c) => c.kernel.startsWith('gemvRows ('));
  assert.equal(gemv?.flops, 2 * 31 * 30);
});
