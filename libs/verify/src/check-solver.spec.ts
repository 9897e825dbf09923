// The one-call entry point: resolves for a sound SABA variant, rejects naming the property for a broken one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QuadraticProblem } from '@bilevel/problems';
import { saba, soba } from '@bilevel/solvers';
import { checkSolver } from './check-solver';
import { safeSabaOptions } from './safe-saba-options';
import { safeSobaOptions } from './safe-soba-options';
import { withLinsysHvp } from './fixtures/with-linsys-hvp';

const SEED = 42;

test('the documented example: a SABA with half the outer step passes replay and linear convergence', async () => {
  await checkSolver(
    (problem) => {
      const steps = safeSabaOptions(problem);
      return saba({ ...steps, outerStep: steps.outerStep / 2 });
    },
    { convergence: 'linear', seed: SEED, numRuns: 10 },
  );
});

test('SOBA passes with convergence running-mean', async () => {
  await checkSolver((p: QuadraticProblem) => soba(safeSobaOptions(p)), { convergence: 'running-mean', seed: SEED, numRuns: 5 });
});

test('a SABA without the HVP term in its linear system is rejected, naming the property and the counterexample', async () => {
  const broken = (p: QuadraticProblem) => withLinsysHvp(saba(safeSabaOptions(p)), 0);
  await assert.rejects(checkSolver(broken, { seed: SEED, numRuns: 5, parameters: { endOnFailure: true } }), (err: Error) => {
    assert.match(err.message, /^checkSolver: property linearConvergence failed/);
    assert.match(err.message, /quadraticProblem\(\{"dimZ":/, 'the counterexample rebuilds the problem');
    assert.match(err.message, /seed: 42/, 'fast-check’s replay information');
    assert.match(err.message, /reduced ‖∇h‖ from .* within the budget T = \d+/, 'why it failed');
    assert.ok(err.cause instanceof Error);
    return true;
  });
});

test('invalid options are refused', async () => {
  await assert.rejects(checkSolver((p) => saba(safeSabaOptions(p)), { numRuns: 0 }), /checkSolver: numRuns must be a positive integer, received 0/);
  await assert.rejects(checkSolver((p) => saba(safeSabaOptions(p)), { runs: 3 } as never), /checkSolver: unknown option "runs"/);
});
