// The running mean of ‖∇h‖² decreases for SOBA with the safe steps, and the property fails for SOBAs whose
// linear-system stream flips or drops its HVP term.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { soba } from '@bilevel/solvers';
import type { QuadraticProblem } from '@bilevel/problems';
import { runningMeanDecreases } from './running-mean-decreases';
import { measureRunningMean } from './measure-running-mean';
import { quadraticProblemArb } from './quadratic-problem-arb';
import { safeSobaOptions } from './safe-soba-options';
import { farStart } from './far-start';
import { withLinsysHvp } from './fixtures/with-linsys-hvp';

const SEED = 42;
const NUM_RUNS = 10;
const safeSoba = (p: QuadraticProblem) => soba(safeSobaOptions(p));

test('SOBA with the safe steps: running means non-increasing (τ = 0.05) and the last ≥ 1.5× below the first', async () => {
  await fc.assert(runningMeanDecreases(safeSoba), { seed: SEED, numRuns: NUM_RUNS });
});

for (const [factor, what] of [
  [-1, 'flips the sign of the HVP term (v diverges)'],
  [0, 'drops the HVP term (v drifts, x follows)'],
] as const) {
  test(`the property fails for a SOBA whose linear-system stream ${what}`, async () => {
    const result = await fc.check(runningMeanDecreases((p) => withLinsysHvp(safeSoba(p), factor)), { seed: SEED, numRuns: 20, endOnFailure: true });
    assert.equal(result.failed, true);
    assert.match(String(result.errorInstance), /runningMeanDecreases: solver "soba-linsys-hvp×-?\d": the running mean (increased|decreased by less)|DivergenceError/);
  });
}

test('impossible or invalid options are refused up front (F ≥ 2^K cannot hold: the first T₀ terms stay in the mean)', () => {
  assert.throws(() => runningMeanDecreases(safeSoba, { doublings: 3, minDecrease: 8 }), /minDecrease must be < 2\^doublings = 8/);
  assert.throws(() => runningMeanDecreases(safeSoba, { increaseTolerance: -1 }), /increaseTolerance must be a finite number ≥ 0/);
  assert.throws(() => runningMeanDecreases(safeSoba, { doublings: 0 }), /doublings must be a positive integer/);
});

test('measureRunningMean: checkpoints T₀·2^k and the running means of ‖∇h(x_t)‖² over t < T_k', async () => {
  const [{ problem }] = fc.sample(quadraticProblemArb(), { seed: SEED, numRuns: 1 });
  const x0 = farStart(problem, 1, 10);
  const m = await measureRunningMean(problem, safeSoba(problem), { firstCheckpoint: 4, doublings: 2, seed: 1, x0 });
  assert.deepEqual(m.checkpoints, [4, 8, 16]);
  assert.equal(m.means.length, 3);
  // M(4) includes t = 0, where ‖∇h(x₀)‖² = 10²
  assert.ok(m.means[0] * 4 >= 10 ** 2 * (1 - 1e-9));
});
