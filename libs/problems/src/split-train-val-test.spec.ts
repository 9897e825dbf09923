// The seeded three-way split: sizes, a partition of the rows, stratification, replay from the seed, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '@bilevel/linalg';
import { splitTrainValTest } from './split-train-val-test';
import type { Dataset } from './dataset';
import { InputError } from '@bilevel/io';

/** n rows whose single feature is the row index (so rows can be traced), labels cycling over K classes. */
function indexed(n: number, K: number): Dataset {
  return {
    features: { rows: n, cols: 1, data: Float64Array.from({ length: n }, (_, i) => i) },
    labels: Int32Array.from({ length: n }, (_, i) => i % K),
    classNames: Array.from({ length: K }, (_, k) => `c${k}`),
    source: 'toy',
  };
}

// at least 4 rows per class, so every part is non-empty
test('the three parts partition the rows; stratified per-class sizes are the rounded fractions', () => {
  fc.assert(
    fc.property(fc.integer({ min: 20, max: 300 }), fc.integer({ min: 2, max: 5 }), fc.integer({ min: 0, max: 1000 }), fc.boolean(), (n, K, seed, stratify) => {
      const data = indexed(n, K);
      const { train, val, test: tst } = splitTrainValTest(data, Rng.fromSeed(seed), { stratify });
      const all = [train, val, tst].flatMap((s) => Array.from(s.features.data));
      assert.deepEqual([...all].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
      for (const s of [train, val, tst]) for (let r = 0; r < s.labels.length; r++) assert.equal(s.labels[r], s.features.data[r] % K);
      if (stratify) {
        for (let c = 0; c < K; c++) {
          const nc = data.labels.filter((l) => l === c).length;
          assert.equal(train.labels.filter((l) => l === c).length, Math.round(0.5 * nc));
          assert.equal(val.labels.filter((l) => l === c).length, Math.round(0.25 * nc));
        }
      } else {
        assert.equal(train.features.rows, Math.round(0.5 * n));
        assert.equal(val.features.rows, Math.round(0.25 * n));
      }
    }),
    { numRuns: 60 },
  );
});

test('the same seed gives the same split; another seed another one; sources name the part', () => {
  const data = indexed(60, 3);
  const a = splitTrainValTest(data, Rng.fromSeed(4), { train: 0.6, val: 0.2 });
  const b = splitTrainValTest(data, Rng.fromSeed(4), { train: 0.6, val: 0.2 });
  const c = splitTrainValTest(data, Rng.fromSeed(5), { train: 0.6, val: 0.2 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.train.features.data, c.train.features.data);
  assert.deepEqual([a.train.features.rows, a.val.features.rows, a.test.features.rows], [36, 12, 12]);
  assert.equal(a.val.source, 'toy [val 12/60]');
});

const bad: [string, Parameters<typeof splitTrainValTest>[2], RegExp][] = [
  ['a train fraction of 1', { train: 1 }, /train fraction must be in \(0, 1\), received 1/],
  ['a NaN val fraction', { val: NaN }, /val fraction must be in \(0, 1\), received NaN/],
  ['fractions leaving no test rows', { train: 0.7, val: 0.3 }, /train \+ val fractions must be below 1/],
];
for (const [what, options, message] of bad) {
  test(`splitTrainValTest rejects ${what}`, () => {
    assert.throws(() => splitTrainValTest(indexed(20, 2), Rng.fromSeed(0), options), (e: unknown) => e instanceof InputError && message.test(e.message));
  });
}

test('too few rows for three non-empty parts is an InputError naming the data', () => {
  assert.throws(() => splitTrainValTest(indexed(2, 2), Rng.fromSeed(0)), (e: unknown) => e instanceof InputError && /^toy: cannot split 2 rows .* non-empty val part/.test(e.message));
});
