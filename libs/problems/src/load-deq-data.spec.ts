// loadDeqData: the bundled Fashion-MNIST subset by default (pixels in [0, 1], 28 × 28 images), a seeded training
// subset, the digits CSV (headerless, 8 × 8, scaled to [0, 1], split by the seed), and bad paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeqData } from './load-deq-data';
import { InputError } from '@bilevel/io';

test('loadDeqData: the bundled Fashion-MNIST subset by default, 900 + 200 images of 28 × 28 in [0, 1], and a seeded training subset', () => {
  const d = loadDeqData();
  assert.equal(d.train.features.rows, 900);
  assert.equal(d.test.features.rows, 200);
  assert.equal(d.train.features.cols, 784);
  assert.deepEqual(d.imageShape, [1, 28, 28]);
  assert.ok(d.train.features.data.every((v) => v >= 0 && v <= 1));
  assert.equal(d.train.classNames.length, 10);
  const small = loadDeqData({ trainSize: 100, seed: 3 });
  assert.equal(small.train.features.rows, 100);
  assert.deepEqual(loadDeqData({ trainSize: 100, seed: 3 }).train.labels, small.train.labels);
});

test('loadDeqData: a headerless CSV (digits layout: 64 pixels 0…16 then the label) is scaled to [0, 1] and split by the seed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deq-data-'));
  const file = join(dir, 'digits.csv');
  const lines = Array.from({ length: 50 }, (_, i) => [...Array.from({ length: 64 }, (_, j) => (i + j) % 17), i % 10].join(','));
  writeFileSync(file, lines.join('\n') + '\n');
  const d = loadDeqData({ data: file, seed: 1 });
  assert.equal(d.train.features.rows + d.test.features.rows, 50);
  assert.equal(d.test.features.rows, 10);
  assert.deepEqual(d.imageShape, [1, 8, 8]);
  assert.ok(d.train.features.data.every((v) => v >= 0 && v <= 1));
  assert.ok(d.train.features.data.some((v) => v === 1));
});

test('loadDeqData: a missing path is one InputError naming it', () => {
  assert.throws(() => loadDeqData({ data: '/nonexistent/fashion' }), (e: unknown) => e instanceof InputError && /\/nonexistent\/fashion/.test(e.message) && /no such file or folder/.test(e.message));
});
