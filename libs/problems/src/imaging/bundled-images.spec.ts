import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { loadImage } from '../loaders/png-jpeg';
import { BUNDLED_CROP_SIZE, BUNDLED_CROPS, BUNDLED_IMAGES, bundledImagePaths } from './bundled-images';

const SHARED = new URL('../../../../../shared/data/images/', import.meta.url);

test('bundled images: 6 training and 6 held-out 96×96 grayscale crops, under 100 KB in all', () => {
  let bytes = 0;
  for (const kind of ['train', 'heldout'] as const) {
    const paths = bundledImagePaths(kind);
    assert.equal(paths.length, BUNDLED_IMAGES.length);
    for (const path of paths) {
      const im = loadImage(path);
      assert.deepEqual([im.width, im.height], [BUNDLED_CROP_SIZE, BUNDLED_CROP_SIZE]);
      bytes += statSync(path).size;
    }
  }
  assert.ok(bytes < 100_000, `${bytes} bytes`);
});

test('bundled images: each crop is the documented window of the scikit-image original, pixel for pixel', { skip: !existsSync(SHARED) }, () => {
  for (const name of BUNDLED_IMAGES) {
    const original = loadImage(new URL(`${name}.png`, SHARED).pathname);
    for (const kind of ['train', 'heldout'] as const) {
      const crop = loadImage(bundledImagePaths(kind)[BUNDLED_IMAGES.indexOf(name)]);
      const [x0, y0] = BUNDLED_CROPS[name][kind];
      for (let r = 0; r < BUNDLED_CROP_SIZE; r++) {
        for (let c = 0; c < BUNDLED_CROP_SIZE; c++) {
          assert.equal(crop.data[r * BUNDLED_CROP_SIZE + c], original.data[(y0 + r) * original.width + x0 + c], `${name} ${kind} at (${c}, ${r})`);
        }
      }
    }
    // training and held-out windows do not overlap
    const [tx, ty] = BUNDLED_CROPS[name].train;
    const [hx, hy] = BUNDLED_CROPS[name].heldout;
    assert.ok(Math.abs(tx - hx) >= BUNDLED_CROP_SIZE || Math.abs(ty - hy) >= BUNDLED_CROP_SIZE, name);
  }
});
