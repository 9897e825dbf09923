// The solver contract, run over the whole registry × {quadratic, logreg-hpo, a user class with #private fields}: same
// seed ⇒ same trajectory (through the RxJS streams, and equal to the plain loop); no non-finite value at the default
// steps; the documented accuracy on the contract quadratic within the documented budget. The class holds the contract
// quadratic behind #private fields and getters: every solver must run on it and give the quadratic's trajectory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { nrm2 } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { buildProblem } from '@bilevel/cli';
import { CONTRACT_QUADRATIC, SOLVERS } from '@bilevel/solvers';
import { run, runLoop } from '@bilevel/streams';
import type { Snapshot } from '@bilevel/streams';
import { PrivateFieldsProblem } from './private-fields-problem';

const quadratic = quadraticProblem(CONTRACT_QUADRATIC);
const logreg = buildProblem({ problem: 'logreg-hpo', reg: 'scalar', standardize: 'train', seed: 0 });
const privateFields = new PrivateFieldsProblem(quadratic);
const problems = { quadratic, 'logreg-hpo': logreg, 'a class with #private fields': privateFields };
const bits = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const sameRun = (a: Snapshot[], b: Snapshot[]) => a.length === b.length && a.every((s, i) => bits(s.x, b[i].x) && bits(s.z, b[i].z) && bits(s.v, b[i].v));
/** Outer steps of the short contract runs (loop methods do many inner steps per outer step). */
const SHORT = 30;

for (const entry of Object.values(SOLVERS)) {
  if (entry.bilevel === false) continue;
  for (const [problemName, problem] of Object.entries(problems)) {
    test(`${entry.name} on ${problemName}: same seed, same trajectory (streams = loop); finite at the default steps`, async () => {
      const opts = { seed: 7, maxIter: SHORT, sampleEvery: 5 };
      const a = await lastValueFrom(run(problem, entry.create({ batchSize: 8 }), opts).pipe(toArray()));
      const b = await lastValueFrom(run(problem, entry.create({ batchSize: 8 }), opts).pipe(toArray()));
      const loop: Snapshot[] = [];
      runLoop(problem, entry.create({ batchSize: 8 }), opts, (s) => loop.push(s));
      assert.ok(sameRun(a, b), 'two runs with one seed differ');
      assert.ok(sameRun(a, loop), 'the streams and the plain loop differ');
      for (const s of a) for (const arr of [s.x, s.z, s.v]) assert.ok(arr.every(Number.isFinite));
      if (problem === privateFields) {
        const plain = await lastValueFrom(run(quadratic, entry.create({ batchSize: 8 }), opts).pipe(toArray()));
        assert.ok(sameRun(a, plain), 'the class holding the quadratic behind #private fields gives another trajectory than the quadratic');
      }
    });
  }
  const doc = entry.quadratic;
  test(`${entry.name} reaches its documented accuracy on the contract quadratic`, { skip: doc ? false : 'no documented accuracy' }, () => {
    const d = doc!;
    const g0 = nrm2(quadratic.hypergradient(new Float64Array(quadratic.dimX)).grad);
    const last = runLoop(quadratic, entry.create({ batchSize: 8, ...(d.options ?? {}) }), { seed: 0, maxIter: d.budget });
    const rel = nrm2(quadratic.hypergradient(last.x).grad) / g0;
    assert.ok(rel <= d.accuracy, `‖∇h‖/‖∇h₀‖ = ${rel.toExponential(2)} > documented ${d.accuracy} after ${d.budget} steps`);
  });
}

test('every registered bilevel solver documents its accuracy on the quadratic', () => {
  const missing = Object.values(SOLVERS).filter((e) => e.bilevel !== false && !e.quadratic).map((e) => e.name);
  assert.deepEqual(missing, []);
});
