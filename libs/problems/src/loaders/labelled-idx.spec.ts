// Pairing image and label IDX arrays: counts, label ranges, limits, defaults, and the files' own errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@bilevel/io';
import { encodeIdx } from './encode-idx';
import { parseIdx } from './idx-gz';
import { labelledIdx, loadLabelledIdx } from './labelled-idx';
import { imagesToDataset } from './images-to-dataset';

const images = (n: number, h = 2, w = 3) => parseIdx(encodeIdx({ dims: [n, h, w], data: new Uint8Array(n * h * w).map((_, i) => (i * 37) % 256) }), 'img.gz');
const labels = (values: number[]) => parseIdx(encodeIdx({ dims: [values.length], data: Uint8Array.from(values) }), 'lab.gz');

test('images and labels pair up; class names default to the label values', () => {
  const set = labelledIdx(images(4), labels([0, 2, 1, 2]));
  assert.equal(set.count, 4);
  assert.equal(set.height, 2);
  assert.equal(set.width, 3);
  assert.deepEqual(set.classNames, ['0', '1', '2']);
  assert.deepEqual(Array.from(set.labels), [0, 2, 1, 2]);
  assert.equal(set.pixels.length, 24);
});

test('limit keeps the first images, copied', () => {
  const all = images(5);
  const set = labelledIdx(all, labels([1, 0, 1, 0, 1]), { limit: 2, classNames: ['a', 'b'] });
  assert.equal(set.count, 2);
  assert.deepEqual(Array.from(set.pixels), Array.from(all.data.subarray(0, 12)));
  assert.notEqual(set.pixels.buffer, all.data.buffer);
  assert.match(set.source, /\[first 2\/5\]$/);
  assert.equal(labelledIdx(all, labels([1, 0, 1, 0, 1]), { limit: 99 }).count, 5, 'a limit beyond the file keeps all');
});

test('mismatched counts, out-of-range labels and wrong ranks are located InputErrors', () => {
  const is = (re: RegExp) => (err: unknown) => err instanceof InputError && re.test(err.message);
  assert.throws(() => labelledIdx(images(3), labels([0, 1])), is(/^lab.gz: the labels file holds 2 labels but the images file img.gz holds 3 images/));
  assert.throws(() => labelledIdx(images(3), labels([0, 1, 7]), { classNames: ['a', 'b'] }), is(/^lab.gz: label of image 2 \(byte 10\): 7 is out of range 0..1 \(2 classes\)/));
  assert.throws(() => labelledIdx(labels([0, 1]), labels([0, 1])), is(/^lab.gz: expected images \(3 dimensions/));
  assert.throws(() => labelledIdx(images(2), images(2)), is(/^img.gz: expected labels \(1 dimension\), found 3 dimensions 2×2×3/));
  assert.throws(() => labelledIdx(images(0), labels([])), is(/^img.gz: the images file holds no pixels/));
  assert.throws(() => labelledIdx(images(2), labels([0, 1]), { limit: 0 }), is(/labelledIdx: options.limit must be a positive integer, received 0/));
  assert.throws(() => labelledIdx(images(2), labels([0, 1]), { classNames: [] }), is(/options.classNames must be a non-empty array/));
});

test('loadLabelledIdx reads both files and names the one at fault', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lidx-'));
  try {
    writeFileSync(join(dir, 'i.gz'), encodeIdx({ dims: [2, 1, 1], data: Uint8Array.of(0, 255) }));
    writeFileSync(join(dir, 'l.gz'), encodeIdx({ dims: [2], data: Uint8Array.of(1, 0) }));
    writeFileSync(join(dir, 'wrong.gz'), encodeIdx({ dims: [2, 1], data: Uint8Array.of(1, 0) }));
    const set = loadLabelledIdx(join(dir, 'i.gz'), join(dir, 'l.gz'), { classNames: ['x', 'y'] });
    assert.deepEqual(Array.from(set.labels), [1, 0]);
    assert.throws(() => loadLabelledIdx(join(dir, 'i.gz'), join(dir, 'wrong.gz')), /wrong.gz: bad magic number 0x00000802: 2 dimensions; expected 0x00000801/);
    assert.throws(() => loadLabelledIdx(join(dir, 'l.gz'), join(dir, 'l.gz')), /l.gz: bad magic number 0x00000801: 1 dimension; expected 0x00000803/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('imagesToDataset scales bytes to [0, 1] and keeps the chosen rows in order', () => {
  const set = labelledIdx(images(3, 1, 2), labels([0, 1, 1]));
  const all = imagesToDataset(set);
  assert.equal(all.features.rows, 3);
  assert.equal(all.features.cols, 2);
  assert.deepEqual(Array.from(all.features.data), Array.from(set.pixels, (p) => p / 255));
  const some = imagesToDataset(set, Int32Array.of(2, 0));
  assert.deepEqual(Array.from(some.labels), [1, 0]);
  assert.deepEqual(Array.from(some.features.data), [set.pixels[4] / 255, set.pixels[5] / 255, set.pixels[0] / 255, set.pixels[1] / 255]);
  assert.throws(() => imagesToDataset(set, Int32Array.of(3)), /rows\[0\] = 3 is not an image index in 0..2/);
});
