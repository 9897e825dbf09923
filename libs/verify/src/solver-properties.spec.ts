// The applicable properties by convergence kind, usable with fc.assert directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { QuadraticProblem } from '@bilevel/problems';
import { soba } from '@bilevel/solvers';
import { DEFAULT_NUM_RUNS, solverProperties } from './solver-properties';
import { safeSobaOptions } from './safe-soba-options';

const safeSoba = (p: QuadraticProblem) => soba(safeSobaOptions(p));

test('replay always; linear convergence by default; the running mean for running-mean; nothing else for none', () => {
  assert.deepEqual(solverProperties(safeSoba).map((p) => p.name), ['replaysFromSeed', 'linearConvergence']);
  assert.deepEqual(solverProperties(safeSoba, { convergence: 'running-mean' }).map((p) => p.name), ['replaysFromSeed', 'runningMeanDecreases']);
  assert.deepEqual(solverProperties(safeSoba, { convergence: 'none' }).map((p) => p.name), ['replaysFromSeed']);
  for (const p of solverProperties(safeSoba)) assert.equal(p.numRuns, DEFAULT_NUM_RUNS[p.name]);
});

test('the returned properties run with fc.assert', async () => {
  for (const { property } of solverProperties(safeSoba, { convergence: 'running-mean', replay: { maxIter: 10 }, runningMean: { doublings: 3 } })) {
    await fc.assert(property, { seed: 42, numRuns: 3 });
  }
});

test('invalid options are refused', () => {
  assert.throws(() => solverProperties(safeSoba, { convergence: 'fast' as never }), /solverProperties: convergence must be one of linear, running-mean, none, received fast/);
  assert.throws(() => solverProperties(safeSoba, { linear: { safety: 0 } }), /linearConvergence: safety must be a positive finite number/);
  assert.throws(() => solverProperties(undefined as never), /solverFactory must be a function/);
});
