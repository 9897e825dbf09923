// conv2d (stride, zero padding, bias; images fixed or batched, a batch smaller than the capacity): gradient and second
// derivatives in x, w and the bias and mixed, against central differences (checkTape), over fast-check shapes; and
// the value against a direct sum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Tape } from './tape';
import { assertDerivatives, batchArb, closeQuadratic, operand, values } from '../fixtures/tape-cases';

const SEED = 31;
const RUNS = 20;

const convArb = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 2 }),
    H: fc.integer({ min: 2, max: 5 }),
    W: fc.integer({ min: 2, max: 5 }),
    O: fc.integer({ min: 1, max: 2 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    sh: fc.integer({ min: 1, max: 2 }),
    sw: fc.integer({ min: 1, max: 2 }),
    ph: fc.integer({ min: 0, max: 1 }),
    pw: fc.integer({ min: 0, max: 1 }),
    batched: fc.boolean(),
    bias: fc.boolean(),
    batch: batchArb,
  })
  .filter((c) => c.kh <= c.H + 2 * c.ph && c.kw <= c.W + 2 * c.pw)
  .chain((c) => {
    const xs = (c.batched ? 1 : c.n) * c.C * c.H * c.W;
    return fc.tuple(fc.constant(c), values(xs), values(c.O * c.C * c.kh * c.kw), values(c.O));
  });

test('tape conv2d: gradient and second derivatives in x, w, bias (mixed included) match central differences', () => {
  fc.assert(
    fc.property(convArb, ([c, vx, vw, vb]) => {
      const t = new Tape({ maxBatch: c.batch.cap });
      const x = operand(t, c.batched ? [c.C, c.H, c.W] : [c.n, c.C, c.H, c.W], c.batched, 'x');
      const w = t.input([c.O, c.C, c.kh, c.kw], 'w');
      const b = t.input([c.O], 'bias');
      const y = t.conv2d(x.value, w, { stride: [c.sh, c.sw], padding: [c.ph, c.pw], bias: c.bias ? b : undefined });
      closeQuadratic(t, c.bias ? t.tanh(y) : t.add(t.tanh(y), t.scale(t.sum(b), 0)));
      assertDerivatives(`conv2d ${JSON.stringify({ ...c, batch: undefined })}`, t, [x.input, w, b], [vx, vw, vb], c.batch.batch);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('tape conv2d value: a 3×3 image, a 2×2 filter, stride 1, padding 1, bias (direct sums)', () => {
  const t = new Tape();
  const x = t.input([1, 1, 3, 3]);
  const w = t.input([1, 1, 2, 2]);
  const b = t.input([1]);
  const y = t.conv2d(x, w, { padding: 1, bias: b });
  t.output(t.sum(y));
  assert.deepEqual(y.shape, [1, 1, 4, 4]);
  x.val.set([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  w.val.set([1, 10, 100, 1000]);
  b.val.set([0.5]);
  t.plan({ order: 0 }).run(Int32Array.of(0));
  // out[i, j] = Σ_{p,q} x[i+p−1, j+q−1]·w[p, q]: the corner out[0, 0] sees only x[0, 0]·w[1, 1]
  assert.equal(y.val[0], 1000 + 0.5);
  assert.equal(y.val[5], 1 * 1 + 2 * 10 + 4 * 100 + 5 * 1000 + 0.5);
  assert.equal(y.val[15], 9 * 1 + 0.5);
});

test('conv2d rejects mismatched channels and kernels that do not fit, naming the shapes', () => {
  const t = new Tape();
  const x = t.input([1, 2, 3, 3]);
  assert.throws(() => t.conv2d(x, t.input([1, 3, 2, 2])), /Tape\.conv2d: w has 3 input channels but x has 2 \(x shape \[1, 2, 3, 3\], w shape \[1, 3, 2, 2\]\)/);
  assert.throws(() => t.conv2d(x, t.input([1, 2, 4, 4])), /Tape\.conv2d: a 4×4 kernel does not fit a 3×3 image padded by \(0, 0\)/);
  assert.throws(() => t.conv2d(x, t.input([1, 2, 2, 2]), { stride: 0 }), /Tape\.conv2d: options\.stride must be an integer ≥ 1 or a pair of them, received 0/);
  assert.throws(() => t.conv2d(x, t.input([4, 2, 2, 2]), { bias: t.input([3]) }), /Tape\.conv2d: options\.bias must have shape \[4\] \(the output channels\), received length 3/);
});
