import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundledImagePaths } from './bundled-images';
import { imagingProblem } from './imaging-problem';
import { tvGridSearch } from './tv-grid-search';

test('tvGridSearch: every grid point scored by held-out PSNR, the best returned; refuses FoE and missing held-out images', () => {
  const problem = imagingProblem({ patchSize: 48, patchesPerImage: 1, heldOut: bundledImagePaths('heldout').slice(3, 4) });
  const result = tvGridSearch(problem, [-4, -2, 0], [-6, -3]);
  assert.equal(result.points.length, 6);
  const best = result.points.reduce((m, p) => (p.psnrHeldOut > m.psnrHeldOut ? p : m));
  assert.deepEqual(result.best, best);
  // the score of a point does not depend on the warm start the snake order gives it (solves are exact to 1e-8)
  assert.ok(Math.abs(problem.heldOutPsnr(Float64Array.of(best.theta0, best.theta1)) - best.psnrHeldOut) < 1e-6);
  // too weak (−4) and too strong (0) a weight are worse than the middle of the grid
  assert.equal(best.theta0, -2);
  assert.throws(() => tvGridSearch(imagingProblem({ regularizer: 'foe', patchSize: 48, heldOut: [] }), [0], [0]), /tvGridSearch: the problem's regularizer is "foe"/);
  assert.throws(() => tvGridSearch(imagingProblem({ patchSize: 48, heldOut: [] }), [0], [0]), /tvGridSearch: the problem has no held-out images/);
  assert.throws(() => tvGridSearch(problem, [], [0]), /tvGridSearch: each axis of the grid needs at least one value/);
});
