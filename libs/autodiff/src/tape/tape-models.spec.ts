// Whole models on one recording: an MLP (linear, tanh or relu, linear, softmax cross-entropy, weight decay e^x‖W‖²)
// and the small convnet (conv, relu, max pool, conv, relu, average pool, dense): every gradient and every second
// derivative, in the weights z and the outer variable x and mixed (∇_z g, ∇_x g, ∇²_zz g·v, ∇²_xz g·v, ∇²_zx g·ẋ, …),
// against central differences (checkTape), on a batch smaller than the capacity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { Tape } from './tape';
import { checkTape } from './check-tape';
import { smallConvnet } from '../fixtures/small-convnet';
import { FD_TOL, sampleData, SAMPLES } from '../fixtures/tape-cases';

const LABELS = Int32Array.from({ length: SAMPLES }, (_, j) => (5 * j) % 3);
const BATCH = Int32Array.of(6, 1, 3, 1);

for (const activation of ['tanh', 'relu'] as const) {
  test(`MLP 4-5-3 (${activation}) with weight decay: every first and second derivative in (W1, b1, W2, b2, x) matches`, () => {
    const t = new Tape({ maxBatch: 5 });
    const W1 = t.input([4, 5], 'W1');
    const b1 = t.input([5], 'b1');
    const W2 = t.input([5, 3], 'W2');
    const b2 = t.input([3], 'b2');
    const x = t.input([1], 'x');
    const h = t[activation](t.linear(t.gatherRows(sampleData(4), [4]), W1, b1));
    const loss = t.mean(t.softmaxCrossEntropy(t.linear(h, W2, b2), t.gatherLabels(LABELS)));
    t.output(t.add(loss, t.mul(t.exp(x), t.add(t.sum(t.square(W1)), t.sum(t.square(W2))))));
    const rng = Rng.fromSeed(3);
    const inputs = [W1, b1, W2, b2, x];
    const point = inputs.map((u) => Float64Array.from({ length: u.size }, () => rng.normal()));
    const r = checkTape(t, inputs, point, { batch: BATCH, seed: 9 });
    const worst = r.entries.reduce((m, e) => (e.error > m.error ? e : m));
    assert.ok(r.gradient <= FD_TOL && r.second <= FD_TOL, `worst ${worst.order} ${worst.wrt} / ${worst.direction}: ${worst.error}`);
    assert.equal(r.entries.filter((e) => e.order === 'second').length, 5 * 5 + 5);
  });
}

test('small convnet: every first and second derivative in the weights and the decay matches central differences', () => {
  const net = smallConvnet({ size: 4, channels: 2, maxBatch: 5 });
  const inputs = [...net.params, net.x];
  const point = inputs.map((u) => u.val.slice());
  const r = checkTape(net.tape, inputs, point, { batch: BATCH, seed: 4 });
  const worst = r.entries.reduce((m, e) => (e.error > m.error ? e : m));
  assert.ok(r.gradient <= FD_TOL && r.second <= FD_TOL, `worst ${worst.order} ${worst.wrt} / ${worst.direction}: ${worst.error}`);
});

test('batchNorm over the batch and spatial axes: zero mean, unit variance per channel; derivatives match', () => {
  const t = new Tape({ maxBatch: 4 });
  const w = t.input([2, 2, 2], 'w');
  const x = t.mul(t.gatherRows(sampleData(8), [2, 2, 2]), w);
  const y = t.batchNorm(x, [0, 2, 3], { eps: 1e-9 });
  const g = t.input([2, 1, 1], 'gamma');
  t.output(t.sum(t.square(t.mul(t.tanh(y), g))));
  const batch = Int32Array.of(0, 2, 5);
  const point = [Float64Array.from({ length: 8 }, (_, i) => Math.sin(i + 1)), Float64Array.of(0.7, -1.3)];
  w.val.set(point[0]);
  g.val.set(point[1]);
  t.plan({ order: 0 }).run(batch);
  for (let c = 0; c < 2; c++) {
    const v: number[] = [];
    for (let n = 0; n < batch.length; n++) for (let k = 0; k < 4; k++) v.push(y.val[n * 8 + c * 4 + k]);
    const mean = v.reduce((s, e) => s + e, 0) / v.length;
    const variance = v.reduce((s, e) => s + (e - mean) ** 2, 0) / v.length;
    assert.ok(Math.abs(mean) < 1e-12 && Math.abs(variance - 1) < 1e-6, `channel ${c}: mean ${mean}, variance ${variance}`);
  }
  const r = checkTape(t, [w, g], point, { batch });
  assert.ok(r.gradient <= FD_TOL && r.second <= FD_TOL, JSON.stringify({ gradient: r.gradient, second: r.second }));
});

test('a replay with a batch above the capacity is refused; the capacity defaults to the number of samples', () => {
  const t = new Tape({ maxBatch: 2 });
  const u = t.input([3]);
  t.output(t.sum(t.mul(t.gatherRows(sampleData(3), [3]), u)));
  assert.equal(t.capacity, 2);
  assert.throws(() => t.plan({ order: 0 }).run(Int32Array.of(0, 1, 2)), /ReplayPlan\.run: the batch holds 3 samples, more than the tape's capacity 2 \(Tape option maxBatch\)/);
  const d = new Tape();
  d.gatherRows(sampleData(3), [3]);
  assert.equal(d.capacity, SAMPLES);
  assert.throws(() => new Tape({ maxBatch: 0 }), /Tape: options\.maxBatch must be a positive integer, received 0/);
});
