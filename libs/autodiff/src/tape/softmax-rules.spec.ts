// logSumExp along any axis and softmaxCrossEntropy (gathered labels on batched logits, constant labels on fixed ones):
// gradient and second derivatives against central differences (checkTape) over fast-check shapes and values, and the
// stability of both at large logits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Tape } from './tape';
import { assertDerivatives, batchArb, closeQuadratic, dims, operand, SAMPLES, values } from '../fixtures/tape-cases';

const SEED = 41;
const RUNS = 25;
const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

test('tape logSumExp along an axis (fixed or batched, keepDims or not): derivatives match central differences', () => {
  const arb = fc
    .record({ shape: dims(1, 3), batched: fc.boolean(), axis: fc.nat(), keepDims: fc.boolean(), batch: batchArb })
    .chain((c) => fc.tuple(fc.constant(c), values(size(c.shape), -3, 3), values(size(c.shape))));
  fc.assert(
    fc.property(arb, ([c, vu, vb]) => {
      const t = new Tape({ maxBatch: c.batch.cap });
      const u = operand(t, c.shape, c.batched, 'u');
      const b = t.input([...c.shape], 'b');
      const rank = c.shape.length + (c.batched ? 1 : 0);
      const axis = c.batched ? 1 + (c.axis % (rank - 1)) : c.axis % rank;
      // lse(u + b²): mixed second derivatives through the sum
      const y = t.logSumExp(t.add(u.value, t.square(b)), axis, c.keepDims);
      closeQuadratic(t, y);
      assertDerivatives(`logSumExp ${JSON.stringify(c.shape)}${c.batched ? ' batched' : ''} axis ${axis}`, t, [u.input, b], [vu, vb], c.batch.batch);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

const LABELS = Int32Array.from({ length: SAMPLES }, (_, j) => (3 * j + 1) % 4);

test('tape softmaxCrossEntropy (batched logits with gathered labels, fixed logits with constant labels): derivatives match', () => {
  const arb = fc
    .record({ K: fc.integer({ min: 1, max: 4 }), rows: fc.integer({ min: 1, max: 3 }), batched: fc.boolean(), batch: batchArb })
    .chain((c) => fc.tuple(fc.constant(c), values(c.batched ? c.K : c.rows * c.K, -3, 3), values(c.K)));
  fc.assert(
    fc.property(arb, ([c, vz, vb]) => {
      const t = new Tape({ maxBatch: c.batch.cap });
      const z = operand(t, c.batched ? [c.K] : [c.rows, c.K], c.batched, 'logits');
      const b = t.input([c.K], 'b');
      const labels = c.batched
        ? t.gatherLabels(LABELS.map((l) => l % c.K))
        : t.constant(Float64Array.from({ length: c.rows }, (_, r) => (r * 7) % c.K));
      const y = t.softmaxCrossEntropy(t.add(z.value, t.mul(b, b)), labels);
      assert.deepEqual(y.shape, [c.batched ? c.batch.cap : c.rows]);
      closeQuadratic(t, y);
      assertDerivatives(`softmaxCrossEntropy ${JSON.stringify({ ...c, batch: undefined })}`, t, [z.input, b], [vz, vb], c.batch.batch);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('logSumExp and softmaxCrossEntropy are stable at logits of ±1000 (the maximum subtracted)', () => {
  const t = new Tape();
  const z = t.input([2, 3]);
  const lse = t.logSumExp(z, 1);
  const ce = t.softmaxCrossEntropy(z, t.constant(Float64Array.of(0, 2)));
  t.output(t.add(t.sum(lse), t.sum(ce)));
  z.val.set([1000, 999, -1000, -1000, 0, 1000]);
  const grad = t.plan({ order: 1, wrt: [z] });
  grad.run(Int32Array.of(0));
  const e = Math.exp(-1);
  const l0 = 1000 + Math.log(1 + e);
  assert.ok(Math.abs(lse.val[0] - l0) < 1e-12 && lse.val[1] === 1000);
  assert.ok(Math.abs(ce.val[0] - (l0 - 1000)) < 1e-12 && ce.val[1] === 0);
  assert.ok(Array.from(z.bar).every(Number.isFinite));
});

test('softmaxCrossEntropy rejects labels that are not class indices of the logits, naming them', () => {
  const t = new Tape();
  const z = t.input([2, 3]);
  assert.throws(() => t.softmaxCrossEntropy(z, t.constant(Float64Array.of(0, 3))), /Tape\.softmaxCrossEntropy: labels hold 3 at 1, not a class index in 0\.\.2/);
  assert.throws(() => t.softmaxCrossEntropy(z, t.input(2)), /Tape\.softmaxCrossEntropy: labels must be gathered labels \(gatherLabels\) or a constant with one class per row of logits shape \[2, 3\], received length 2 from input/);
  assert.throws(() => t.gatherLabels(Float64Array.of(0, 1.5)), /Tape\.gatherLabels: labels\[1\] must be an integer ≥ 0 \(a class index\), received 1\.5/);
  assert.throws(() => t.logSumExp(t.gatherRows(new Float64Array(4), [2]), 0), /Tape\.logSumExp: axis 0 of a batched value is the batch axis/);
});
