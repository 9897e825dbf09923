// initialParams: Glorot-uniform bounds (Glorot & Bengio 2010: a = √(6/(fan_in + fan_out))), zeros, a given vector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialParams } from './model-init';
import { tensorLayout } from './tensor-layout';

const layout = tensorLayout({ W: [40, 20], b: [20], w: [8, 3, 3, 3], s: [] });

test('glorot-uniform: weights in (−a, a) spread over the interval, rank 0–1 tensors zero, seeded', () => {
  const z = initialParams(layout, { kind: 'glorot-uniform', seed: 3 });
  const { W, b, w, s } = layout.split(z);
  const aW = Math.sqrt(6 / 60);
  const aw = Math.sqrt(6 / ((8 + 3) * 9));
  assert.ok(W.every((e) => Math.abs(e) < aW) && Math.max(...W.map(Math.abs)) > 0.9 * aW, 'dense [in, out]: a = √(6/(in + out))');
  assert.ok(w.every((e) => Math.abs(e) < aw) && Math.max(...w.map(Math.abs)) > 0.9 * aw, 'conv [out, in, kh, kw]: a = √(6/((out + in)·kh·kw))');
  // mean ≈ 0 and variance ≈ a²/3 over 800 draws (standard error of the variance ≈ 0.05·a²/3 · … : 20% is loose)
  const mean = W.reduce((p, e) => p + e, 0) / W.length;
  const variance = W.reduce((p, e) => p + e * e, 0) / W.length;
  assert.ok(Math.abs(mean) < 0.1 * aW && Math.abs(variance / ((aW * aW) / 3) - 1) < 0.2, `mean ${mean}, variance ${variance}`);
  assert.ok(b.every((e) => e === 0) && s[0] === 0);
  assert.deepEqual(initialParams(layout, { kind: 'glorot-uniform', seed: 3 }), z);
  assert.notDeepEqual(initialParams(layout, { kind: 'glorot-uniform', seed: 4 }), z);
  const doubled = initialParams(layout, { kind: 'glorot-uniform', seed: 3, gain: 2 });
  assert.ok(doubled.every((e, i) => Math.abs(e - 2 * z[i]) <= 1e-15));
});

test('zeros, a copied vector, and one error per bad init', () => {
  assert.ok(initialParams(layout, 'zeros').every((e) => e === 0));
  const given = Float64Array.from({ length: layout.size }, (_, i) => i);
  const z = initialParams(layout, given);
  given[0] = 5;
  assert.equal(z[0], 0);
  assert.throws(() => initialParams(layout, new Float64Array(3)), /^RangeError: initialParams: init must hold the 1037 parameters \(W, b, w, s in this order\), received 3 numbers$/);
  const nan = new Float64Array(layout.size);
  nan[4] = NaN;
  assert.throws(() => initialParams(layout, nan), /^RangeError: initialParams: init\[4\] is NaN, expected a finite number$/);
  assert.throws(() => initialParams(layout, { kind: 'glorot-uniform', seed: 0.5 }), /^RangeError: initialParams: init\.seed must be a safe integer, received 0\.5$/);
  assert.throws(() => initialParams(layout, { kind: 'glorot-uniform', gain: 0 }), /^RangeError: initialParams: init\.gain must be a positive number, received 0$/);
  assert.throws(() => initialParams(layout, 'ones' as never), /^TypeError: initialParams: init must be a Float64Array of 1037 numbers, "zeros" or/);
});
