// Snapshot comparison to the bit: Object.is on every entry, counts included, timing ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyCounts } from '@bilevel/solvers';
import type { Snapshot } from '@bilevel/streams';
import { snapshotDifference } from './snapshot-difference';

const snap = (x: number[], over: Partial<Snapshot> = {}): Snapshot => ({
  iteration: 3,
  tick: 3,
  z: Float64Array.from([1, 2]),
  v: Float64Array.from([0.5]),
  x: Float64Array.from(x),
  solverSeconds: 0.1,
  counts: { inner: emptyCounts(), linsys: emptyCounts(), outer: emptyCounts(), total: emptyCounts() },
  diagnostics: {},
  final: false,
  ...over,
});

test('equal snapshots: no difference, whatever the timing', () => {
  assert.equal(snapshotDifference(snap([1, NaN]), snap([1, NaN], { solverSeconds: 9 })), undefined);
});

test('−0 and +0 differ to the bit; the first differing entry is named', () => {
  assert.equal(snapshotDifference(snap([1, 0]), snap([1, -0])), 'x[1] at iteration 3: 0 vs 0');
  assert.match(snapshotDifference(snap([1, 2]), snap([1, 2 + 2 ** -51]))!, /^x\[1\]/);
});

test('iterations, flags and oracle counts are compared too', () => {
  assert.match(snapshotDifference(snap([1]), snap([1], { iteration: 4 }))!, /^iteration: 3 vs 4/);
  assert.match(snapshotDifference(snap([1]), snap([1], { final: true }))!, /^final/);
  const counts = { inner: { ...emptyCounts(), hvp: 1 }, linsys: emptyCounts(), outer: emptyCounts(), total: emptyCounts() };
  assert.match(snapshotDifference(snap([1]), snap([1], { counts }))!, /^counts\.inner\.hvp/);
});
