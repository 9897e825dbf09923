// Longer runs of the replay property: more problems, longer trajectories.
import { test } from 'node:test';
import fc from 'fast-check';
import type { QuadraticProblem } from '@bilevel/problems';
import { saba, soba } from '@bilevel/solvers';
import { replaysFromSeed } from './replays-from-seed';
import { safeSabaOptions } from './safe-saba-options';
import { safeSobaOptions } from './safe-soba-options';

test('SABA and SOBA replay from their seed on 50 problems, 200 steps each', async () => {
  await fc.assert(replaysFromSeed((p: QuadraticProblem) => saba(safeSabaOptions(p)), { maxIter: 200 }), { seed: 7, numRuns: 50 });
  await fc.assert(replaysFromSeed((p: QuadraticProblem) => soba(safeSobaOptions(p)), { maxIter: 200 }), { seed: 7, numRuns: 50 });
});
