// The oracle property holds on the quadratic family and fails, naming the oracle, on a problem with a wrong HVP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { oraclesAgreeWithFiniteDifferences } from './oracles-agree-with-finite-differences';
import { quadraticProblemArb } from './quadratic-problem-arb';
import { scaledHvp } from './fixtures/scaled-hvp';

const SEED = 42;
const NUM_RUNS = 20;

test('every oracle of the quadratic family agrees with central finite differences', () => {
  fc.assert(oraclesAgreeWithFiniteDifferences(quadraticProblemArb()), { seed: SEED, numRuns: NUM_RUNS });
});

test('the property fails on problems whose innerHvp is scaled by 1.5, and says which oracle', () => {
  const broken = quadraticProblemArb().map((g) => ({ ...g, problem: scaledHvp(g.problem, 1.5) }));
  const result = fc.check(oraclesAgreeWithFiniteDifferences(broken), { seed: SEED, numRuns: NUM_RUNS });
  assert.equal(result.failed, true);
  assert.match(String(result.errorInstance), /innerHvp \(relative error 3\.33e-1\) disagree/);
  assert.doesNotMatch(String(result.errorInstance), /innerGradZ|innerCross|outerGrad/);
});

test('options are validated up front; the seed is the property’s own', () => {
  assert.throws(() => oraclesAgreeWithFiniteDifferences(quadraticProblemArb(), { relTol: 0 }), /oraclesAgreeWithFiniteDifferences: relTol must be a positive finite number/);
  assert.throws(() => oraclesAgreeWithFiniteDifferences(quadraticProblemArb(), { seed: 1 } as never), /unknown option "seed"/);
});
