// The worked example of modelProblem (docs/model-engine.md), run as it ships (examples/mlp-weight-decay.ts is imported, so the
// two cannot drift): SABA tunes the per-layer weight decay of an MLP on the bundled breast-cancer data and the
// validation loss h(x) = F(z*(x)) falls from the start to the local minimum that full-batch L-BFGS on exact
// hypergradients finds from SABA's end. Bounded by SABA's 2000 iterations, not by time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
// examples/ is a folder of programs a user runs, not a library: imported by path so the test runs their code as is
// eslint-disable-next-line @nx/enforce-module-boundaries
import { mlpWeightDecay } from '../../../examples/mlp-weight-decay';

/** SABA's last h against the nearby local minimum: within 1% (measured 0.05%: SABA's constant-step noise). */
const NEAR_MINIMUM = 0.01;

test('examples/mlp-weight-decay: SABA on a modelProblem lowers the validation loss from the start to the nearby minimum', async (t) => {
  const { points, reference, problem } = await mlpWeightDecay();
  assert.equal(problem.dimZ, 30 * 16 + 16 + 16 * 2 + 2);
  assert.deepEqual(problem.layout.hyper.names, ['logDecay']);
  const [first, second] = points;
  const last = points[points.length - 1];
  assert.equal(last.iteration, 2000);
  assert.ok(second.validationLoss < first.validationLoss, `h went from ${first.validationLoss} to ${second.validationLoss} in the first ${second.iteration} steps`);
  assert.ok(last.validationLoss < 0.5 * first.validationLoss, `h: ${first.validationLoss} → ${last.validationLoss}`);
  assert.ok(last.testError < first.testError, `test error ${first.testError} → ${last.testError}`);
  assert.ok(reference.converged, `reference ‖∇h‖ = ${reference.gradNorm}`);
  assert.ok(last.validationLoss <= (1 + NEAR_MINIMUM) * reference.validationLoss, `SABA's h ${last.validationLoss} vs the minimum ${reference.validationLoss}`);
  t.diagnostic(`h: ${first.validationLoss.toFixed(4)} → ${last.validationLoss.toFixed(4)} (minimum ${reference.validationLoss.toFixed(4)}); log λ = (${last.logDecay.map((v) => v.toFixed(2)).join(', ')})`);
});
