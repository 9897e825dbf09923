import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import type { GrayImage } from '../loaders/png-jpeg';
import { identityOperator } from './forward-operator';
import { cutPatches, observe } from './patch-set';

const image = (width: number, height: number, source: string): GrayImage => ({
  width,
  height,
  source,
  data: Float64Array.from({ length: width * height }, (_, p) => p / (width * height)),
});

test('cutPatches: non-overlapping tiles row by row, remainders dropped, at most perImage per image; size 0 keeps images whole', () => {
  const a = image(7, 5, 'a.png');
  const set = cutPatches([a, image(4, 4, 'b.png')], 2);
  // a: 3 × 2 tiles (column 6 and row 4 dropped); b: 2 × 2 tiles
  assert.deepEqual([set.width, set.height, set.count], [2, 2, 10]);
  assert.deepEqual(set.labels.slice(0, 4), ['a.png@(0,0)', 'a.png@(2,0)', 'a.png@(4,0)', 'a.png@(0,2)']);
  // tile 4 of a is rows 2–3, columns 2–3
  assert.deepEqual(Array.from(set.clean.subarray(16, 20)), [16, 17, 23, 24].map((p) => p / 35));
  assert.equal(cutPatches([a], 2, 4).count, 4);
  const whole = cutPatches([a, image(7, 5, 'c.png')], 0);
  assert.deepEqual([whole.count, whole.width, whole.height], [2, 7, 5]);
  assert.throws(() => cutPatches([a, image(4, 4, 'b.png')], 0), /b\.png: image of 4×4; whole images must all have the size of the first, 7×5/);
  assert.throws(() => cutPatches([image(3, 3, 's.png')], 4), /s\.png: image of 3×3 is smaller than one 4×4 patch/);
  assert.throws(() => cutPatches([], 4), /cutPatches: no images given/);
});

test('observe: y = A·clean + σ·ε with ε from the seeded generator (same seed, same noise); sample std near σ', () => {
  const set = cutPatches([image(64, 64, 'a')], 32);
  const y1 = observe(set, identityOperator(32, 32), 0.1, Rng.fromSeed(4));
  const y2 = observe(set, identityOperator(32, 32), 0.1, Rng.fromSeed(4));
  assert.deepEqual(y1.observed, y2.observed);
  let ss = 0;
  for (let i = 0; i < y1.observed.length; i++) ss += (y1.observed[i] - set.clean[i]) ** 2;
  const std = Math.sqrt(ss / y1.observed.length);
  // 4096 draws: the sample std of N(0, 0.01) is within 0.1·(1 ± 3/√(2·4096)) = [0.0967, 0.1033] with 99.7%
  assert.ok(Math.abs(std - 0.1) < 0.0033, `std ${std}`);
  assert.throws(() => observe(set, identityOperator(16, 16), 0.1, Rng.fromSeed(1)), /observe: operator for 16×16 images applied to 32×32 images/);
  assert.throws(() => observe(set, identityOperator(32, 32), -1, Rng.fromSeed(1)), /observe: noise level must be a non-negative number, received -1/);
});
