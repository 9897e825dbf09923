// RunOptions.onYield: a look at the run between stretches of work (a live view), and a hold (a pause) that takes no
// step and no solver time, whatever the subscribers see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, Subject, toArray } from 'rxjs';
import { quadraticProblem } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { run } from './run';
import type { Snapshot } from './snapshot';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 24, nOuter: 20, seed: 5 });
const solver = saba({ batchSize: 4, innerStep: 0.2, outerStep: 0.05 });
const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
/** yieldMs 0: the run yields after every stretch of 16 ticks, so onYield is called many times in a short run. */
const OPTS = { seed: 11, maxIter: 400, sampleEvery: 100, yieldMs: 0 } as const;
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

test('onYield peeks at the current state between stretches without changing what subscribers see', async () => {
  const reference = await lastValueFrom(run(problem, solver, OPTS).pipe(toArray()));
  const peeks: Snapshot[] = [];
  const watched = await lastValueFrom(run(problem, solver, { ...OPTS, onYield: (peek) => void peeks.push(peek()) }).pipe(toArray()));
  assert.deepEqual(watched.map((s) => s.iteration), reference.map((s) => s.iteration));
  watched.forEach((s, i) => assert.ok(sameBits(s.x, reference[i].x) && sameBits(s.z, reference[i].z) && sameBits(s.v, reference[i].v), `snapshot ${i} differs`));
  assert.ok(peeks.length >= 10, `peeked ${peeks.length} times`);
  assert.ok(peeks.some((p) => p.iteration % OPTS.sampleEvery !== 0), 'peeks fall between the sample points');
  for (let i = 1; i < peeks.length; i++) assert.ok(peeks[i].iteration >= peeks[i - 1].iteration);
  assert.ok(peeks.every((p) => !p.final && p.iteration <= OPTS.maxIter && p.x.length === problem.dimX));
});

test('a promise returned by onYield holds the run: no step until it settles, and the hold is not solver time', async () => {
  let release: (() => void) | undefined;
  let heldAt: number | undefined;
  let calls = 0;
  const seen: Snapshot[] = [];
  const done = lastValueFrom(
    run(problem, solver, {
      ...OPTS,
      onYield: (peek) => {
        calls++;
        if (heldAt !== undefined) return undefined;
        heldAt = peek().iteration;
        return new Promise<void>((r) => (release = r));
      },
    }).pipe(toArray()),
  ).then((all) => seen.push(...all));
  await turns(50);
  assert.ok(release, 'the run yielded');
  assert.equal(calls, 1, 'no stretch of work while held');
  assert.equal(seen.length, 0, 'the run has not completed');
  release!();
  await done;
  const reference = await lastValueFrom(run(problem, solver, OPTS));
  assert.ok(sameBits(seen.at(-1)!.x, reference.x), 'the held run ends where an unheld one does');
  assert.ok(heldAt! < OPTS.maxIter);
});

test('a stop requested during a hold ends the run cleanly once the hold settles', async () => {
  const stop = new Subject<void>();
  let release: (() => void) | undefined;
  const all = lastValueFrom(run(problem, solver, { ...OPTS, stop, onYield: () => (release ? undefined : new Promise<void>((r) => (release = r))) }).pipe(toArray()));
  await turns(20);
  assert.ok(release);
  stop.next();
  release!();
  const snapshots = await all;
  assert.equal(snapshots.at(-1)!.reason, 'stopped');
  assert.ok(snapshots.at(-1)!.iteration < OPTS.maxIter);
});

test('unsubscribing during a hold cancels the run: nothing runs after the hold settles', async () => {
  let release: (() => void) | undefined;
  let calls = 0;
  const seen: Snapshot[] = [];
  const sub = run(problem, solver, { ...OPTS, onYield: () => (calls++ === 0 ? new Promise<void>((r) => (release = r)) : undefined) }).subscribe((s) => seen.push(s));
  await turns(20);
  assert.ok(release);
  const before = seen.length;
  sub.unsubscribe();
  release!();
  await turns(20);
  assert.equal(calls, 1);
  assert.equal(seen.length, before);
});
