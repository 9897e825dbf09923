import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanPsnr, psnr } from './psnr';

test('psnr: 10·log10(peak²/MSE) at offsets (closed form), +∞ for identical images; meanPsnr averages per image', () => {
  // MSE = 0.01 → 20 dB; MSE = 0.0001 → 40 dB
  assert.equal(psnr(Float64Array.of(9, 0.5, 0.5), 1, Float64Array.of(0.6, 0.4), 0, 2), 20);
  assert.ok(Math.abs(psnr(Float64Array.of(0.51, 0.49), 0, Float64Array.of(0.5, 0.5), 0, 2) - 40) < 1e-9);
  assert.ok(Math.abs(psnr(Float64Array.of(25.5), 0, Float64Array.of(0), 0, 1, 255) - 20) < 1e-12);
  assert.equal(psnr(Float64Array.of(0.3), 0, Float64Array.of(0.3), 0, 1), Infinity);
  const a = Float64Array.of(0.5, 0.5, 0.51, 0.49);
  const b = Float64Array.of(0.6, 0.4, 0.5, 0.5);
  assert.ok(Math.abs(meanPsnr(a, b, 2, 2) - 30) < 1e-9);
});
