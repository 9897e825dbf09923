// matmul (both operands fixed, with either transposed; a's rows the batch; a contraction over the batch) and linear
// (x·W + bias): gradient and second derivatives in each operand and mixed, against central differences (checkTape),
// over fast-check shapes, values and batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Tape } from './tape';
import { assertDerivatives, batchArb, closeQuadratic, operand, values } from '../fixtures/tape-cases';

const SEED = 29;
const RUNS = 25;
const dim = fc.integer({ min: 1, max: 4 });

test('tape matmul of fixed operands (transA, transB): derivatives match central differences', () => {
  const arb = fc
    .record({ m: dim, n: dim, k: dim, tA: fc.boolean(), tB: fc.boolean() })
    .chain((c) => fc.tuple(fc.constant(c), values(c.m * c.k), values(c.k * c.n)));
  fc.assert(
    fc.property(arb, ([c, va, vb]) => {
      const t = new Tape();
      const a = t.input(c.tA ? [c.k, c.m] : [c.m, c.k], 'a');
      const b = t.input(c.tB ? [c.n, c.k] : [c.k, c.n], 'b');
      const y = t.matmul(a, b, { transA: c.tA, transB: c.tB });
      assert.deepEqual(y.shape, [c.m, c.n]);
      closeQuadratic(t, y);
      assertDerivatives(`matmul ${JSON.stringify(c)}`, t, [a, b], [va, vb], Int32Array.of(0));
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('tape matmul with the batch as the rows of a, and as the contraction (aᵀ·b, both batched): derivatives match', () => {
  const arb = fc
    .record({ m: dim, n: dim, k: dim, tB: fc.boolean(), contract: fc.boolean(), batch: batchArb })
    .chain((c) => fc.tuple(fc.constant(c), values(c.contract ? c.m : c.k), values(c.contract ? c.n : c.k * c.n)));
  fc.assert(
    fc.property(arb, ([c, va, vb]) => {
      const t = new Tape({ maxBatch: c.batch.cap });
      if (c.contract) {
        const a = operand(t, [c.m], true, 'a'); // [batch, m]
        const b = operand(t, [c.n], true, 'b'); // [batch, n]
        const y = t.matmul(a.value, b.value, { transA: true });
        assert.deepEqual([y.shape, y.batched], [[c.m, c.n], false]);
        closeQuadratic(t, y);
        assertDerivatives(`aᵀ·b over the batch ${JSON.stringify(c)}`, t, [a.input, b.input], [va, vb], c.batch.batch);
      } else {
        const a = operand(t, [c.k], true, 'a'); // [batch, k]
        const b = t.input(c.tB ? [c.n, c.k] : [c.k, c.n], 'b');
        const y = t.matmul(a.value, b, { transB: c.tB });
        assert.deepEqual([y.shape, y.batched], [[c.batch.cap, c.n], true]);
        closeQuadratic(t, y);
        assertDerivatives(`[batch, k]·b ${JSON.stringify(c)}`, t, [a.input, b], [va, vb], c.batch.batch);
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('tape linear x·W + bias (x fixed or batched, bias or none) inside a tanh layer: derivatives match', () => {
  const arb = fc
    .record({ rows: dim, n: dim, k: dim, batched: fc.boolean(), bias: fc.boolean(), batch: batchArb })
    .chain((c) => fc.tuple(fc.constant(c), values(c.batched ? c.k : c.rows * c.k), values(c.k * c.n), values(c.n)));
  fc.assert(
    fc.property(arb, ([c, vx, vw, vb]) => {
      const t = new Tape({ maxBatch: c.batch.cap });
      const x = operand(t, c.batched ? [c.k] : [c.rows, c.k], c.batched, 'x');
      const W = t.input([c.k, c.n], 'W');
      const b = t.input([c.n], 'bias');
      const y = c.bias ? t.linear(x.value, W, b) : t.add(t.linear(x.value, W), t.scale(b, 0));
      closeQuadratic(t, t.tanh(y));
      assertDerivatives(`linear ${JSON.stringify(c)}`, t, [x.input, W, b], [vx, vw, vb], c.batch.batch);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('matmul and linear reject shapes that do not multiply, naming the operands and their shapes', () => {
  const t = new Tape();
  const a = t.input([2, 3]);
  const b = t.input([2, 4]);
  assert.throws(() => t.matmul(a, b), /Tape\.matmul: inner dimensions differ: a shape \[2, 3\] times b shape \[2, 4\]/);
  assert.throws(() => t.matmul(a, t.input(3)), /Tape\.matmul: a and b must be 2-D, received shape \[2, 3\] and length 3/);
  const x = t.gatherRows(new Float64Array(8), [2]);
  assert.throws(() => t.matmul(b, x, { transA: true, transB: true }), /Tape\.matmul: a batched operand must have the batch as the rows of a/);
  assert.throws(() => t.linear(x, b, t.input([3])), /Tape\.linear: bias must have shape \[4\] \(the output columns\), received length 3/);
});
