// SHINE through the coupled streams: the curvature pairs travel from the inner stream to the linear-system stream
// as the aux of each z version, so the linear-system stream makes no HVP; its hypergradient bias is what limits it,
// and OPA or CG refinement remove it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, symEig } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { shine, CONTRACT_QUADRATIC } from '@bilevel/solvers';
import { runLoop } from '@bilevel/streams';

const problem = quadraticProblem(CONTRACT_QUADRATIC);
const spectrum = symEig(problem.outerHessian()).values;
const Lh = spectrum[spectrum.length - 1];
const g0 = nrm2(problem.hypergradient(new Float64Array(problem.dimX)).grad);
const rel = (x: Float64Array) => nrm2(problem.hypergradient(x).grad) / g0;

test('shine: with refinement off, the linear-system stream makes zero HVP calls over a whole run', () => {
  const last = runLoop(problem, shine({ outerStep: 1 / Lh }), { maxIter: 200 });
  assert.equal(last.counts.linsys.hvp, 0);
  assert.equal(last.counts.total.hvp, 0);
  assert.equal(last.counts.linsys.outerGradZ, 200);
  assert.ok((last.diagnostics.linsys?.pairsUsed ?? 0) > 0, 'the linear-system stream received no pairs');
  // the property can fail: refinement does use HVPs
  const refined = runLoop(problem, shine({ outerStep: 1 / Lh, refine: true }), { maxIter: 200 });
  assert.ok(refined.counts.linsys.hvp > 0);
});

test('shine: plain SHINE stalls at its hypergradient bias; OPA lowers it 10×; CG refinement converges', () => {
  const final = (options: Parameters<typeof shine>[0]) => rel(runLoop(problem, shine({ outerStep: 1 / Lh, ...options }), { maxIter: 400 }).x);
  const plain = final({});
  const opa = final({ opa: true });
  const refined = final({ refine: true });
  // measured at 400 steps: 5.2e-2 (plain, H₀ = I), 8.4e-4 (OPA), 9.1e-13 (refinement)
  assert.ok(plain > 1e-2, `plain ${plain}`);
  assert.ok(opa < plain / 10, `OPA ${opa} vs plain ${plain}`);
  assert.ok(refined < 1e-10, `refined ${refined}`);
});
