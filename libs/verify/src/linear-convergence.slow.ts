// Longer runs of the linear-convergence property, and the calibration it rests on: iterations needed ÷ budget over
// generated problems, reported as a diagnostic (see LINEAR_BUDGET_SAFETY for the recorded distribution).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { QuadraticProblem } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { linearConvergence } from './linear-convergence';
import { linearBudget } from './linear-budget';
import { measureLinearConvergence } from './measure-linear-convergence';
import { quadraticProblemArb } from './quadratic-problem-arb';
import { safeSabaOptions } from './safe-saba-options';

const safeSaba = (p: QuadraticProblem) => saba(safeSabaOptions(p));

test('SABA: linear convergence within the budget on 200 generated problems', async () => {
  await fc.assert(linearConvergence(safeSaba), { seed: 7, numRuns: 200 });
});

test('SABA with batch 1 and batch 16', async () => {
  for (const batchSize of [1, 16]) {
    await fc.assert(linearConvergence((p) => saba(safeSabaOptions(p, { batchSize }))), { seed: 8, numRuns: 50 });
  }
});

test('calibration: iterations needed ÷ budget stays ≤ 0.6 (S = 2 leaves a factor ≥ 1.7)', async (t) => {
  const ratios: number[] = [];
  for (const [g, seed] of fc.sample(fc.tuple(quadraticProblemArb(), fc.nat()), { seed: 9, numRuns: 200 })) {
    const steps = safeSabaOptions(g.problem);
    const budget = linearBudget(g.problem, steps);
    const m = await measureLinearConvergence(g.problem, saba(steps), { budget: 2 * budget, seed, checkpoints: 400 });
    assert.ok(m.iterations !== null, String(g));
    ratios.push(m.iterations / budget);
  }
  ratios.sort((a, b) => a - b);
  const q = (f: number) => ratios[Math.min(ratios.length - 1, Math.floor(f * ratios.length))].toFixed(3);
  t.diagnostic(`iterations/budget over ${ratios.length} problems: min ${q(0)} median ${q(0.5)} p90 ${q(0.9)} max ${q(1)}`);
  assert.ok(ratios[ratios.length - 1] <= 0.6, `max ratio ${ratios[ratios.length - 1]}`);
});
