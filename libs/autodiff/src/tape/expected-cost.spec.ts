// expectedCost on the logistic problem: a deliberately slowed copy of the analytic oracles must come out slower by
// about the added work, and the figures and the text must be well formed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logregHpo } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import { breastCancerSlice } from '../fixtures/breast-cancer-slice';
import { expectedCost, ITERATION_ORACLES } from './expected-cost';
import { logregTape } from './logreg-tape';

/** Calls per oracle call in the slowed copy: its iteration must measure well above 1× the original (≥ 2× here). */
const REPEAT = 6;
const MIN_SLOWDOWN = 2;
const data = breastCancerSlice();

test('expectedCost tells a problem whose oracles do REPEAT× the work from the original', () => {
  const analytic = logregHpo(data.train, data.val, { reg: 'scalar' });
  const slow: BilevelProblem = Object.create(analytic);
  for (const name of ITERATION_ORACLES) {
    const f = analytic[name] as (...args: unknown[]) => void;
    (slow as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      for (let r = 0; r < REPEAT; r++) f.apply(analytic, args);
    };
  }
  const cost = expectedCost(slow, { analytic, budgetMs: 10, seed: 3 });
  assert.ok(cost.ratio !== undefined && cost.ratio >= MIN_SLOWDOWN, `ratio ${cost.ratio}`);
  for (const name of ITERATION_ORACLES) assert.ok(cost.oracles[name] > 0 && Number.isFinite(cost.oracles[name]), name);
  assert.match(cost.text, /µs per SOBA\/SABA iteration, \d+(\.\d)?× the .* µs of logreg-hpo's oracles; expect iterations up to/);
});

test('expectedCost without a reference reports µs per call; options are validated', () => {
  const analytic = logregHpo(data.train, data.val, { reg: 'feature' });
  const tape = logregTape(analytic);
  const cost = expectedCost(tape, { budgetMs: 5 });
  assert.equal(cost.ratio, undefined);
  assert.match(cost.text, /^oracle cost of logreg-hpo-tape \(batch 32\): .* µs per SOBA\/SABA iteration \(µs per call: innerGradZ/);
  assert.throws(() => expectedCost(tape, { batchSize: 0 }), /expectedCost: options\.batchSize must be a positive integer, received 0/);
  const other = logregHpo(data.train, data.val, { reg: 'scalar' });
  assert.throws(() => expectedCost(tape, { analytic: other }), /expectedCost: options\.analytic\.dimX must equal the problem's \(30\), received 1/);
});
