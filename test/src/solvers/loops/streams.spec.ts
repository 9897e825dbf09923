// The loop solvers through the RxJS wiring equal the plain loop to the bit, SHINE's aux (its curvature pairs)
// included: one seed, one trajectory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { quadraticProblem } from '@bilevel/problems';
import { amigo, implicitDiff, shine, stocbio, CONTRACT_QUADRATIC } from '@bilevel/solvers';
import { run, runLoop } from '@bilevel/streams';
import type { Snapshot } from '@bilevel/streams';

const problem = quadraticProblem(CONTRACT_QUADRATIC);
const bits = (a: Float64Array, b: Float64Array) => a.every((v, i) => Object.is(v, b[i]));

for (const [name, make] of [
  ['amigo', () => amigo({ batchSize: 8 })],
  ['stocbio', () => stocbio({ batchSize: 8 })],
  ['implicit-diff', () => implicitDiff()],
  ['shine', () => shine({ opa: true, refine: true, refineIters: 3 })],
] as const) {
  test(`${name}: run() through the streams equals runLoop, bit for bit`, async () => {
    const options = { seed: 3, maxIter: 40, sampleEvery: 10 };
    const streamed = await lastValueFrom(run(problem, make(), options).pipe(toArray()));
    const looped: Snapshot[] = [];
    runLoop(problem, make(), options, (s) => looped.push(s));
    assert.equal(streamed.length, looped.length);
    streamed.forEach((s, i) => assert.ok(bits(s.x, looped[i].x) && bits(s.z, looped[i].z) && bits(s.v, looped[i].v), `snapshot ${i}`));
    assert.deepEqual(streamed[streamed.length - 1].counts, looped[looped.length - 1].counts);
  });
}
