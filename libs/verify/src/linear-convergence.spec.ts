// Linear convergence holds for SABA with the safe steps, and fails for mutants of SABA: the linear-system stream
// without its HVP term, with the wrong sign, or with a 10% error (a biased fixed point, no divergence at all).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { StreamPart } from '@bilevel/solvers';
import { constantStep, saba, sagaEstimator, singleLoop } from '@bilevel/solvers';
import { declaredSabaSteps, linearConvergence } from './linear-convergence';
import { measureLinearConvergence } from './measure-linear-convergence';
import { linearBudget } from './linear-budget';
import { quadraticProblemArb } from './quadratic-problem-arb';
import { safeSabaOptions } from './safe-saba-options';
import { withLinsysHvp } from './fixtures/with-linsys-hvp';

const SEED = 42;
const NUM_RUNS = 20;
/** A failing property is shown with its first counterexample; shrinking is not the point here. */
const FAILING = { seed: SEED, numRuns: NUM_RUNS, endOnFailure: true } as const;
const safeSaba = (p: Parameters<typeof safeSabaOptions>[0]) => saba(safeSabaOptions(p));

test('SABA with the safe steps reaches ‖∇h‖ ≤ 1e-6·‖∇h(x₀)‖ within the budget on every generated problem', async () => {
  await fc.assert(linearConvergence(safeSaba), { seed: SEED, numRuns: NUM_RUNS });
});

test('a SABA variant with half the outer step still does (the budget follows its steps)', async () => {
  const variant = (p: Parameters<typeof safeSabaOptions>[0]) => {
    const o = safeSabaOptions(p);
    return saba({ ...o, outerStep: o.outerStep / 2 });
  };
  await fc.assert(linearConvergence(variant), { seed: SEED, numRuns: 10 });
});

for (const [factor, what] of [
  [0, 'drops the HVP term'],
  [-1, 'flips the sign of the HVP term'],
  [1.1, 'scales the HVP by 1.1 (converges, to the wrong point)'],
] as const) {
  test(`the property fails for a SABA whose linear-system stream ${what}`, async () => {
    const result = await fc.check(linearConvergence((p) => withLinsysHvp(safeSaba(p), factor)), FAILING);
    assert.equal(result.failed, true);
    assert.match(String(result.errorInstance), /linearConvergence: solver "saba-linsys-hvp×.*" reduced ‖∇h‖ from .* within the budget T = \d+/);
  });
}

test('the run stops at the first checkpoint below target, well inside the budget', async () => {
  const [{ problem }] = fc.sample(quadraticProblemArb(), { seed: SEED, numRuns: 1 });
  const solver = safeSaba(problem);
  const budget = linearBudget(problem, safeSabaOptions(problem));
  const m = await measureLinearConvergence(problem, solver, { budget, seed: 3 });
  assert.ok(m.iterations !== null && m.iterations < budget, `${m.iterations} vs ${budget}`);
  assert.ok(m.finalNorm <= 1e-6 * m.initialNorm);
  const none = await measureLinearConvergence(problem, solver, { budget: 10, seed: 3 });
  assert.equal(none.iterations, null, 'ten steps are not enough');
});

test('a solver that does not report its steps needs the budget option', async () => {
  // its parts declare nothing (options are not read: a solver's options may say anything)
  const opaque = (p: Parameters<typeof safeSabaOptions>[0]) => {
    const s = safeSaba(p);
    const bare = (part: StreamPart): StreamPart => ({ stream: part.stream, init: part.init, step: part.step });
    return { ...s, name: 'opaque', inner: bare(s.inner), linsys: bare(s.linsys), outer: bare(s.outer) };
  };
  const result = await fc.check(linearConvergence(opaque), { seed: SEED, numRuns: 1 });
  assert.match(String(result.errorInstance), /solver "opaque" does not declare a constant step and a batch size on its inner stream.*pass the budget option/);
  await fc.assert(
    linearConvergence(opaque, { budget: (p) => linearBudget(p, safeSabaOptions(p)) }),
    { seed: SEED, numRuns: 3 },
  );
  assert.throws(() => linearConvergence(safeSaba, { reduction: 2 }), /linearConvergence: reduction must be a number in \(0, 1\)/);
});

test('the budget reads the steps the parts declare: SABA assembled with singleLoop gets the same budget as saba', async () => {
  const [{ problem }] = fc.sample(quadraticProblemArb(), { seed: SEED, numRuns: 1 });
  const o = safeSabaOptions(problem);
  const part = (step: number) => ({ estimator: sagaEstimator(), step: constantStep(step), batchSize: o.batchSize });
  const built = singleLoop({ name: 'saba-parts', citation: '', inner: part(o.innerStep), linsys: part(o.innerStep), outer: part(o.outerStep) });
  assert.deepEqual(declaredSabaSteps(built), o);
  assert.deepEqual(declaredSabaSteps(saba(o)), o);
  // the options of a swapped solver say one thing, its outer part another: the part wins
  const swapped = { ...saba(o), outer: saba({ ...o, outerStep: o.outerStep / 4 }).outer };
  assert.equal(declaredSabaSteps(swapped).outerStep, o.outerStep / 4);
  assert.ok(linearBudget(problem, declaredSabaSteps(swapped)) > linearBudget(problem, o));
  await fc.assert(linearConvergence((p) => {
    const s = safeSabaOptions(p);
    const q = (step: number) => ({ estimator: sagaEstimator(), step: constantStep(step), batchSize: s.batchSize });
    return singleLoop({ name: 'saba-parts', citation: '', inner: q(s.innerStep), linsys: q(s.innerStep), outer: q(s.outerStep) });
  }), { seed: SEED, numRuns: 5 });
});
