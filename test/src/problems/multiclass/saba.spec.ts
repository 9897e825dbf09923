// SABA, the registered stochastic solver, refines the best shared weight of a grid into per-class weights on the
// bundled wine data (seed 1, whose grid optimum is inside the grid): warm-started at the grid point's exact (z*, v*, x),
// with the per-sample safe inner step ρ = 1/(3 L_max) and γ = ρ/10, it lowers the exact validation loss h below the
// grid's, towards the L-BFGS reference h*.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gridSearchShared, loadMulticlassHpo, referenceSolution } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { runLoop } from '@bilevel/streams';

const GRID = Array.from({ length: 41 }, (_, k) => 4 - 0.4 * k);
/** Fixed iteration budget (deterministic; about 1 s here). */
const ITERATIONS = 8000;

test('SABA from the grid-best shared weight lowers h below the grid value, part of the way to h*', () => {
  const problem = loadMulticlassHpo({ seed: 1 });
  const grid = gridSearchShared(problem, GRID);
  assert.ok(grid.t > -12 && grid.t < 4, `grid optimum ${grid.t} inside the grid`);
  const ref = referenceSolution(problem, { x0: grid.x, gtol: 1e-6, maxIter: 100 });
  const rho = 1 / (3 * problem.innerConstants(grid.x).LMaxSample);
  const values: number[] = [];
  const last = runLoop(problem, saba({ batchSize: 64, innerStep: rho, outerStep: rho / 10 }), { seed: 0, maxIter: ITERATIONS, sampleEvery: ITERATIONS / 4, z0: grid.z, v0: grid.v, x0: grid.x }, (s) =>
    values.push(problem.hypergradient(s.x, { z0: grid.z }).value),
  );
  const h = problem.hypergradient(last.x, { z0: grid.z }).value;
  assert.ok(h < grid.value, `SABA h = ${h} vs grid ${grid.value}`);
  assert.ok(ref.value < h, `h* = ${ref.value}`);
  // measured: h goes 0.17564 → 0.17451 in 8000 iterations, steadily (h* = 0.15300); require a tenth of that decrease
  assert.ok(grid.value - h > 1e-4, `decrease ${grid.value - h}`);
  assert.ok(new Set(last.x).size === problem.dimX, 'the class weights have separated');
  for (let k = 1; k < values.length; k++) assert.ok(values[k] <= values[k - 1] + 1e-4, `h along the run: ${values.join(', ')}`);
});
