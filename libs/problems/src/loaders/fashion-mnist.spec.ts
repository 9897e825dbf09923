// The official Fashion-MNIST files in ../shared/data (skipped when that folder is absent): sizes, class balance and
// known first labels (Xiao, Rasul, Vollgraf 2017: 60,000 training and 10,000 test images, 6,000/1,000 per class).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError } from '@bilevel/io';
import { FASHION_MNIST_CLASSES, loadFashionMnist } from './fashion-mnist';
import { imagesToDataset } from './images-to-dataset';

const DIR = fileURLToPath(new URL('../../../../../shared/data/fashion-mnist', import.meta.url));
const skip = existsSync(DIR) ? false : `no ${DIR}`;

function perClass(labels: Int32Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

test('train: 60,000 images of 28×28 in 10 classes of 6,000', { skip }, () => {
  const train = loadFashionMnist(DIR);
  assert.equal(train.count, 60000);
  assert.equal(train.height, 28);
  assert.equal(train.width, 28);
  assert.equal(train.pixels.length, 60000 * 784);
  assert.deepEqual(train.classNames, FASHION_MNIST_CLASSES);
  assert.deepEqual(perClass(train.labels), new Array(10).fill(6000));
  assert.deepEqual(Array.from(train.labels.subarray(0, 5)), [9, 0, 0, 3, 0]); // ankle boot, t-shirts, dress (the files' first records)
});

test('test (t10k): 10,000 images in 10 classes of 1,000', { skip }, () => {
  const t10k = loadFashionMnist(DIR, { split: 'test' });
  assert.equal(t10k.count, 10000);
  assert.deepEqual(perClass(t10k.labels), new Array(10).fill(1000));
  assert.deepEqual(Array.from(t10k.labels.subarray(0, 5)), [9, 2, 1, 1, 6]);
});

test('limit and conversion to a [0, 1] float data set', { skip }, () => {
  const first = loadFashionMnist(DIR, { split: 'test', limit: 100 });
  assert.equal(first.count, 100);
  const data = imagesToDataset(first);
  assert.equal(data.features.cols, 784);
  assert.equal(data.features.data.length, 100 * 784);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data.features.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.equal(lo, 0);
  assert.equal(hi, 1);
});

test('a folder without the files and a bad split are InputErrors', () => {
  assert.throws(() => loadFashionMnist('/nonexistent'), (e: unknown) => e instanceof InputError && /t10k|train-labels-idx1-ubyte.gz: cannot read data file \(no such file\)/.test(e.message));
  assert.throws(() => loadFashionMnist('/nonexistent', { split: 'val' as 'test' }), /loadFashionMnist: options.split must be "train" or "test", received "val"/);
});
