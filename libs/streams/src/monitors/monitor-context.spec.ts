// monitorContext resolves maxIter and sampleEvery exactly as run does (prepare is run's own resolution).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quadraticProblem } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { prepare } from '../run';
import { monitorContext } from './monitor-context';

test('maxIter and sampleEvery agree with run for defaults and given values', () => {
  const problem = quadraticProblem({ dimZ: 3, dimX: 2, nInner: 8, nOuter: 8, seed: 1 });
  const solver = saba({ batchSize: 4 });
  for (const options of [{}, { maxIter: 50 }, { maxIter: 50_000 }, { maxIter: 7, sampleEvery: 3 }, { maxIter: 0 }]) {
    const ctx = monitorContext(problem, solver, options);
    const prep = prepare('test', problem, solver, options);
    assert.equal(ctx.maxIter, prep.maxIter, JSON.stringify(options));
    assert.equal(ctx.sampleEvery, prep.sampleEvery, JSON.stringify(options));
    assert.equal(ctx.problem, problem);
    assert.equal(ctx.solver, solver);
  }
});
