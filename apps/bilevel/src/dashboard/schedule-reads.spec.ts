// The versions each stream read, from the schedule's own description (libs/streams/src/schedule.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussSeidel, jacobi, multiRate } from '@bilevel/streams';
import { scheduleReads } from './schedule-reads';

test('jacobi: after t ticks every stream took t steps, the last of which read iterate t − 1 of all three', () => {
  const r = scheduleReads(jacobi(), 10);
  for (const s of ['inner', 'linsys', 'outer'] as const) assert.deepEqual(r[s], { steps: 10, z: 9, v: 9, x: 9, own: 10 });
});

test('gauss-seidel: v reads the z of the same tick, x the z and v of the same tick', () => {
  const r = scheduleReads(gaussSeidel(), 4);
  assert.deepEqual(r.inner, { steps: 4, z: 3, v: 3, x: 3, own: 4 });
  assert.deepEqual(r.linsys, { steps: 4, z: 4, v: 3, x: 3, own: 4 });
  assert.deepEqual(r.outer, { steps: 4, z: 4, v: 4, x: 3, own: 4 });
});

test('multi-rate(3): z and v step every tick reading x_s; x steps every third tick reading z and v after them', () => {
  const r = scheduleReads(multiRate({ k: 3 }), 7);
  assert.deepEqual(r.inner, { steps: 7, z: 6, v: 6, x: 2, own: 7 });
  assert.deepEqual(r.outer, { steps: 2, z: 6, v: 6, x: 1, own: 2 });
});

test('before the first step nothing was read', () => {
  assert.deepEqual(scheduleReads(multiRate({ k: 2 }), 1).outer, { steps: 0, z: null, v: null, x: null, own: 0 });
});
