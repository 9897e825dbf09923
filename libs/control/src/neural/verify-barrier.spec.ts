// verifyBarrier's cells in 4-D: 12 cells per state dimension are 20,736 cells, more than the default budget of
// 20,000 boxes, so the cart-pole's initial condition ended "unknown" with 736 cells never looked at, whatever the
// barrier. The cells per dimension are capped so that every cell fits in half the budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '@bilevel/verify';
import type { BarrierCondition } from './closed-loop-graph';
import { verifyBarrier } from './verify-barrier';

test('verifyBarrier: a 4-D condition with 12 cells per dimension is proved within 20,000 boxes (every cell is looked at)', () => {
  // B(x) = ‖x‖² − 1 ≤ 0 on the initial ball ‖x‖ ≤ 0.1 of the cart-pole (bounding box [−0.1, 0.1]⁴)
  const g = new Graph(4);
  const x = g.inputs();
  const sq = g.affine(x.map((xi) => g.pow(xi, 2)), [1, 1, 1, 1], 0);
  const condition: BarrierCondition = {
    name: 'initial',
    graph: g,
    objective: g.affine([sq], [1], -1),
    constraints: [g.affine([sq], [1], -0.01)],
    box: { lo: [-0.1, -0.1, -0.1, -0.1], hi: [0.1, 0.1, 0.1, 0.1] },
    margin: 0,
    stateDims: 4,
  };
  const v = verifyBarrier([condition], { maxBoxes: 20_000, cells: 12 });
  const r = v.conditions[0].result;
  assert.equal(r.status, 'verified', `${r.status}: ${r.stats.boxesProcessed} boxes, ${r.status === 'unknown' ? r.unresolvedBoxes.length : 0} open`);
  assert.ok(r.stats.boxesProcessed <= 10_000, `at most half the budget in cells: ${r.stats.boxesProcessed}`);
});

test('verifyBarrier: 2-D conditions keep their 12 cells per dimension', () => {
  const g = new Graph(2);
  const x = g.inputs();
  const condition: BarrierCondition = { name: 'initial', graph: g, objective: g.affine(x, [1, 1], -10), constraints: [], box: { lo: [-1, -1], hi: [1, 1] }, margin: 0, stateDims: 2 };
  const r = verifyBarrier([condition], { cells: 12 }).conditions[0].result;
  assert.deepEqual([r.status, r.stats.boxesProcessed], ['verified', 144]);
});
