// Longer runs of the running-mean property for SOBA.
import { test } from 'node:test';
import fc from 'fast-check';
import type { QuadraticProblem } from '@bilevel/problems';
import { soba } from '@bilevel/solvers';
import { runningMeanDecreases } from './running-mean-decreases';
import { safeSobaOptions } from './safe-soba-options';

test('SOBA: running means decrease on 100 generated problems', async () => {
  await fc.assert(runningMeanDecreases((p: QuadraticProblem) => soba(safeSobaOptions(p))), { seed: 7, numRuns: 100 });
});
