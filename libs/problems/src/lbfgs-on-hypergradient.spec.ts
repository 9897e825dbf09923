// Warm-started L-BFGS on exact hypergradients: the same minimizer as the cold-started reference, a lower h than the
// start, and a consistent result (value and z* belong to the returned x).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, nrm2 } from '@bilevel/linalg';
import { lbfgsOnHypergradient } from './lbfgs-on-hypergradient';
import { referenceSolution } from './generic-evaluation';
import { multiclassHpo } from './multiclass-hpo';
import { loadClassificationCsv } from './classification-csv';
import { multiclassDataPath } from './multiclass-data-path';
import { splitTrainValTest } from './split-train-val-test';

const { train, val } = splitTrainValTest(loadClassificationCsv(multiclassDataPath()), Rng.fromSeed(1));

test('reaches the reference minimum of h (per-class weights, wine seed 1) and returns h, z* at its x', () => {
  const p = multiclassHpo(train, val);
  const x0 = new Float64Array(3).fill(-5);
  const r = lbfgsOnHypergradient(p, { x0, gtol: 1e-6 });
  const ref = referenceSolution(p, { x0, gtol: 1e-6 });
  assert.ok(r.converged, `‖∇h‖ = ${r.gradNorm}`);
  // h is flat in x_0 (class 0's weight drifts up, e.g. to 6.0 here): compare values, measured 1.1e-10 apart
  assert.ok(Math.abs(r.value - ref.value) < 1e-9, `${r.value} vs ${ref.value}`);
  assert.ok(r.value < p.hypergradient(x0).value);
  // a cold solve at the same x: both stop at ‖∇G‖ ≤ 1e-10, so ‖Δz‖ ≤ 1e-10/μ = 1e-6 with μ = e^{min x} ≈ 1e-4
  // (measured 1.1e-8 in z, 1.1e-10 in h)
  const hg = p.hypergradient(r.x);
  assert.ok(nrm2(Float64Array.from(hg.z, (e, i) => e - r.z[i])) < 1e-10 / p.innerConstants(r.x).mu);
  assert.ok(Math.abs(hg.value - r.value) < 1e-8);
  assert.ok(r.evaluations >= r.iterations);
});

test('an evaluation that throws counts as +∞ (the line search backtracks) instead of ending the search', () => {
  const p = multiclassHpo(train, val);
  let calls = 0;
  const flaky = Object.create(p, {
    hypergradient: {
      value: (x: Float64Array, o?: { z0?: Float64Array }) => {
        calls++;
        if (x[0] > -4.5) throw new RangeError('cholesky: matrix is not positive definite');
        return p.hypergradient(x, o);
      },
    },
  });
  const r = lbfgsOnHypergradient(flaky, { x0: new Float64Array(3).fill(-5), maxIter: 20 });
  assert.ok(calls > 0 && Number.isFinite(r.value));
  assert.ok(r.x[0] <= -4.5);
});
