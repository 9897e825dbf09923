import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeImage } from '../loaders/png-jpeg';
import { encodeGrayPng } from './encode-gray-png';

test('encodeGrayPng: 8-bit grayscale PNG, values clipped to [0, 1] and rounded to k/255; NaN as 0; sizes checked', () => {
  const data = Float64Array.of(-0.5, 0, 0.5, 1, 2, NaN, 100 / 255, 0.2);
  const im = decodeImage(encodeGrayPng(4, 2, data));
  assert.deepEqual([im.width, im.height], [4, 2]);
  assert.deepEqual(Array.from(im.data, (v) => Math.round(v * 255)), [0, 0, 128, 255, 255, 0, 100, 51]);
  assert.throws(() => encodeGrayPng(3, 3, data), /encodeGrayPng: 8 values for a 3×3 image; expected 9/);
  assert.throws(() => encodeGrayPng(0, 3, new Float64Array(0)), /encodeGrayPng: image size 0×3; expected positive integers/);
});
