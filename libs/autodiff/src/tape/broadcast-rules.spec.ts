// add, sub, mul, div with numpy broadcasting (fixed and batched operands, a batch smaller than the capacity) and
// sum/mean over axes (the batch axis included): gradient and every second derivative against central differences
// (checkTape), over fast-check shapes and values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Tape } from './tape';
import type { TapeVar } from './tape';
import { assertDerivatives, batchArb, closeQuadratic, dims, operand, values } from '../fixtures/tape-cases';

const SEED = 17;
const RUNS = 30;

/** Two operand shapes that broadcast: each axis of a per-sample base shape kept or 1, leading axes of a fixed one dropped. */
const pairArb = fc
  .record({
    base: dims(0, 3),
    aBatched: fc.boolean(),
    bBatched: fc.boolean(),
    onesA: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    onesB: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    dropA: fc.integer({ min: 0, max: 3 }),
    dropB: fc.integer({ min: 0, max: 3 }),
    batch: batchArb,
  })
  .map((c) => {
    const shape = (ones: boolean[], batched: boolean, drop: number) => {
      const per = c.base.map((d, i) => (ones[i] ? 1 : d));
      return batched ? per : per.slice(Math.min(drop, per.length));
    };
    return { ...c, a: shape(c.onesA, c.aBatched, c.dropA), b: shape(c.onesB, c.bBatched, c.dropB) };
  });

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

const BINARY: readonly { name: 'add' | 'sub' | 'mul' | 'div'; bRange: [number, number] }[] = [
  { name: 'add', bRange: [-2, 2] },
  { name: 'sub', bRange: [-2, 2] },
  { name: 'mul', bRange: [-2, 2] },
  { name: 'div', bRange: [0.5, 2] },
];

for (const op of BINARY) {
  test(`tape ${op.name} with broadcasting: gradient and second derivatives (each operand, mixed) match central differences`, () => {
    const arb = pairArb.chain((c) => fc.tuple(fc.constant(c), values(size(c.a)), values(size(c.b), ...op.bRange)));
    fc.assert(
      fc.property(arb, ([c, va, vb]) => {
        const t = new Tape({ maxBatch: c.batch.cap });
        const a = operand(t, c.a, c.aBatched, 'a');
        const b = operand(t, c.b, c.bBatched, 'b');
        closeQuadratic(t, t[op.name](a.value, b.value));
        assertDerivatives(`${op.name} ${JSON.stringify(c.a)}${c.aBatched ? ' batched' : ''} ∘ ${JSON.stringify(c.b)}${c.bBatched ? ' batched' : ''}`, t, [a.input, b.input], [va, vb], c.batch.batch);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
}

test('tape mul of a value with itself and div of a value by itself (both operands one node)', () => {
  const t = new Tape();
  const u = t.input([2, 3], 'u');
  const y = t.add(t.mul(u, u), t.div(t.exp(u), t.add(t.exp(u), t.constant(1))));
  closeQuadratic(t, y);
  assertDerivatives('u⊙u + eᵘ/(eᵘ + 1)', t, [u], [Float64Array.of(0.3, -1.2, 0.8, 1.5, -0.4, 0.1)], Int32Array.of(0));
});

const reduceArb = fc
  .record({ shape: dims(1, 4), batched: fc.boolean(), pick: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), all: fc.boolean(), keepDims: fc.boolean(), batch: batchArb })
  .chain((c) => fc.tuple(fc.constant(c), values(size(c.shape))));

for (const fn of ['sum', 'mean'] as const) {
  test(`tape ${fn} over axes (the batch axis included, keepDims or not): derivatives match central differences`, () => {
    fc.assert(
      fc.property(reduceArb, ([c, v]) => {
        const t = new Tape({ maxBatch: c.batch.cap });
        const u = operand(t, c.shape, c.batched, 'u');
        const rank = c.shape.length + (c.batched ? 1 : 0);
        const axes = c.all ? undefined : Array.from({ length: rank }, (_, i) => i).filter((i) => c.pick[i]);
        // a nonlinearity before and after, so that the reduction's adjoint tangent is exercised
        const r: TapeVar = fn === 'sum' ? t.sum(t.square(u.value), axes, c.keepDims) : t.mean(t.square(u.value), axes, c.keepDims);
        closeQuadratic(t, t.tanh(r));
        assertDerivatives(`${fn} ${JSON.stringify(c.shape)}${c.batched ? ' batched' : ''} axes ${JSON.stringify(axes)}`, t, [u.input], [v], c.batch.batch);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
}

test('mean over the batch axis divides by the current batch size; sum keeps the batch axis when it is not reduced', () => {
  const t = new Tape({ maxBatch: 4 });
  const w = t.input([2], 'w');
  const x = t.mul(t.gatherRows(Float64Array.of(1, 2, 3, 4, 5, 6), [2]), w); // samples [1,2], [3,4], [5,6]
  const m = t.mean(x, [0]);
  const s = t.sum(x, [1]);
  assert.deepEqual([m.shape, m.batched, s.shape, s.batched], [[2], false, [4], true]);
  t.output(t.add(t.sum(m), t.scale(t.sum(s), 0)));
  w.val.set([1, 10]);
  t.plan({ order: 0 }).run(Int32Array.of(0, 2));
  assert.deepEqual(Array.from(m.val), [3, 40]);
  assert.deepEqual(Array.from(s.val.subarray(0, 2)), [21, 65]);
});

test('broadcasting errors name the op and both shapes', () => {
  const t = new Tape();
  const a = t.input([2, 3]);
  const b = t.input([4, 3]);
  assert.throws(() => t.mul(a, b), /Tape\.mul: operands must broadcast \(numpy rules: trailing axes equal or 1\), received shape \[2, 3\] and shape \[4, 3\]/);
  const x = t.gatherRows(new Float64Array(6), [3]);
  assert.throws(() => t.add(x, a), /Tape\.add: operands must broadcast \(numpy rules: trailing axes equal or 1; a fixed operand has length 1 or nothing on the batch axis\), received shape \[batch, 3\] and shape \[2, 3\]/);
  assert.throws(() => t.sum(a, [2]), /Tape\.sum: axis 2 is outside shape \[2, 3\] \(rank 2\)/);
});
