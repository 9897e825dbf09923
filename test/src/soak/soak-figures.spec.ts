// The soak figures on hand-made sample series: growth is measured from the 2nd sample, tensor counts after warm-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEAP_GROWTH_BOUND_BYTES, soakFigures } from './soak-figures';
import type { SoakResult } from './soak-types';

const result = (heaps: number[], tensors: number[]): SoakResult => ({
  oracles: 'autodiff',
  backend: 'test',
  steps: 100 * (heaps.length - 1),
  every: 100,
  seconds: 2,
  samples: heaps.map((heapUsed, i) => ({ step: 100 * i, heapUsed, numTensors: tensors[i], numBytes: 0, seconds: i / 10 })),
  tensorsAfterDispose: 0,
});

test('growth runs from the 2nd sample to the last; the first (before warm-up) is left out', () => {
  const f = soakFigures(result([1e6, 5e6, 5.5e6, 5.2e6], [9, 4, 4, 4]));
  assert.equal(f.heapGrowth, 0.2e6);
  assert.equal(f.heapRange, 0.5e6);
  assert.deepEqual(f.tensorCounts, [4]);
  assert.equal(f.stepsPerSecond, 150);
});

test('a leak of one 16-byte object per step over 9 × 10⁴ steps exceeds the bound', () => {
  const leak = (i: number) => 50e6 + 16 * 1e4 * i;
  const f = soakFigures(result(Array.from({ length: 11 }, (_, i) => leak(i)), Array(11).fill(4)));
  assert.ok(f.heapGrowth > HEAP_GROWTH_BOUND_BYTES, `${f.heapGrowth}`);
});

test('a changing tensor count after warm-up shows as more than one value; too few samples are refused', () => {
  assert.deepEqual(soakFigures(result([1, 1, 1, 1], [4, 4, 5, 6])).tensorCounts, [4, 5, 6]);
  assert.deepEqual(soakFigures(result([1, 9, 2, 3], [9, 7, 4, 4]), 2).tensorCounts, [4]);
  assert.equal(soakFigures(result([1, 9, 2, 3], [9, 7, 4, 4]), 2).heapGrowth, 1);
  assert.throws(() => soakFigures(result([1, 1], [4, 4])), /soakFigures: 2 samples, expected at least 3/);
});
