// timedSolver: each part's step is timed by the injected clock (diagnostics stepSeconds, totalSeconds), the
// trajectory is the untimed solver's to the bit, and a timed run resumes from its own checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quadraticProblem } from '@bilevel/problems';
import { SOLVERS } from '@bilevel/solvers';
import { runLoop } from './run-loop';
import type { RunState } from './run-state';
import { timedSolver } from './timed-solver';

const problem = quadraticProblem({ dimZ: 5, dimX: 2, nInner: 20, nOuter: 10, seed: 1 });

/** A clock that advances 250 ms per reading: every step (two readings) lasts 0.25 s. */
function fakeClock() {
  let t = 0;
  return () => (t += 250);
}

test('timedSolver adds stepSeconds and totalSeconds to every part, leaves the trajectory and the identity unchanged', () => {
  const plain = runLoop(problem, SOLVERS.soba.create({ batchSize: 4 }), { maxIter: 30, sampleEvery: 30, seed: 2 });
  const solver = timedSolver(SOLVERS.soba.create({ batchSize: 4 }), fakeClock());
  const timed = runLoop(problem, solver, { maxIter: 30, sampleEvery: 30, seed: 2 });
  assert.deepEqual([...timed.x], [...plain.x]);
  for (const s of ['inner', 'linsys', 'outer'] as const) {
    const d = timed.diagnostics[s] ?? {};
    assert.equal(d.stepSeconds, 0.25, s);
    assert.equal(d.totalSeconds, 0.25 * 30, s);
  }
  assert.equal(solver.name, 'soba');
  assert.deepEqual(solver.options, SOLVERS.soba.create({ batchSize: 4 }).options);
});

test('a timed run resumed from its checkpoint ends with the bits of the uninterrupted run', () => {
  const make = () => timedSolver(SOLVERS.saba.create({ batchSize: 4 }), fakeClock());
  const straight = runLoop(problem, make(), { maxIter: 60, sampleEvery: 60, seed: 3 });
  let saved: RunState | undefined;
  runLoop(problem, make(), { maxIter: 60, sampleEvery: 60, seed: 3, checkpoint: { due: (it) => saved === undefined && it >= 20, save: (st) => (saved = structuredClone(st)) } });
  assert.ok(saved);
  const resumed = runLoop(problem, make(), { maxIter: 60, sampleEvery: 60, seed: 3, resume: saved });
  assert.deepEqual([...resumed.x], [...straight.x]);
  assert.equal(resumed.diagnostics.outer?.totalSeconds, straight.diagnostics.outer?.totalSeconds);
});
