// The implementations of the peer benchmark and their thread budgets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { implementations } from './implementations';

test('with the threads driver, each Python peer runs at 1 BLAS thread and again at the driver\'s budget', () => {
  const impls = implementations({ peers: ['loop', 'streams', 'threads', 'numpy', 'numba'], blasThreads: 1, ourThreads: 2 });
  assert.deepEqual(
    impls.map((m) => [m.id, m.peer, m.threads, m.ours]),
    [
      ['loop', 'loop', 1, true],
      ['streams', 'streams', 1, true],
      ['threads', 'threads', 2, true],
      ['numpy', 'numpy', 1, false],
      ['numpy-2t', 'numpy', 2, false],
      ['numba', 'numba', 1, false],
      ['numba-2t', 'numba', 2, false],
    ],
  );
  assert.equal(impls[2].label, 'toolkit (streams on 2 threads)');
  assert.equal(impls[3].label, 'numpy');
  assert.equal(impls[4].label, 'numpy (2 BLAS threads)');
});

test('no second run of the Python peers when the budgets already match or there is no threads driver', () => {
  const same = implementations({ peers: ['loop', 'threads', 'numba'], blasThreads: 3, ourThreads: 3 });
  assert.deepEqual(same.map((m) => [m.id, m.threads]), [['loop', 1], ['threads', 3], ['numba', 3]]);
  const none = implementations({ peers: ['loop', 'streams', 'numpy'], blasThreads: 1, ourThreads: 2 });
  assert.deepEqual(none.map((m) => m.id), ['loop', 'streams', 'numpy']);
});
