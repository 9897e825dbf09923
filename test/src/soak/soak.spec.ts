// Soak summary (the full 10⁶-step run is soak.slow.ts): SABA (batch 32) on the bundled logreg-hpo task through the
// streams `run`, each in a fresh child process: 10⁵ analytic steps with a flat heap after forced GCs, and 500 steps
// on the tfjs autodiff oracles with a constant `tf.memory().numTensors`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEAP_GROWTH_BOUND_BYTES, formatSoak, soakFigures } from './soak-figures';
import { spawnSoak } from './spawn-soak';

/** Tensors alive during a run: the four data tensors of logregAutodiff (A, yA, B, yB); the oracles free the rest. */
const DATA_TENSORS = 4;

test('10⁵ SABA steps (analytic oracles): heap growth from the 2nd sample to the last under 1 MiB', async () => {
  const r = await spawnSoak({ oracles: 'analytic', steps: 100_000, every: 10_000 });
  const f = soakFigures(r);
  console.log(formatSoak(r, f));
  assert.equal(r.steps, 100_000);
  assert.equal(r.samples.length, 11);
  assert.ok(f.heapGrowth < HEAP_GROWTH_BOUND_BYTES, `heap grew ${f.heapGrowth} bytes`);
  assert.deepEqual(f.tensorCounts, [0], 'the analytic path makes no tensor');
});

test('500 SABA steps on the autodiff oracles (tfjs): numTensors constant after warm-up, 0 after dispose', async () => {
  const r = await spawnSoak({ oracles: 'autodiff', steps: 500, every: 100 });
  const f = soakFigures(r);
  console.log(formatSoak(r, f));
  assert.equal(r.steps, 500);
  assert.deepEqual(f.tensorCounts, [DATA_TENSORS]);
  assert.equal(r.tensorsAfterDispose, 0);
  assert.ok(f.heapGrowth < HEAP_GROWTH_BOUND_BYTES, `heap grew ${f.heapGrowth} bytes`);
});
