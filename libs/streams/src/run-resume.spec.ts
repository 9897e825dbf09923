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
import { prepare, run } from './run';
import { Subject, lastValueFrom, tap } from 'rxjs';

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

test('through the streams: checkpoint, stop on request, and resume give the uninterrupted bits (saba, soba, srba, amigo)', async () => {
  for (const name of ['saba', 'soba', 'srba', 'amigo'] as const) {
    const make = () => SOLVERS[name].create({ batchSize: 8 });
    const straight = await lastValueFrom(run(problem, make(), { maxIter: N, sampleEvery: 50, seed: 9 }));
    // a stop requested at the first sample after step 100: the run ends cleanly with a checkpoint
    const stop = new Subject<void>();
    let saved: RunState | undefined;
    const stopped = await lastValueFrom(
      run(problem, make(), {
        maxIter: N,
        sampleEvery: 50,
        seed: 9,
        stop,
        checkpoint: { due: () => false, save: (st) => (saved = structuredClone(st)) },
      }).pipe(tap((s) => s.iteration >= 100 && stop.next())),
    );
    assert.equal(stopped.reason, 'stopped', name);
    assert.ok(saved && saved.versions.x.k === stopped.iteration, `${name}: checkpoint at the stop (${saved?.versions.x.k} vs ${stopped.iteration})`);
    assert.ok(stopped.iteration < N);
    const resumed = await lastValueFrom(run(problem, make(), { maxIter: N, sampleEvery: 50, seed: 9, resume: saved }));
    assert.equal(resumed.reason, 'max-iter');
    sameBits(resumed.z, straight.z, `${name} z`);
    sameBits(resumed.v, straight.v, `${name} v`);
    sameBits(resumed.x, straight.x, `${name} x`);
    assert.deepEqual(resumed.counts, straight.counts, name);
    // a state saved by the plain loop resumes through the streams to the same bits
    let fromLoop: RunState | undefined;
    runLoop(problem, make(), { maxIter: N, seed: 9, checkpoint: { due: (it) => fromLoop === undefined && it >= 150, save: (st) => (fromLoop = structuredClone(st)) } });
    const crossed = await lastValueFrom(run(problem, make(), { maxIter: N, sampleEvery: 50, seed: 9, resume: fromLoop }));
    sameBits(crossed.x, straight.x, `${name} x (loop state, streams resume)`);
  }
});
