// concat along any non-batch axis, reshape and flatten (views): gradient and second derivatives against central
// differences (checkTape) over fast-check shapes, values and batches; values and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Tape } from './tape';
import { assertDerivatives, batchArb, closeQuadratic, dims, operand, values } from '../fixtures/tape-cases';

const SEED = 43;
const RUNS = 25;
const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

test('tape concat of 1–3 operands along an axis (fixed or batched): derivatives match central differences', () => {
  const arb = fc
    .record({ base: dims(1, 3), lens: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }), axis: fc.nat(), batched: fc.boolean(), batch: batchArb })
    .map((c) => {
      const axis = c.axis % c.base.length;
      return { ...c, axis, shapes: c.lens.map((l) => c.base.map((d, i) => (i === axis ? l : d))) };
    })
    .chain((c) => fc.tuple(fc.constant(c), fc.tuple(...c.shapes.map((s) => values(size(s))))));
  fc.assert(
    fc.property(arb, ([c, vs]) => {
      const t = new Tape({ maxBatch: c.batch.cap });
      const ops = c.shapes.map((s, i) => operand(t, s, c.batched, `u${i}`));
      // each operand squared (a nonlinearity below the concat), a tanh above
      const y = t.concat(ops.map((o) => t.square(o.value)), c.batched ? c.axis + 1 : c.axis);
      closeQuadratic(t, t.tanh(y));
      assertDerivatives(`concat ${JSON.stringify(c.shapes)}${c.batched ? ' batched' : ''} axis ${c.axis}`, t, ops.map((o) => o.input), vs, c.batch.batch);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('tape reshape and flatten (views of the same buffers): derivatives match central differences', () => {
  const arb = fc.record({ shape: dims(1, 3), batched: fc.boolean(), batch: batchArb }).chain((c) => fc.tuple(fc.constant(c), values(size(c.shape))));
  fc.assert(
    fc.property(arb, ([c, v]) => {
      const t = new Tape({ maxBatch: c.batch.cap });
      const u = operand(t, c.shape, c.batched, 'u');
      const n = size(c.shape);
      const flat = t.flatten(t.tanh(u.value));
      const back = t.reshape(flat, [...c.shape].reverse());
      assert.equal(back.val, flat.val);
      const w = t.constant(Float64Array.from({ length: n }, (_, i) => 1 + i / n), [...c.shape].reverse());
      closeQuadratic(t, t.mul(back, w));
      assertDerivatives(`reshape ${JSON.stringify(c.shape)}${c.batched ? ' batched' : ''}`, t, [u.input], [v], c.batch.batch);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('concat, reshape and flatten: values, shapes and errors', () => {
  const t = new Tape({ maxBatch: 2 });
  const a = t.input([2, 1]);
  const b = t.input([2, 2]);
  const c = t.concat([a, b], 1);
  assert.deepEqual(c.shape, [2, 3]);
  const x = t.gatherRows(Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8), [2, 2]);
  assert.deepEqual(t.flatten(x).shape, [2, 4]);
  assert.deepEqual(t.reshape(x, [-1]).shape, [2, 4]);
  assert.throws(() => t.reshape(b, [3]), /Tape\.reshape: shape must be positive integers \(one may be −1\) holding the 4 entries of shape \[2, 2\], received \[3\]/);
  assert.throws(() => t.concat([a, t.input([3, 1])], 1), /Tape\.concat: list\[1\] has shape \[3, 1\], which does not match shape \[2, 1\] outside axis 1/);
  assert.throws(() => t.concat([x, x], 0), /Tape\.concat: axis 0 of batched values is the batch axis/);
  t.output(t.sum(c));
  a.val.set([1, 2]);
  b.val.set([3, 4, 5, 6]);
  t.plan({ order: 0 }).run(Int32Array.of(1));
  assert.deepEqual(Array.from(c.val), [1, 3, 4, 2, 5, 6]);
});
