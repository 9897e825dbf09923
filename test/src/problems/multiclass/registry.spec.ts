// Every registered bilevel solver on multiclass-hpo (bundled wine, per-class weights): the optional oracles it needs
// are there, the same seed gives the same trajectory through the streams and the plain loop, and the iterates stay
// finite at the solver's default steps over a short run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { loadMulticlassHpo } from '@bilevel/problems';
import { SOLVERS } from '@bilevel/solvers';
import { run, runLoop } from '@bilevel/streams';
import type { Snapshot } from '@bilevel/streams';

const problem = loadMulticlassHpo({ seed: 1 });
const bits = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const sameRun = (a: Snapshot[], b: Snapshot[]) => a.length === b.length && a.every((s, i) => bits(s.x, b[i].x) && bits(s.z, b[i].z) && bits(s.v, b[i].v));
/** Outer steps of the short runs (loop methods do many inner steps per outer step). */
const SHORT = 20;
/** A moderate start: e^x ≈ 0.05 for every class. */
const x0 = new Float64Array(problem.dimX).fill(-3);

for (const entry of Object.values(SOLVERS)) {
  if (entry.bilevel === false) continue;
  test(`${entry.name} on multiclass-hpo: streams = loop to the bit, finite at the default steps`, async () => {
    const opts = { seed: 3, maxIter: SHORT, sampleEvery: 5, x0 };
    const a = await lastValueFrom(run(problem, entry.create({ batchSize: 16 }), opts).pipe(toArray()));
    const loop: Snapshot[] = [];
    runLoop(problem, entry.create({ batchSize: 16 }), opts, (s) => loop.push(s));
    assert.ok(sameRun(a, loop), 'the streams and the plain loop differ');
    for (const s of a) for (const arr of [s.x, s.z, s.v]) assert.ok(arr.every(Number.isFinite));
  });
}
