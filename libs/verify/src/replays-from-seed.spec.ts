// Replay from a seed holds for SABA and SOBA (streams twice and the plain loop agree to the bit, another seed gives
// another trajectory) and fails for solvers that take their randomness from outside the run's seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '@bilevel/linalg';
import type { QuadraticProblem } from '@bilevel/problems';
import { saba, soba } from '@bilevel/solvers';
import { replaysFromSeed } from './replays-from-seed';
import { safeSabaOptions } from './safe-saba-options';
import { safeSobaOptions } from './safe-soba-options';
import { withRng } from './fixtures/with-rng';

const SEED = 42;
const NUM_RUNS = 10;
const safeSaba = (p: QuadraticProblem) => saba(safeSabaOptions(p));
const safeSoba = (p: QuadraticProblem) => soba(safeSobaOptions(p));

test('SABA replays from its seed, through the streams and the plain loop', async () => {
  await fc.assert(replaysFromSeed(safeSaba), { seed: SEED, numRuns: NUM_RUNS });
});

test('SOBA replays from its seed, through the streams and the plain loop', async () => {
  await fc.assert(replaysFromSeed(safeSoba), { seed: SEED, numRuns: NUM_RUNS });
});

test('the property fails for a solver whose samplers draw from a shared counter instead of the run’s seed', async () => {
  let next = 0;
  const unseeded = (p: QuadraticProblem) => withRng(safeSaba(p), () => Rng.fromSeed(next++));
  const result = await fc.check(replaysFromSeed(unseeded), { seed: SEED, numRuns: NUM_RUNS, endOnFailure: true });
  assert.equal(result.failed, true);
  assert.match(String(result.errorInstance), /a second run through the streams differs from the first run with the same seed \d+ at snapshot \d+: [zvx]\[\d+\]/);
});

test('the property fails for a solver that ignores the seed altogether', async () => {
  const seedBlind = (p: QuadraticProblem) => withRng(safeSaba(p), () => Rng.fromSeed(0));
  const result = await fc.check(replaysFromSeed(seedBlind), { seed: SEED, numRuns: NUM_RUNS, endOnFailure: true });
  assert.equal(result.failed, true);
  assert.match(String(result.errorInstance), /seeds \d+ and \d+ gave the same trajectory to the bit/);
  // …which a deterministic solver may declare
  await fc.assert(replaysFromSeed(seedBlind, { seedMatters: false }), { seed: SEED, numRuns: 3 });
});

test('invalid options are refused', () => {
  assert.throws(() => replaysFromSeed(safeSaba, { maxIter: 0 }), /replaysFromSeed: maxIter must be a positive integer, received 0/);
  assert.throws(() => replaysFromSeed(safeSaba, { seedMatters: 'yes' as never }), /seedMatters must be a boolean/);
});
