// A replay's results do not depend on what its buffers held before: the reverse sweep's first writer of an adjoint
// (or adjoint tangent) buffer assigns it, every other buffer is cleared, so buffers filled with NaN between replays
// (stale numbers of an earlier replay, at another batch) change nothing. On graphs where the first-writer choice is
// delicate: a value with several consumers, an operand used twice by one node, a view beside its operand, broadcast
// operands (which must be added to, never assigned), every kind of rule that may assign.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { Tape } from './tape';
import type { TapeVar } from './tape';
import { checkTape } from './check-tape';
import { FD_TOL, sampleData, SAMPLES } from '../fixtures/tape-cases';

const LABELS = Int32Array.from({ length: SAMPLES }, (_, j) => (2 * j) % 3);

/** A scalar loss that routes values through every assigning rule kind and the delicate sharing patterns. */
function recordGraph(): { tape: Tape; inputs: TapeVar[] } {
  const t = new Tape({ maxBatch: 4 });
  const w = t.input([2, 2, 3, 3], 'w');
  const cb = t.input([2], 'cb');
  const W = t.input([8, 3], 'W');
  const b = t.input([3], 'b');
  const s = t.input([3], 's');
  const x = t.gatherRows(sampleData(16), [1, 4, 4]);
  const c = t.conv2d(t.concat([x, t.scale(x, 0.5)], 1), w, { padding: 1, bias: cb });
  const r = t.relu(c);
  const p = t.maxPool2d(r, { size: 2 });
  const q = t.avgPool2d(t.tanh(c), { size: 2 }); // c has two consumers: relu and tanh
  const h = t.flatten(t.add(p, q));
  const z = t.linear(h, W, b);
  const zz = t.mul(z, z); // one operand twice
  const zs = t.mul(z, s); // s broadcast over the batch: added to, never assigned
  const view = t.reshape(z, [3, 1]);
  const mixed = t.add(t.sum(t.mul(view, view), [1]), t.reshape(z, [3])); // a view beside its operand
  const lse = t.logSumExp(t.sigmoid(zz), -1);
  const ce = t.softmaxCrossEntropy(t.add(zs, mixed), t.gatherLabels(LABELS));
  t.output(t.add(t.mean(ce), t.mean(t.square(lse))));
  return { tape: t, inputs: [w, cb, W, b, s] };
}

/** Every value, tangent, adjoint and adjoint tangent buffer of the tape's arena set to NaN (inputs' values and tangents kept). */
function poison(t: Tape, keep: readonly TapeVar[]): Float64Array[] {
  const saved = keep.flatMap((v) => [v.val.slice(), v.dot.slice()]);
  const K = t.kernels;
  assert.ok(K !== null);
  const whole = new Float64Array((keep[0].val.buffer as ArrayBuffer), 0, K.used / 8);
  whole.fill(Number.NaN);
  keep.forEach((v, i) => {
    v.val.set(saved[2 * i]);
    v.dot.set(saved[2 * i + 1]);
  });
  return saved;
}

test('the graph of the poisoning test has the right first and second derivatives (central differences)', () => {
  const { tape, inputs } = recordGraph();
  const rng = Rng.fromSeed(5);
  const point = inputs.map((v) => Float64Array.from({ length: v.size }, () => 0.5 * rng.normal()));
  const r = checkTape(tape, inputs, point, { batch: Int32Array.of(0, 3, 5), seed: 2 });
  const worst = r.entries.reduce((m, e) => (e.error > m.error ? e : m));
  assert.ok(r.gradient <= FD_TOL && r.second <= FD_TOL, `worst ${worst.order} ${worst.wrt} / ${worst.direction}: ${worst.error}`);
});

test('replays give the same bits whatever their buffers held before (NaN everywhere between replays)', () => {
  const { tape, inputs } = recordGraph();
  const rng = Rng.fromSeed(11);
  for (const v of inputs) {
    rng.normals(v.val);
    rng.normals(v.dot);
    for (let i = 0; i < v.size; i++) v.val[i] *= 0.5;
  }
  const grad = tape.plan({ order: 1, wrt: inputs });
  const hvp = tape.plan({ order: 2, wrt: inputs, direction: inputs });
  const cross = tape.plan({ order: 2, wrt: inputs.slice(2), direction: inputs.slice(0, 2) });
  const batches = [Int32Array.of(0, 3, 5, 6), Int32Array.of(2, 1), Int32Array.of(6, 0, 4)];
  for (const batch of batches) {
    const clean = (plan: typeof grad, field: 'bar' | 'bdot') => {
      plan.run(batch);
      return inputs.map((v) => v[field].slice());
    };
    const expected = { grad: clean(grad, 'bar'), hvp: clean(hvp, 'bdot'), cross: clean(cross, 'bdot') };
    for (const [name, plan, field] of [['grad', grad, 'bar'], ['hvp', hvp, 'bdot'], ['cross', cross, 'bdot']] as const) {
      poison(tape, inputs);
      plan.run(batch);
      const wanted = name === 'cross' ? inputs.slice(2) : inputs;
      wanted.forEach((v) => {
        const i = inputs.indexOf(v);
        assert.ok(v[field].every(Number.isFinite), `${name}, batch [${batch}]: ${v.name} holds a stale NaN`);
        assert.deepEqual(Array.from(v[field]), Array.from(expected[name][i]), `${name}, batch [${batch}]: ${v.name} differs after poisoning`);
      });
    }
  }
});
