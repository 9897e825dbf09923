import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sinusoidTasks } from './sinusoid-tasks';

test('sinusoidTasks: task j is y = A sin(x + φ) with MAML\'s ranges, the same every time it is asked for', () => {
  const src = sinusoidTasks({ shots: 10, queries: 25, count: 1000, seed: 3 });
  assert.deepEqual([src.supportRows, src.queryRows, src.outputs, src.kind, src.inputShape], [10, 25, 1, 'regression', [1]]);
  for (const j of [0, 1, 999]) {
    const t = src.task(j);
    const { amplitude, phase } = src.parameters(j);
    assert.ok(amplitude >= 0.1 && amplitude <= 5 && phase >= 0 && phase <= Math.PI);
    for (const set of [t.support, t.query]) {
      for (let i = 0; i < set.rows; i++) {
        assert.ok(set.x[i] >= -5 && set.x[i] <= 5);
        assert.equal(set.y[i], amplitude * Math.sin(set.x[i] + phase));
      }
    }
    assert.deepEqual(src.task(j), t, 'drawn again identically');
  }
  assert.notDeepEqual(src.task(0).support.x, src.task(1).support.x);
  assert.notDeepEqual(sinusoidTasks({ seed: 4 }).task(0), sinusoidTasks({ seed: 3 }).task(0));
});

test('sinusoidTasks: bad options and task ids are refused with the field and what was expected', () => {
  assert.throws(() => sinusoidTasks({ shots: 0 }), /sinusoidTasks: shots must be an integer in 1\.\.100000, received 0/);
  assert.throws(() => sinusoidTasks({ amplitude: [5, 0.1] }), /amplitude must be a range \[lo, hi\] of finite numbers with lo ≤ hi/);
  assert.throws(() => sinusoidTasks({ K: 5 } as object), /unknown option K/);
  assert.throws(() => sinusoidTasks({ count: 10 }).task(10), /task id must be an integer in 0\.\.9, received 10/);
});
