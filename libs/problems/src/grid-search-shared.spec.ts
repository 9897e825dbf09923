// Grid search over a shared weight: picks the smallest exact h, reports the curve and a usable warm start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { gridSearchShared } from './grid-search-shared';
import { multiclassHpo } from './multiclass-hpo';
import { loadClassificationCsv } from './classification-csv';
import { multiclassDataPath } from './multiclass-data-path';
import { splitTrainValTest } from './split-train-val-test';

const { train, val, test: testSet } = splitTrainValTest(loadClassificationCsv(multiclassDataPath()), Rng.fromSeed(1));

test('the best grid point has the smallest h of the curve; x = t·1 on the per-class problem equals the scalar one', () => {
  const values = Array.from({ length: 9 }, (_, k) => 2 - k);
  const perClass = gridSearchShared(multiclassHpo(train, val, { test: testSet }), values);
  const scalar = gridSearchShared(multiclassHpo(train, val, { reg: 'scalar', test: testSet }), values);
  assert.equal(perClass.curve.length, 9);
  assert.equal(perClass.value, Math.min(...perClass.curve.map((p) => p.value)));
  assert.deepEqual(Array.from(perClass.x), [perClass.t, perClass.t, perClass.t]);
  assert.equal(perClass.t, scalar.t);
  // the same inner problem: equal values up to the Newton tolerance
  for (let k = 0; k < 9; k++) assert.ok(Math.abs(perClass.curve[k].value - scalar.curve[k].value) < 1e-9);
  assert.ok(perClass.metrics && 'testError' in perClass.metrics);
  // z and v are the exact solutions at the best point
  const p = multiclassHpo(train, val, { test: testSet });
  const hg = p.hypergradient(perClass.x);
  assert.ok(Math.max(...hg.z.map((e, i) => Math.abs(e - perClass.z[i]))) < 1e-8);
  assert.ok(Math.max(...hg.v.map((e, i) => Math.abs(e - perClass.v[i]))) < 1e-6 * Math.max(1, ...hg.v.map(Math.abs)));
});

test('an empty or non-finite grid is refused', () => {
  const p = multiclassHpo(train, val);
  assert.throws(() => gridSearchShared(p, []), /the grid is empty/);
  assert.throws(() => gridSearchShared(p, [0, NaN]), /grid value NaN is not a finite number/);
});
