// solveInnerNewtonCg: Newton–CG on HVPs reaches tolerances below the rounding of G on a convex problem (against
// LogregHpo's Newton + Cholesky solve) and finds a local minimizer of a non-convex one (an MLP).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2 } from '@bilevel/linalg';
import { logregHpo } from '@bilevel/problems';
import { breastCancerSlice } from '../fixtures/breast-cancer-slice';
import { mlpSpec } from '../fixtures/model-specs';
import { logregModel } from './logreg-model';
import { modelProblem } from './model-problem';
import { solveInnerNewtonCg } from './solve-inner-newton-cg';

test('on the logistic task it reaches ‖∇G‖ ≤ 1e-13 and LogregHpo\'s minimizer', () => {
  const data = breastCancerSlice();
  const analytic = logregHpo(data.train, data.val, { reg: 'feature' });
  const model = logregModel(analytic);
  const x = Float64Array.from({ length: analytic.dimX }, (_, k) => -2 + 0.1 * k);
  const res = solveInnerNewtonCg(model, x, { tol: 1e-13 });
  assert.ok(res.converged && res.gradNorm <= 1e-13 && res.tol === 1e-13, `‖∇G‖ = ${res.gradNorm} after ${res.iterations} steps`);
  assert.ok(res.iterations < 30, `${res.iterations} Newton steps`);
  const want = analytic.solveInner(x, { tol: 1e-13 }).z;
  const diff = nrm2(Float64Array.from(res.z, (e, i) => e - want[i])) / nrm2(want);
  assert.ok(diff <= 1e-11, `relative distance to the analytic minimizer ${diff}`);
});

test('on an MLP (non-convex) it descends to a local minimizer from the given start, and says when it stops short', () => {
  const p = modelProblem({ ...mlpSpec({ activation: 'tanh' }), init: { kind: 'glorot-uniform', seed: 1 } });
  const x = Float64Array.of(-3, -3);
  const z0 = p.initialZ();
  const g0 = p.innerValue(z0, x, p.fullInner);
  const res = solveInnerNewtonCg(p, x, { tol: 1e-9, z0 });
  assert.ok(res.converged, `‖∇G‖ = ${res.gradNorm} after ${res.iterations} steps`);
  assert.ok(p.innerValue(res.z, x, p.fullInner) < g0, 'G decreased');
  // a local minimizer: the Hessian is positive semi-definite along random directions (Rayleigh quotients ≥ 0)
  for (let k = 0; k < 5; k++) {
    const v = Float64Array.from({ length: p.dimZ }, (_, i) => Math.sin(7 * k + 1.3 * i));
    const hv = new Float64Array(p.dimZ);
    p.innerHvp(res.z, x, v, p.fullInner, hv);
    assert.ok(hv.reduce((s, e, i) => s + e * v[i], 0) > 0, `curvature along direction ${k}`);
  }
  const short = solveInnerNewtonCg(p, x, { tol: 1e-9, z0, maxIter: 1 });
  assert.equal(short.converged, false);
  assert.equal(short.iterations, 1);
  assert.ok(short.gradNorm > 1e-9);
});
