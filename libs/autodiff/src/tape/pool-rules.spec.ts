// maxPool2d and avgPool2d on fixed and batched images of fast-check shapes: gradient and second derivatives against
// central differences (checkTape); max pooling only at points whose windows have a clear maximum (the kink of max is
// where two entries tie).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Tape } from './tape';
import { assertDerivatives, batchArb, closeQuadratic, operand, values } from '../fixtures/tape-cases';

const SEED = 37;
const RUNS = 25;
/** A window's maximum must exceed its runner-up by this much: far above the difference step (1e-5 × data ≤ 1.5). */
const TIE_MARGIN = 1e-3;

const poolArb = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 2 }),
    H: fc.integer({ min: 1, max: 5 }),
    W: fc.integer({ min: 1, max: 5 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    batched: fc.boolean(),
    batch: batchArb,
  })
  .filter((c) => c.kh <= c.H && c.kw <= c.W)
  .chain((c) => fc.tuple(fc.constant(c), values((c.batched ? 1 : c.n) * c.C * c.H * c.W)));

/** Smallest gap between a window's maximum and its runner-up over all windows of planes × H × W values. */
function smallestGap(x: Float64Array, planes: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number): number {
  let gap = Infinity;
  const OH = Math.floor((H - kh) / sh) + 1;
  const OW = Math.floor((W - kw) / sw) + 1;
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        const win: number[] = [];
        for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) win.push(x[p * H * W + (i * sh + a) * W + j * sw + b]);
        win.sort((u, v) => v - u);
        if (win.length > 1) gap = Math.min(gap, win[0] - win[1]);
      }
    }
  }
  return gap;
}

for (const kind of ['maxPool2d', 'avgPool2d'] as const) {
  test(`tape ${kind}: gradient and second derivatives match central differences`, () => {
    fc.assert(
      fc.property(poolArb, ([c, v]) => {
        const t = new Tape({ maxBatch: c.batch.cap });
        const x = operand(t, c.batched ? [c.C, c.H, c.W] : [c.n, c.C, c.H, c.W], c.batched, 'x');
        const y = t[kind](t.square(x.value), { size: [c.kh, c.kw], stride: [c.sh, c.sw] });
        closeQuadratic(t, y);
        if (kind === 'maxPool2d') {
          x.input.val.set(v);
          t.plan({ order: 0 }).run(c.batch.batch);
          const squares = y.args[0];
          const planes = (c.batched ? c.batch.batch.length : c.n) * c.C;
          fc.pre(smallestGap(squares.val, planes, c.H, c.W, c.kh, c.kw, c.sh, c.sw) > TIE_MARGIN);
        }
        assertDerivatives(`${kind} ${JSON.stringify({ ...c, batch: undefined })}`, t, [x.input], [v], c.batch.batch);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
}

test('tape pooling values: a 4×4 image, 2×2 windows', () => {
  const t = new Tape();
  const x = t.input([1, 1, 4, 4]);
  const m = t.maxPool2d(x, { size: 2 });
  const a = t.avgPool2d(x, { size: 2 });
  t.output(t.add(t.sum(m), t.sum(a)));
  x.val.set([1, 5, 2, 0, 3, 4, 8, 1, 0, 0, 1, 1, 9, 0, 1, 2]);
  t.plan({ order: 0 }).run(Int32Array.of(0));
  assert.deepEqual(Array.from(m.val), [5, 8, 9, 2]);
  assert.deepEqual(Array.from(a.val), [13 / 4, 11 / 4, 9 / 4, 5 / 4]);
  assert.throws(() => t.maxPool2d(x, { size: 5 }), /Tape\.maxPool2d: the tape is closed/);
  const u = new Tape();
  assert.throws(() => u.avgPool2d(u.input([1, 1, 3, 3]), { size: 4 }), /Tape\.avgPool2d: a 4×4 window does not fit the 3×3 images of x shape \[1, 1, 3, 3\]/);
});
