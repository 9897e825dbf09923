// The front door re-exports the seven libraries' public surfaces, whole and unchanged, and a pipeline needs nothing else
// from the toolkit (rxjs's lastValueFrom aside).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom } from 'rxjs';
import * as linalg from '@bilevel/linalg';
import * as io from '@bilevel/io';
import * as problems from '@bilevel/problems';
import * as autodiff from '@bilevel/autodiff';
import * as solvers from '@bilevel/solvers';
import * as streams from '@bilevel/streams';
import * as verify from '@bilevel/verify';
import * as toolkit from './index';
import { DEFAULT_MONITORS, constantStep, monitorContext, nrm2, quadraticProblem, run, safeSabaOptions, sagaEstimator, singleLoop, withMonitors } from './index';

const SURFACES = { linalg, io, problems, autodiff, solvers, streams, verify } as const;

test('every value exported by the seven libraries is exported by the front door, the same object', () => {
  for (const [lib, surface] of Object.entries(SURFACES)) {
    for (const [name, value] of Object.entries(surface)) {
      assert.ok(name in toolkit, `@bilevel/${lib}'s ${name} is missing from @bilevel/toolkit (exported by two libraries with different values?)`);
      assert.equal((toolkit as Record<string, unknown>)[name], value, `@bilevel/toolkit's ${name} is @bilevel/${lib}'s`);
    }
  }
});

test('the front door exports nothing beyond the seven surfaces', () => {
  const known = new Set(Object.values(SURFACES).flatMap((s) => Object.keys(s)));
  assert.deepEqual(Object.keys(toolkit).filter((name) => !known.has(name)), []);
});

test('a pipeline from one import: a problem, a composed solver, run with the default monitors, converged', async () => {
  const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 32, nOuter: 32, seed: 3 });
  const { batchSize, innerStep, outerStep } = safeSabaOptions(problem); // the steps SABA's theorem allows
  const solver = singleLoop({
    name: 'front-door',
    citation: 'SABA (Dagréou et al., NeurIPS 2022) from its parts',
    inner: { estimator: sagaEstimator(), step: constantStep(innerStep), batchSize },
    linsys: { estimator: sagaEstimator(), step: constantStep(innerStep), batchSize },
    outer: { estimator: sagaEstimator(), step: constantStep(outerStep), batchSize },
  });
  const options = { maxIter: 20_000, sampleEvery: 5000 };
  const findings: string[] = [];
  const { snapshots$, findings$ } = withMonitors(run(problem, solver, options), monitorContext(problem, solver, options), DEFAULT_MONITORS);
  findings$.subscribe((f) => findings.push(`${f.level} ${f.monitor}: ${f.message}`));
  const last = await lastValueFrom(snapshots$);

  const g0 = nrm2(problem.hypergradient(new Float64Array(3)).grad);
  const g = nrm2(problem.hypergradient(last.x).grad);
  assert.equal(last.iteration, 20_000);
  assert.ok(g < 1e-3 * g0, `‖∇h‖ ${g0} → ${g}`);
  assert.deepEqual(findings.filter((f) => f.startsWith('violation')), []);
});
