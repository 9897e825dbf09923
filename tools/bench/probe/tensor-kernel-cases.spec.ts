// The benchmark's cases: their nominal flops (closed forms of the two models) and their operands, which fit
// the arena tensorCaseBytes sizes and run on the kernels (the JavaScript ones; the SIMD ones take the same calls).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsTensorKernels } from '@bilevel/linalg';
import { bindTensorCases, tensorCaseBytes, tensorCases, tensorCaseShapes } from './tensor-kernel-cases';

test('the cases are the 6 products of the MLP and the 12 convolutions of the convnet, with their flops', () => {
  const cases = tensorCases();
  assert.equal(cases.filter((c) => c.model === 'mlp').length, 6);
  assert.equal(cases.filter((c) => c.model === 'convnet').length, 12);
  assert.equal(cases[0].flops, 2 * 64 * 256 * 784);
  // layer 2 of the convnet: 16 images, 32 → 32 channels, 14 × 14 outputs, 3 × 3 taps
  const conv = cases.find((c) => c.label === 'conv2d 32→32 ch, 14×14');
  assert.equal(conv?.flops, 2 * 16 * 32 * 14 * 14 * 32 * 9);
  assert.equal(tensorCaseShapes(cases).length, 12);
  // the gradients with respect to the data (MLP layer 1 input, first convolution's input) are not in the sums
  assert.deepEqual(cases.filter((c) => !c.inGradient).map((c) => c.label), ['layer 1 input grad G·Wᵀ (NT) (not in Σ)', 'conv2dInputGrad 1→32 ch, 28×28 (not in Σ)']);
});

test('every case binds to operands of one arena of tensorCaseBytes and runs', () => {
  const cases = tensorCases().filter((c) => c.flops < 20e6); // the small ones: enough to cover every kind
  const K = jsTensorKernels(tensorCaseBytes(cases), tensorCaseShapes(cases));
  const fns = bindTensorCases(K, cases);
  assert.equal(fns.length, cases.length);
  for (const fn of fns) fn();
  assert.ok(K.used <= K.capacity);
});
