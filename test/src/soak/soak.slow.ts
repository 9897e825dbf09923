// Soak (issue 8, deliverable 5): 10⁶ SABA iterations (batch 32) on the bundled logreg-hpo task through the streams
// `run` in a fresh child process, heapUsed after a forced GC every 10⁵ steps, growth from the 2nd sample to the last
// under 1 MiB; then the tfjs autodiff oracles for 3 minutes of solver time, `tf.memory().numTensors` sampled every
// 200 steps and constant after warm-up, and the heap flat (under 1 MiB) after the first 1,000 steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEAP_GROWTH_BOUND_BYTES, formatSoak, soakFigures } from './soak-figures';
import { spawnSoak } from './spawn-soak';

/** The four data tensors of logregAutodiff (A, yA, B, yB). */
const DATA_TENSORS = 4;
/** Solver-time budget of the autodiff soak, seconds. */
const AUTODIFF_SECONDS = 180;
/** Samples (every 200 steps) of the autodiff soak's warm-up: its first 1,000 steps (see WARM_UP_SAMPLES). */
const AUTODIFF_WARM_UP = 6;

test('10⁶ SABA steps (analytic oracles): heap growth from the 2nd sample to the last under 1 MiB', { timeout: 15 * 60_000 }, async () => {
  const r = await spawnSoak({ oracles: 'analytic', steps: 1_000_000, every: 100_000 });
  const f = soakFigures(r);
  console.log(formatSoak(r, f));
  assert.equal(r.steps, 1_000_000);
  assert.equal(r.samples.length, 11);
  assert.ok(f.heapGrowth < HEAP_GROWTH_BOUND_BYTES, `heap grew ${f.heapGrowth} bytes`);
});

test(`SABA on the autodiff oracles for ${AUTODIFF_SECONDS} s: numTensors constant after warm-up, 0 after dispose`, { timeout: 15 * 60_000 }, async () => {
  const r = await spawnSoak({ oracles: 'autodiff', steps: 1_000_000, every: 200, maxSeconds: AUTODIFF_SECONDS });
  const f = soakFigures(r, AUTODIFF_WARM_UP);
  console.log(formatSoak(r, f));
  assert.ok(r.steps >= 2000, `only ${r.steps} steps in ${AUTODIFF_SECONDS} s`);
  assert.deepEqual(f.tensorCounts, [DATA_TENSORS]);
  assert.equal(r.tensorsAfterDispose, 0);
  assert.ok(f.heapGrowth < HEAP_GROWTH_BOUND_BYTES, `heap grew ${f.heapGrowth} bytes`);
});
