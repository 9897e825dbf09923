// Every elementwise function of the tape (and scale, neg) on fixed and batched tensors of fast-check shapes: gradient
// and second derivatives against central differences (checkTape); relu and leakyRelu away from their kink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Tape } from './tape';
import type { TapeVar } from './tape';
import { assertDerivatives, batchArb, closeQuadratic, dims, operand, values } from '../fixtures/tape-cases';

const SEED = 23;
const RUNS = 20;
/** Distance kept from a kink: far above the difference step (1e-5 times data ≤ 1.5). */
const KINK_MARGIN = 0.05;

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
const awayFromZero = (v: Float64Array) => v.map((e) => (e >= 0 ? e + KINK_MARGIN : e - KINK_MARGIN));

interface UnaryCase {
  readonly name: string;
  readonly range: readonly [number, number];
  readonly op: (t: Tape, u: TapeVar) => TapeVar;
  readonly kink?: boolean;
}

const CASES: readonly UnaryCase[] = [
  { name: 'exp', range: [-2, 2], op: (t, u) => t.exp(u) },
  { name: 'log', range: [0.3, 3], op: (t, u) => t.log(u) },
  { name: 'tanh', range: [-3, 3], op: (t, u) => t.tanh(u) },
  { name: 'sigmoid', range: [-6, 6], op: (t, u) => t.sigmoid(u) },
  { name: 'softplus', range: [-6, 6], op: (t, u) => t.softplus(u) },
  { name: 'square', range: [-2, 2], op: (t, u) => t.square(u) },
  { name: 'sqrt', range: [0.3, 3], op: (t, u) => t.sqrt(u) },
  { name: 'rsqrt', range: [0.3, 3], op: (t, u) => t.rsqrt(u) },
  { name: 'relu', range: [-2, 2], op: (t, u) => t.relu(u), kink: true },
  { name: 'leakyRelu', range: [-2, 2], op: (t, u) => t.leakyRelu(u, 0.2), kink: true },
  { name: 'scale', range: [-2, 2], op: (t, u) => t.scale(u, -1.5) },
  { name: 'neg', range: [-2, 2], op: (t, u) => t.neg(u) },
];

for (const c of CASES) {
  test(`tape ${c.name} on fixed and batched tensors: gradient and second derivatives match central differences`, () => {
    const arb = fc
      .record({ shape: dims(0, 3), batched: fc.boolean(), batch: batchArb })
      .chain((k) => fc.tuple(fc.constant(k), values(size(k.shape), ...c.range), values(size(k.shape), -1, 1)));
    fc.assert(
      fc.property(arb, ([k, v, w]) => {
        const t = new Tape({ maxBatch: k.batch.cap });
        const u = operand(t, k.shape, k.batched, 'u');
        const b = t.input([...k.shape], 'b');
        // y = φ(u) ⊙ (1 + b²): second derivatives of φ, and mixed ones through the product
        const y = t.mul(c.op(t, u.value), t.add(t.square(b), t.constant(1)));
        closeQuadratic(t, y);
        assertDerivatives(`${c.name} ${JSON.stringify(k.shape)}${k.batched ? ' batched' : ''}`, t, [u.input, b], [c.kink ? awayFromZero(v) : v, w], k.batch.batch);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
}

test('relu and leakyRelu take the slope of the left side at 0 and have no second-order term', () => {
  const t = new Tape();
  const u = t.input(3);
  t.output(t.add(t.sum(t.relu(u)), t.sum(t.leakyRelu(u, 0.1))));
  const plan = t.plan({ order: 2, wrt: [u], direction: [u] });
  const grad = t.plan({ order: 1, wrt: [u] });
  u.val.set([-1, 0, 2]);
  u.dot.set([1, 1, 1]);
  grad.run(Int32Array.of(0));
  assert.deepEqual(Array.from(u.bar), [0.1, 0.1, 2]);
  plan.run(Int32Array.of(0));
  assert.deepEqual(Array.from(u.bdot), [0, 0, 0]);
  // no second-order source: the HVP plan runs no reverse sweep at all
  assert.equal(plan.work.reverse, 0);
});
