// recordLoss: the default capacity from the measured bytes per sample, and the capacity given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordLoss } from './record-loss';
import type { LossNames, ModelLoss } from './record-loss';
import { tensorLayout } from './tensor-layout';
import type { TensorShapes } from './tensor-layout';

const names: LossNames = { who: 'test', loss: 'loss', n: 'n', params: 'params', hyper: 'hyper' };
const params = tensorLayout({ w: [4, 1, 3, 3] });
const hyper = tensorLayout({ s: [] });
const n = 200;
const images = Float64Array.from({ length: n * 16 * 16 }, (_, i) => Math.sin(i));
// per sample: the conv output [4, 16, 16] (value, tangent, adjoint, adjoint tangent) and its square (the same and two
// caches): 10 × 1024 doubles ≈ 80 KiB, plus the gathered image (2 KiB)
const loss: ModelLoss<TensorShapes, TensorShapes> = (t, p, h) =>
  t.add(t.mean(t.square(t.conv2d(t.gatherRows(images, [1, 16, 16]), p.w, { padding: 1 }))), t.mul(t.exp(h.s), t.sum(t.square(p.w))));

test('the default capacity keeps the arena within the budget, measured per sample', () => {
  const budget = 4 * 2 ** 20;
  const r = recordLoss(loss, n, params, hyper, names, { kernels: 'js', arenaBudget: budget });
  assert.ok(r.capacity > 10 && r.capacity < n, `capacity ${r.capacity}`);
  const bytes = r.tape.kernels?.capacity ?? Infinity;
  assert.ok(bytes <= budget, `arena ${bytes} bytes for a budget of ${budget}`);
  // one more sample would not fit: the estimate is tight (the per-sample bytes are exact, up to 16-byte rounding)
  const more = recordLoss(loss, n, params, hyper, names, { kernels: 'js', maxBatch: r.capacity + 1 });
  assert.ok((more.tape.kernels?.capacity ?? 0) > budget - 64, `capacity + 1 takes ${more.tape.kernels?.capacity} bytes`);
});

test('with room to spare the default capacity is min(n, 1024); a given maxBatch is clamped to n', () => {
  assert.equal(recordLoss(loss, n, params, hyper, names, {}).capacity, n);
  assert.equal(recordLoss(loss, n, params, hyper, names, { maxBatch: 5000 }).capacity, n);
  assert.equal(recordLoss(loss, n, params, hyper, names, { maxBatch: 16 }).capacity, 16);
});
