import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_GRID, fullGrid } from './default-grids';
import { executeRun } from './execute-run';
import type { RunSpec } from './expand-grid';
import { expandGrid } from './expand-grid';
import { ProblemCache } from './problem-cache';

const cache = new ProblemCache();
const defaults = expandGrid(DEFAULT_GRID);
/** A run of the default grid with its budget replaced by `change` (no seconds budget unless given). */
function spec(id: string, change: Partial<RunSpec> = {}): RunSpec {
  const { maxSeconds: _budget, ...rest } = defaults.find((r) => r.id === id)!;
  return { ...rest, ...change };
}

/**
 * SABA on the default logistic task converges linearly (README: relative suboptimality ~1e-6 within 30,000 steps):
 * after 300 steps from x = 0 it has moved h well below h(0), whose suboptimality is above 1 (h(0) ≈ 2.2 h*).
 */
const IMPROVEMENT = 0.5;

test('300 iterations of SABA on logreg-hpo: monotone solver time and calls, finite values, h* from the cache', async () => {
  // Act
  const r = await executeRun(spec('logreg-hpo/saba/seed0', { maxIter: 300, evalEvery: 50, evalGrowth: 1 }), { cache });
  // Assert
  assert.equal(r.status, 'finished', r.error?.message);
  assert.equal(r.stopReason, 'max-iter');
  assert.equal(r.iterations, 300);
  assert.deepEqual(r.points.map((p) => p.iteration), [0, 50, 100, 150, 200, 250, 300]);
  for (let k = 1; k < r.points.length; k++) {
    assert.ok(r.points[k].solverSeconds >= r.points[k - 1].solverSeconds, 'solver time is monotone');
    assert.ok(r.points[k].oracleCalls > r.points[k - 1].oracleCalls, 'oracle calls grow');
    assert.ok(r.points[k].samples > r.points[k - 1].samples, 'samples grow');
  }
  for (const p of r.points) {
    for (const v of [p.value, p.metric, p.solverSeconds, p.oracleCalls]) assert.ok(Number.isFinite(v), `finite: ${JSON.stringify(p)}`);
    assert.equal(p.metric, p.suboptimality);
    assert.ok(p.metric > -1e-9, 'h ≥ h* up to the evaluation precision');
  }
  assert.ok(r.hStar !== undefined && Math.abs(r.hStar - 0.1028) < 1e-3, `h* ${r.hStar}`);
  assert.ok(r.points.at(-1)!.metric < IMPROVEMENT * r.points[0].metric, `${r.points[0].metric} → ${r.points.at(-1)!.metric}`);
  assert.equal(r.solverSeconds, r.points.at(-1)!.solverSeconds);
  assert.ok(r.evaluationSeconds > 0 && r.wallSeconds >= r.solverSeconds + r.evaluationSeconds - 1e-3);
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'JSON-serializable');
});

test('geometric evaluation schedule: first, then ≥ growth × the last evaluated iteration, and the last', async () => {
  const r = await executeRun(spec('logreg-hpo/saba/seed1', { maxIter: 1000, evalEvery: 10, evalGrowth: 2 }), { cache });
  assert.deepEqual(r.points.map((p) => p.iteration), [0, 10, 20, 40, 80, 160, 320, 640, 1000]);
});

test('datacleaning at the solver\'s own z: test error in [0, 1], a budget in seconds stops it', async () => {
  const r = await executeRun(spec('datacleaning/saba/seed0', { maxSeconds: 0.3, evalEvery: 5 }), { cache });
  assert.equal(r.status, 'finished', r.error?.message);
  assert.equal(r.stopReason, 'max-seconds');
  assert.ok(r.points.length >= 2);
  for (const p of r.points) assert.ok(p.metric >= 0 && p.metric <= 1 && p.metrics?.testError === p.metric);
  assert.equal(r.hStar, undefined);
});

test('a diverging run and a bad metric are recorded, not thrown', async () => {
  const q = expandGrid(fullGrid('/nonexistent')).find((s) => s.id === 'quadratic/saba/seed0')!;
  const { maxSeconds: _budget, ...unbounded } = q;
  const diverged = await executeRun({ ...unbounded, maxIter: 300, solverOptions: { ...q.solverOptions, innerStep: 100, outerStep: 100 } }, { cache });
  assert.equal(diverged.status, 'diverged');
  assert.match(diverged.error!.message, /non-finite/);
  assert.ok(diverged.points.length >= 1 && diverged.iterations < 300);

  const bad = await executeRun(spec('logreg-hpo/saba/seed0', { maxIter: 10, metric: 'testError' }), { cache });
  assert.equal(bad.status, 'error');
  assert.match(bad.error!.message, /metric "testError"/);

  const unknown = await executeRun(spec('logreg-hpo/saba/seed0', { maxIter: 10, solver: 'nope' }), { cache });
  assert.equal(unknown.status, 'error');
  assert.match(unknown.error!.message, /unknown solver "nope"/);
});
