// The "Assemble a pipeline from parts" example of docs/solvers-and-parts.md (once the README's), kept compiling and
// running from the libraries' own entry points.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom } from 'rxjs';
import { nrm2 } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { aiSarahStep, constantStep, rkcStep, sagaEstimator, sarahEstimator, singleLoop } from '@bilevel/solvers';
import { run } from '@bilevel/streams';

test('README pipeline: SARAH + tune-free AI-SARAH steps on z, SAGA + RKC on v, SAGA + constant on x', async () => {
  const problem = quadraticProblem({ dimZ: 10, dimX: 5, nInner: 64, nOuter: 64, seed: 1 });
  const solver = singleLoop({
    name: 'my-pipeline',
    citation: 'parts of SRBA, AI-SARAH, RKC and SABA',
    inner: { estimator: sarahEstimator(), step: aiSarahStep(), batchSize: 16 },
    linsys: { estimator: sagaEstimator(), step: rkcStep({ stages: 3, step: 0.05 }), batchSize: 16 },
    outer: { estimator: sagaEstimator(), step: constantStep(0.02), batchSize: 16 },
  });
  const last = await lastValueFrom(run(problem, solver, { maxIter: 3000, sampleEvery: 1000, schedule: 'gauss-seidel' }));
  const g0 = nrm2(problem.hypergradient(new Float64Array(5)).grad);
  const g = nrm2(problem.hypergradient(last.x).grad);
  assert.ok(g < 1e-3 * g0, `‖∇h‖ ${g0} → ${g}`);
  assert.ok(last.diagnostics.inner && 'step' in last.diagnostics.inner, 'the AI-SARAH step is reported');
});
