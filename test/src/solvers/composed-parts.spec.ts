// The parts framework against the hand-written solvers: SGD + power steps on every stream is SOBA, SAGA + constant
// steps is SABA, to the bit (same RNG splits, same arithmetic). And SARAH + constant steps (SRBA's parts) and STORM
// converge on a small quadratic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2 } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { constantStep, powerStep, saba, sagaEstimator, sarahEstimator, sgdEstimator, singleLoop, soba, stormEstimator } from '@bilevel/solvers';
import { runLoop } from '@bilevel/streams';

const problem = quadraticProblem({ dimZ: 8, dimX: 4, nInner: 64, nOuter: 48, seed: 7 });
const same = (a: Float64Array, b: Float64Array) => a.every((v, i) => Object.is(v, b[i]));

test('SGD + power steps on all three streams is SOBA, bit for bit', () => {
  const b = 8;
  const composed = singleLoop({
    name: 'sgd-power',
    citation: '',
    inner: { estimator: sgdEstimator(), step: powerStep(0.1, 0.4), batchSize: b },
    linsys: { estimator: sgdEstimator(), step: powerStep(0.1, 0.4), batchSize: b },
    outer: { estimator: sgdEstimator(), step: powerStep(0.05, 0.6), batchSize: b },
  });
  const ref = soba({ batchSize: b, innerStep: 0.1, outerStep: 0.05 });
  const a = runLoop(problem, composed, { seed: 3, maxIter: 500 });
  const r = runLoop(problem, ref, { seed: 3, maxIter: 500 });
  assert.ok(same(a.x, r.x) && same(a.z, r.z) && same(a.v, r.v));
  assert.deepEqual(a.counts.total, r.counts.total);
});

test('SAGA + constant steps on all three streams is SABA, bit for bit', () => {
  const b = 8;
  const composed = singleLoop({
    name: 'saga-constant',
    citation: '',
    inner: { estimator: sagaEstimator(), step: constantStep(0.1), batchSize: b },
    linsys: { estimator: sagaEstimator(), step: constantStep(0.1), batchSize: b },
    outer: { estimator: sagaEstimator(), step: constantStep(0.02), batchSize: b },
  });
  const ref = saba({ batchSize: b, innerStep: 0.1, outerStep: 0.02 });
  const a = runLoop(problem, composed, { seed: 5, maxIter: 500 });
  const r = runLoop(problem, ref, { seed: 5, maxIter: 500 });
  assert.ok(same(a.x, r.x) && same(a.z, r.z) && same(a.v, r.v));
});

for (const [name, estimator] of [
  ['sarah', () => sarahEstimator()],
  ['storm', () => stormEstimator({ momentum: 0.2 })],
] as const) {
  test(`${name} + constant steps drives ‖∇h‖ down on a small quadratic`, () => {
    const { LMaxSample } = problem.innerConstants();
    const rho = 1 / (3 * LMaxSample);
    const solver = singleLoop({
      name,
      citation: '',
      inner: { estimator: estimator(), step: constantStep(rho), batchSize: 8 },
      linsys: { estimator: estimator(), step: constantStep(rho), batchSize: 8 },
      outer: { estimator: estimator(), step: constantStep(rho / 5), batchSize: 8 },
    });
    const g0 = nrm2(problem.hypergradient(new Float64Array(4)).grad);
    const last = runLoop(problem, solver, { seed: 1, maxIter: 6000 });
    const g = nrm2(problem.hypergradient(last.x).grad);
    // SARAH's full refreshes make it converge (here below 1e-4 relative); STORM's constant momentum leaves a noise floor
    assert.ok(g < (name === 'sarah' ? 1e-4 : 5e-2) * g0, `${name}: ‖∇h‖ ${g0} → ${g}`);
    assert.ok(Object.keys(last.diagnostics.outer ?? {}).includes('step'));
  });
}
