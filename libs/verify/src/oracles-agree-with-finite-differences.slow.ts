// More problems for the oracle property, including a wider family than the default (κ ≤ 100, LCross ≤ 1).
import { test } from 'node:test';
import fc from 'fast-check';
import { oraclesAgreeWithFiniteDifferences } from './oracles-agree-with-finite-differences';
import { quadraticProblemArb } from './quadratic-problem-arb';

test('oracles agree with finite differences on 1000 default problems', () => {
  fc.assert(oraclesAgreeWithFiniteDifferences(quadraticProblemArb()), { seed: 7, numRuns: 1000 });
});

test('…and on 500 problems of a wider family', () => {
  const wide = quadraticProblemArb({ dimZ: { min: 1, max: 12 }, dimX: { min: 1, max: 8 }, maxKappa: 100, LCross: { min: 0, max: 1 } });
  fc.assert(oraclesAgreeWithFiniteDifferences(wide), { seed: 8, numRuns: 500 });
});
