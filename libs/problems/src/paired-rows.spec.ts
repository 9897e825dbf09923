// The gradient accumulation on paired rows (PairedBatches + SimdArena.csr10AccumulatePairs) against the JavaScript
// loop: the same bits on random sparse images and random batches (odd and even sizes, repeated rows, empty rows),
// first use and cached reuse; and the cases where the pairing must not be used (a changed batch, a full region,
// a non-finite W, batches too small or too large), which must still give the JavaScript bits; and a full region
// starting over once its pairings were used (the blocks of an earlier run), with the same bits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng, SimdArena, simdAvailable } from '@bilevel/linalg';
import { PairedBatches, pairedBytes, pairedCapacity } from './paired-rows';
import type { PixelSimd } from './pixel-rows';
import { countStored, pixelRows, pixelScaling } from './pixel-rows';
import { batchGradient } from './softmax-kernels';

const sameBits = (a: Float64Array, b: Float64Array, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

/** Random 8-bit images (about half the pixels zero, some rows empty) in an arena with room to pair `passes` × rows. */
function setup(rows: number, cols: number, maxBatch: number, seed: number, passes: number) {
  const rng = Rng.fromSeed(seed);
  const px = Uint8Array.from({ length: rows * cols }, (_, i) => (Math.floor(i / cols) % 7 === 3 || rng.float() < 0.5 ? 0 : rng.int(1, 255)));
  const all = Int32Array.from({ length: rows }, (_, i) => i);
  const dim = cols * 10;
  const nnz = countStored(px, cols, all);
  const cap = pairedCapacity([{ stored: nnz, rows, passes }]);
  const extra = pairedBytes(cap.entries, cap.pairs);
  const arena = new SimdArena(
    SimdArena.bytesFor({ u16: [nnz, ...extra.u16], u8: [nnz, ...extra.u8], i32: [rows + 1, maxBatch, ...extra.i32], f64: [dim, 10 * maxBatch] }),
  );
  const pairs = new PairedBatches(arena, cap.entries, cap.pairs);
  const simd: PixelSimd = { arena, batch: arena.i32(maxBatch), acc: arena.f64(dim), pairs };
  const Xs = pixelRows(px, cols, all, simd);
  const Xj = pixelRows(px, cols, all);
  const W = arena.f64(10 * maxBatch);
  return { rng, Xs, Xj, scaling: pixelScaling(Xj), pairs, W, dim };
}

test('batchGradient on paired rows gives the bits of the JavaScript loop, at first use and from the cache', { skip: !simdAvailable() }, () => {
  fc.assert(
    fc.property(
      fc.record({ rows: fc.integer({ min: 1, max: 30 }), cols: fc.integer({ min: 1, max: 40 }), m: fc.integer({ min: 0, max: 33 }), seed: fc.integer({ min: 0, max: 1e6 }) }),
      ({ rows, cols, m, seed }) => {
        // room for m passes over the rows: a batch with repeats still fits
        const { rng, Xs, Xj, scaling, pairs, W, dim } = setup(rows, cols, Math.max(m, 1), seed, Math.max(m, 1));
        const batch = Int32Array.from({ length: m }, () => rng.int(0, rows - 1));
        for (let round = 0; round < 2; round++) {
          for (let i = 0; i < 10 * m; i++) W[i] = rng.normal();
          const gS = new Float64Array(dim).fill(NaN);
          const gJ = new Float64Array(dim).fill(NaN);
          batchGradient(Xs, scaling, batch, W, 0.7, gS);
          batchGradient(Xj, scaling, batch, Float64Array.from(W.subarray(0, 10 * m)), 0.7, gJ);
          sameBits(gS, gJ, `gradient, round ${round}`);
        }
        // batches of two rows or more are paired (the region holds them), and the second use is the cached pairing
        const paired = pairs.get(Xs, batch);
        assert.equal(paired !== undefined, m >= 2);
        if (paired) {
          assert.equal(paired.pairs, Math.ceil(m / 2));
          assert.equal(pairs.get(Xs, batch), paired);
        }
      },
    ),
    { seed: 5, numRuns: 150 },
  );
});

test('a pairing is not used for a changed batch, a full region of fresh pairings, a non-finite W, or too small and too large batches; a full region of used ones starts over', { skip: !simdAvailable() }, () => {
  const { rng, Xs, Xj, scaling, pairs, W, dim } = setup(40, 30, 40, 3, 1);
  const check = (batch: Int32Array, what: string) => {
    const gS = new Float64Array(dim);
    const gJ = new Float64Array(dim);
    batchGradient(Xs, scaling, batch, W, 1, gS);
    batchGradient(Xj, scaling, batch, Float64Array.from(W.subarray(0, 10 * batch.length)), 1, gJ);
    sameBits(gS, gJ, what);
  };
  for (let i = 0; i < W.length; i++) W[i] = rng.normal();
  const a = Int32Array.from({ length: 20 }, (_, k) => k);
  assert.ok(pairs.get(Xs, a), 'a fresh batch is paired');
  // the region holds one pass over the rows: rows 20..39 fit, a third batch does not while the two are fresh
  const b = Int32Array.from({ length: 20 }, (_, k) => 20 + k);
  const bFirst = pairs.get(Xs, b);
  assert.ok(bFirst, 'the second half fits');
  const c = Int32Array.from({ length: 20 }, (_, k) => k);
  assert.equal(pairs.get(Xs, c), undefined, 'no room left');
  a[3] = 39; // changed content under the same array: the cached pairing would be wrong
  assert.equal(pairs.get(Xs, a), undefined, 'a changed batch is not paired again');
  check(a, 'changed batch');
  // the pairings held have now been asked for twice each on average: a new batch that does not fit starts the
  // region over (an earlier run's blocks), and the batches paired before are paired again when next seen
  const d = Int32Array.from({ length: 20 }, (_, k) => 39 - k);
  assert.ok(pairs.get(Xs, d), 'the region started over for a new batch');
  check(d, 'batch paired after the region started over');
  const bAgain = pairs.get(Xs, b);
  assert.ok(bAgain && bAgain !== bFirst, 'an earlier batch is paired again, anew');
  check(b, 'earlier batch paired again');
  check(c, 'batch refused earlier');
  // a non-finite W: the JavaScript bits (NaN only where a row stores the pixel), not the pairing's 0·∞
  W[10 * 2 + 4] = Infinity;
  check(b, 'non-finite W');
  assert.equal(pairs.get(Xs, Int32Array.of(5)), undefined, 'one row is not paired');
  const small = new PairedBatches(new SimdArena(SimdArena.bytesFor(pairedBytes(10_000, 100))), 10_000, 100, 8);
  assert.equal(small.get(Xs, Int32Array.from({ length: 9 }, (_, k) => k)), undefined, 'beyond maxRows');
  assert.ok(small.get(Xs, Int32Array.from({ length: 8 }, (_, k) => k)), 'at maxRows');
});

test('prepare pairs a solver set-up\'s batches ahead; a later set-up that does not fit starts the region over, keeping its own earlier batches', { skip: !simdAvailable() }, async () => {
  const { Xs, pairs } = setup(40, 30, 40, 4, 1); // room for one pass over the 40 rows
  const rows = (from: number, n: number) => Int32Array.from({ length: n }, (_, k) => (from + k) % 40);
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  // an earlier run's set-up: 30 rows
  const old = [rows(0, 15), rows(15, 15)];
  pairs.prepare(Xs, old);
  assert.ok(old.every((b) => pairs.has(b)));
  await turn();
  // a new set-up in two calls (two samplers), 16 + 16 rows: the first fits beside the old run's, the second does not
  const first = [rows(0, 16)];
  const second = [rows(16, 16)];
  pairs.prepare(Xs, first);
  pairs.prepare(Xs, second);
  assert.ok([...first, ...second].every((b) => pairs.has(b)), 'the new set-up holds all its batches');
  assert.ok(!old.some((b) => pairs.has(b)), 'the earlier run\'s pairings were dropped');
  await turn();
  // a set-up that overflows the room on its own keeps what fits, and the rest is refused without being remembered
  const big = [rows(0, 20), rows(20, 20), rows(5, 20)];
  pairs.prepare(Xs, big);
  assert.deepEqual(big.map((b) => pairs.has(b)), [true, true, false]);
  assert.equal(pairs.get(Xs, big[2]), undefined, 'no room while the held pairings are fresh');
  assert.ok(!pairs.has(big[2]), 'a refusal for lack of room is not cached');
  for (let k = 0; k < 4; k++) assert.ok(pairs.get(Xs, big[k % 2]));
  assert.ok(pairs.get(Xs, big[2]), 'once the held pairings were used, the refused batch starts the region over and is paired');
});
