// The DEQ training solver's parts stepped by hand in Gauss–Seidel order: the forward part reaches each sample's
// fixed point (Broyden and Anderson); a forward solve that misses its budget ends the step (z, v, x unchanged, the
// failure counted); every backward pass lowers the loss of a small problem; options are checked up front; and the
// comparison with the exact direction gives cosine 1 for the exact pass and for a long refinement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { deqProblem } from '@bilevel/autodiff';
import type { DeqProblem } from '@bilevel/autodiff';
import type { Solver } from '../solver';
import { checkDeqDirection } from './check-deq-direction';
import type { DeqForwardAux, DeqTrainingOptions } from './deq-training';
import { deqTraining } from './deq-training';

/** Two Gaussian clusters per class in 6 dimensions, 3 classes, 48 samples: learnable by a small DEQ. */
function clusters(seed: number, layerScale = 0.5): DeqProblem {
  const n = 48;
  const p = 6;
  const rng = Rng.fromSeed(seed);
  const centers = new Float64Array(3 * p);
  rng.normals(centers);
  const data = new Float64Array(n * p);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let j = 0; j < p; j++) data[i * p + j] = 1.5 * centers[labels[i] * p + j] + 0.7 * rng.normal();
  }
  return deqProblem({ train: { features: { rows: n, cols: p, data }, labels }, classes: 3, hidden: 8, init: { seed: seed + 1, layerScale } });
}

/** The three parts stepped in Gauss–Seidel order (each reads the versions of this step), `steps` times. */
function stepParts(problem: DeqProblem, solver: Solver, steps: number, x0 = problem.initialX()) {
  const rng = Rng.fromSeed(5);
  const states = { inner: solver.inner.init(problem, rng.split()), linsys: solver.linsys.init(problem, rng.split()), outer: solver.outer.init(problem, rng.split()) };
  let z = new Float64Array(problem.dimZ);
  let v = new Float64Array(problem.dimZ);
  let x = x0;
  const auxes: DeqForwardAux[] = [];
  for (let t = 0; t < steps; t++) {
    const z1 = new Float64Array(problem.dimZ);
    const aux = solver.inner.step(states.inner, { z, v, x }, t, z1) as DeqForwardAux;
    auxes.push(aux);
    const v1 = new Float64Array(problem.dimZ);
    solver.linsys.step(states.linsys, { z: z1, v, x, aux: { z: aux } }, t, v1);
    const x1 = new Float64Array(problem.dimX);
    solver.outer.step(states.outer, { z: z1, v: v1, x, aux: { z: aux } }, t, x1);
    [z, v, x] = [z1, v1, x1];
  }
  const diag = { inner: solver.inner.diagnostics?.(states.inner) ?? {}, linsys: solver.linsys.diagnostics?.(states.linsys) ?? {}, outer: solver.outer.diagnostics?.(states.outer) ?? {} };
  return { z, v, x, auxes, diag };
}

/** The training loss over all samples at their exact equilibria. */
function fullLoss(problem: DeqProblem, x: Float64Array): number {
  return problem.outerValue(problem.solveInner(x).z, x, problem.fullOuter);
}

for (const forward of ['broyden', 'anderson'] as const) {
  test(`deqTraining: the ${forward} forward step reaches every batch sample's fixed point to its tolerance and publishes the batch`, () => {
    const problem = clusters(1);
    const tol = 1e-8;
    const { z, auxes, diag } = stepParts(problem, deqTraining({ forward, backward: 'jfb', batchSize: 16, forwardTol: tol, forwardMaxIter: 100 }), 1);
    const a = auxes[0];
    assert.ok(a.converged);
    assert.equal(a.batch.length, 16);
    assert.equal(a.inverse, undefined, 'no inverse is copied for a pass that does not use it');
    const d = problem.stateDim;
    const eq = problem.equilibriumBatch(a.batch, problem.initialX());
    const zc = new Float64Array(16 * d);
    for (let k = 0; k < 16; k++) zc.set(z.subarray(a.batch[k] * d, a.batch[k] * d + d), k * d);
    const f = new Float64Array(zc.length);
    eq.layer(zc, f);
    for (let k = 0; k < 16; k++) {
      let rr = 0;
      let ff = 0;
      for (let j = k * d; j < k * d + d; j++) {
        rr += (zc[j] - f[j]) ** 2;
        ff += f[j] ** 2;
      }
      assert.ok(Math.sqrt(rr) <= tol * Math.sqrt(ff), `sample ${a.batch[k]}`);
    }
    assert.equal(diag.inner.forwardConverged, 1);
    assert.ok(diag.inner.forwardIterations > 0 && diag.inner.forwardIterations < 100);
  });
}

test('deqTraining: a forward solve that misses its budget ends the step: z, v and x unchanged, the failure counted', () => {
  const problem = clusters(2, 3);
  const x0 = problem.initialX();
  const { z, v, x, auxes, diag } = stepParts(problem, deqTraining({ backward: 'shine', batchSize: 16, forwardTol: 1e-12, forwardMaxIter: 2 }), 2, x0);
  assert.ok(auxes.every((a) => !a.converged));
  assert.ok(z.every((c) => c === 0) && v.every((c) => c === 0));
  assert.deepEqual([...x], [...x0]);
  assert.equal(diag.inner.forwardFailures, 2);
  assert.equal(diag.inner.forwardConverged, 0);
  assert.equal(diag.linsys.skippedSteps, 2);
  assert.equal(diag.outer.skippedSteps, 2);
  assert.equal(diag.outer.adamSteps, 0);
});

for (const backward of ['exact', 'shine', 'shine-opa', 'jfb'] as const) {
  test(`deqTraining (${backward}): 40 Adam steps lower the training loss at the equilibria`, () => {
    const problem = clusters(3);
    const x0 = problem.initialX();
    const options: DeqTrainingOptions = { backward, batchSize: 16, outerStep: 0.02, forwardTol: 1e-6, forwardMaxIter: 60 };
    const { x, diag } = stepParts(problem, deqTraining(options), 40, x0);
    const before = fullLoss(problem, x0);
    const after = fullLoss(problem, x);
    assert.ok(after < 0.7 * before, `loss ${before} → ${after}`);
    assert.equal(diag.inner.forwardFailures, 0);
    if (backward === 'exact') assert.ok(diag.linsys.backwardProductsTotal > 40);
    else assert.equal(diag.linsys.backwardProductsTotal, 0, 'SHINE and JFB make no product with the Jacobian');
    if (backward === 'shine-opa') assert.ok(diag.inner.opaUpdates > 0 && diag.inner.opaProducts >= 40);
  });
}

test('checkDeqDirection: the exact pass and a long refinement have cosine 1; SHINE, SHINE-OPA and JFB report their cosine and cost', () => {
  const problem = clusters(4);
  const x = problem.initialX();
  const batch = Int32Array.from({ length: 16 }, (_, i) => i);
  const common = { forwardTol: 1e-8, forwardMaxIter: 80 };
  const exact = checkDeqDirection(problem, x, batch, { backward: 'exact', backwardTol: 1e-12, backwardMaxIter: 500, ...common });
  assert.ok(exact.cosine > 1 - 1e-10 && exact.relativeError < 1e-9, `exact: ${exact.cosine}`);
  const refined = checkDeqDirection(problem, x, batch, { backward: 'jfb', refine: 100, backwardTol: 1e-12, ...common });
  assert.ok(refined.relativeError < 1e-9);
  for (const backward of ['shine', 'shine-opa', 'jfb'] as const) {
    const c = checkDeqDirection(problem, x, batch, { backward, ...common });
    assert.ok(c.cosine > 0 && c.cosine <= 1 + 1e-12, `${backward}: ${c.cosine}`);
    assert.ok(c.gradientCosine > 0 && c.gradientCosine <= 1 + 1e-12);
    assert.equal(c.products, 0);
    assert.ok(c.exactProducts > 0);
  }
});

test('deqTraining: bad options are one clear RangeError (SHINE needs a Broyden forward pass)', () => {
  assert.throws(() => deqTraining({ forward: 'anderson', backward: 'shine' }), /deqTraining: backward "shine" reuses the forward pass's Broyden inverse, so it needs forward "broyden", received forward "anderson"/);
  assert.throws(() => deqTraining({ backward: 'exact', refine: 3 }), /refine applies to the approximate backward passes/);
  assert.throws(() => deqTraining({ backward: 'newton' as never }), /backward must be one of exact, shine, shine-opa, jfb, received newton/);
  assert.throws(() => deqTraining({ refine: -1 }), /refine must be an integer ≥ 0, received -1/);
  assert.throws(() => deqTraining({ batchsize: 3 } as never), /unknown option "batchsize"/);
  const problem = { name: 'quadratic' } as never;
  assert.throws(() => deqTraining().inner.init(problem, Rng.fromSeed(0)), /problem "quadratic" is not an equilibrium problem/);
});
