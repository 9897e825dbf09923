// Resume to the bit: every registered bilevel solver runs N outer steps straight, and again as a run stopped at a
// checkpoint whose state is then restored into a fresh run (after a structured clone, as a checkpoint file would
// give it back) and continued to N; the final z, v, x, the oracle counts and the parts' states must be identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quadraticProblem } from '@bilevel/problems';
import { SOLVERS } from '@bilevel/solvers';
import { runLoop } from './run-loop';
import type { RunState } from './run-state';
import { captureState } from './state-capture';
import { prepare } from './run';

const N = 400;
const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 40, nOuter: 30, seed: 3 });

const sameBits = (a: Float64Array, b: Float64Array, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

for (const entry of Object.values(SOLVERS)) {
  if (entry.bilevel === false) continue;
  test(`${entry.name}: a run resumed from its checkpoint ends with the bits of the uninterrupted run`, () => {
    const make = () => entry.create({ batchSize: 8 });
    const straight = runLoop(problem, make(), { maxIter: N, sampleEvery: N, seed: 5 });
    let saved: RunState | undefined;
    runLoop(problem, make(), {
      maxIter: N,
      sampleEvery: N,
      seed: 5,
      checkpoint: { due: (it) => saved === undefined && it >= 100, save: (st) => (saved = structuredClone(st)) },
    });
    assert.ok(saved, 'a checkpoint was taken');
    assert.ok(saved.versions.x.k >= 100 && saved.versions.x.k < N, `checkpoint at outer step ${saved.versions.x.k}`);
    const resumed = runLoop(problem, make(), { maxIter: N, sampleEvery: N, seed: 5, resume: saved });
    assert.equal(resumed.iteration, straight.iteration);
    sameBits(resumed.z, straight.z, 'z');
    sameBits(resumed.v, straight.v, 'v');
    sameBits(resumed.x, straight.x, 'x');
    assert.deepEqual(resumed.counts, straight.counts);
  });
}

test('a resume into another run is refused with every difference named', () => {
  const make = () => SOLVERS.saba.create({ batchSize: 8 });
  let saved: RunState | undefined;
  runLoop(problem, make(), { maxIter: 200, sampleEvery: 200, seed: 1, checkpoint: { due: () => saved === undefined, save: (s) => (saved = s) } });
  assert.ok(saved);
  assert.throws(() => runLoop(problem, make(), { maxIter: 300, seed: 2, resume: saved }), /seed is 1 in the saved state but 2 here/);
  assert.throws(
    () => runLoop(problem, SOLVERS.saba.create({ batchSize: 4 }), { maxIter: 300, seed: 1, resume: saved }),
    /solverOptions is .* in the saved state but .* here/,
  );
  assert.throws(() => runLoop(problem, SOLVERS.soba.create({ batchSize: 8 }), { maxIter: 300, seed: 1, resume: saved }), /solver is "saba" in the saved state but "soba" here/);
});

test('captured part states hold no reference to the problem data', () => {
  const prep = prepare('test', problem, SOLVERS.saba.create({ batchSize: 8 }), {});
  const tree = captureState(prep.states, prep.external);
  // the SAGA tables, samplers and scratch of SABA are a few kilobytes on this problem; the problem is not in it
  const bytes = JSON.stringify(tree, (_k, v) => (ArrayBuffer.isView(v) ? new Array((v as Float64Array).length).fill(0) : v)).length;
  assert.ok(bytes < 50_000, `captured ${bytes} characters`);
});
