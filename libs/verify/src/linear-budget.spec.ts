// The linear budget is the documented formula in the problem's constants and the solver's steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quadraticProblem } from '@bilevel/problems';
import { LINEAR_BUDGET_SAFETY, linearBudget } from './linear-budget';
import { outerSpectrum } from './outer-spectrum';

const problem = quadraticProblem({ dimZ: 4, dimX: 2, nInner: 18, nOuter: 9, mu: 0.2, L: 1, LCross: 0.1, muOuter: 0.1, seed: 8 });

test('T = ⌈S·ln(1/ε)·(4B + 1/(ρμ) + 1/(γμ_h))⌉, by hand', () => {
  // Arrange: batch 4 ⇒ B = max(⌈18/4⌉, ⌈9/4⌉) = 5 blocks
  const steps = { batchSize: 4, innerStep: 0.05, outerStep: 0.02 };
  const muH = outerSpectrum(problem).mu;
  const expected = Math.ceil(2 * Math.log(1e6) * (4 * 5 + 1 / (0.05 * 0.2) + 1 / (0.02 * muH)));
  // Act / Assert
  assert.equal(LINEAR_BUDGET_SAFETY, 2);
  assert.equal(linearBudget(problem, steps), expected);
  assert.equal(linearBudget(problem, steps, { safety: 1, reduction: 1e-3 }), Math.ceil(Math.log(1e3) * (20 + 100 + 1 / (0.02 * muH))));
});

test('smaller steps or a smaller ε give a larger budget', () => {
  const base = { batchSize: 4, innerStep: 0.05, outerStep: 0.02 };
  const T = linearBudget(problem, base);
  assert.ok(linearBudget(problem, { ...base, outerStep: 0.01 }) > T);
  assert.ok(linearBudget(problem, { ...base, innerStep: 0.01 }) > T);
  assert.ok(linearBudget(problem, base, { reduction: 1e-9 }) > T);
});

test('invalid options are refused', () => {
  assert.throws(() => linearBudget(problem, { batchSize: 4, innerStep: 0, outerStep: 1 }), /linearBudget: steps.innerStep must be a positive finite number, received 0/);
  assert.throws(() => linearBudget(problem, { batchSize: 4, innerStep: 1, outerStep: 1 }, { reduction: 1 }), /reduction must be a number in \(0, 1\), received 1/);
});
