import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { fewshotTasks, quadraticProblem, sinusoidTasks } from '@bilevel/problems';
import { metaLearningProblem } from '@bilevel/autodiff';
import { countingProblem, emptyCounts } from '../oracle-counts';
import { esjMeta } from './esj-meta';
import { fomaml } from './fomaml';
import { imaml } from './imaml';
import { metaTest } from './meta-test';
import { createMetaSolver, META_SOLVERS } from './meta-registry';
import { reptile } from './reptile';
import type { MetaBatchAux } from './meta-parts';
import { syntheticFewShot } from './fixtures/synthetic-fewshot';
import { driveGaussSeidel } from './fixtures/drive-gauss-seidel';

const sinusoidModel = { kind: 'mlp' as const, inputShape: [1], hidden: [40, 40], outputs: 1 };
/** MAML's evaluation: one gradient step of 0.01 on the K = 10 support points. */
const ONE_STEP = { innerSteps: 1, innerStep: 0.01 };

test('meta-solvers: options are validated, the values in effect listed, the schedule is gauss-seidel', () => {
  assert.deepEqual(imaml().options, { innerSteps: 16, innerStep: 0.1, innerTol: 0, innerMethod: 'gd', metaBatch: 32, outerStep: 1e-3, adamEps: 1e-3, cgSteps: 5, cgTol: 1e-10, cgSystem: 'paper' });
  assert.deepEqual(esjMeta().options, { innerSteps: 16, innerStep: 0.1, innerTol: 0, innerMethod: 'gd', metaBatch: 32, outerStep: 1e-3, adamEps: 1e-3, directions: 1, smoothing: 1e-3 });
  for (const name of Object.keys(META_SOLVERS)) assert.equal(createMetaSolver(name).schedule, 'gauss-seidel');
  assert.throws(() => imaml({ cgSteps: 0 }), /imaml: cgSteps must be a positive integer, received 0/);
  assert.throws(() => imaml({ cgSystem: 'authors' as 'paper' }), /imaml: cgSystem must be one of paper, damped, received authors/);
  assert.throws(() => imaml({ cgRadius: 0 }), /imaml: cgRadius must be a positive finite number, received 0/);
  assert.equal(imaml({ cgRadius: 2 }).options.cgRadius, 2);
  assert.throws(() => fomaml({ innerMethod: 'adam' as 'gd' }), /fomaml: innerMethod must be one of gd, newton-cg, received adam/);
  assert.throws(() => reptile({ lambda: 2 } as object), /reptile: unknown option "lambda"/);
  assert.throws(() => createMetaSolver('saba'), /unknown meta-learning solver "saba"; expected one of imaml, fomaml, reptile, esj-s/);
  const quad = quadraticProblem({ dimZ: 4, dimX: 2, nInner: 8, nOuter: 8, seed: 1 });
  assert.throws(() => imaml().inner.init(quad, Rng.fromSeed(0)), /imaml: problem "quadratic" is not a meta-learning problem/);
});

test('meta-solvers: the three streams do their parts (inner: B adapted tasks; linsys: the CG solves; outer: Adam along −λ·mean v)', () => {
  const p = metaLearningProblem({ model: { kind: 'mlp', inputShape: [1], hidden: [8], outputs: 1, activation: 'tanh' }, tasks: sinusoidTasks({ count: 100, seed: 2 }), lambda: 4 });
  const counts = { inner: emptyCounts(), linsys: emptyCounts(), outer: emptyCounts() };
  const solver = imaml({ metaBatch: 3, innerSteps: 4, cgSteps: 2 });
  const rng = Rng.fromSeed(5);
  const states = { inner: solver.inner.init(countingProblem(p, counts.inner), rng.split()), linsys: solver.linsys.init(countingProblem(p, counts.linsys), rng.split()), outer: solver.outer.init(countingProblem(p, counts.outer), rng.split()) };
  const x = p.initialParams(1);
  const z = new Float64Array(p.dimZ);
  const aux = solver.inner.step(states.inner, { z, v: z, x }, 0, z) as MetaBatchAux;
  assert.equal(aux.tasks.length, 3);
  assert.deepEqual({ grads: counts.inner.innerGrad, tasks: counts.inner.innerSamples }, { grads: 12, tasks: 12 }, 'four gradient steps on each of three tasks, one task per call');
  // z is the mean of the adapted φ_b
  for (const i of [0, 7, p.dimZ - 1]) assert.ok(Math.abs(z[i] - (aux.phis[i] + aux.phis[p.dimZ + i] + aux.phis[2 * p.dimZ + i]) / 3) < 1e-15);
  const v = new Float64Array(p.dimZ);
  solver.linsys.step(states.linsys, { z, v: new Float64Array(p.dimZ), x, aux: { z: aux } }, 0, v);
  assert.equal(counts.linsys.outerGradZ, 3, 'one query gradient per task');
  assert.equal(counts.linsys.hvp, 3 * 3, 'two CG steps and the initial residual per task');
  const x1 = new Float64Array(p.dimX);
  solver.outer.step(states.outer, { z, v, x, aux: { z: aux } }, 0, x1);
  // Adam's first step (bias-corrected m̂ = d, ŝ = d²) is lr·d/(|d| + ϵ), along d = ∇²_θφG·v = −λv
  let moved = 0;
  for (let i = 0; i < p.dimX; i++) {
    const d = -p.lambda * v[i];
    assert.ok(Math.abs(x1[i] - (x[i] - (1e-3 * d) / (Math.abs(d) + 1e-3))) < 1e-15, `coordinate ${i}`);
    if (d !== 0) moved++;
  }
  assert.ok(moved > p.dimX / 2);
});

test('sinusoid (K = 10): 300 meta-steps of each meta-solver lower the meta-test MSE after one gradient step', () => {
  const train = metaLearningProblem({ model: sinusoidModel, tasks: sinusoidTasks({ shots: 10, seed: 0 }), lambda: 100 });
  const evaluation = metaLearningProblem({ model: sinusoidModel, tasks: sinusoidTasks({ shots: 10, queries: 100, seed: 99, count: 200 }), lambda: 100 });
  const x0 = train.initialParams(0);
  const before = metaTest(evaluation, x0, { episodes: 200, ...ONE_STEP }).loss.mean;
  for (const name of Object.keys(META_SOLVERS)) {
    const solver = createMetaSolver(name, { metaBatch: 10, ...ONE_STEP, outerStep: 1e-2 });
    const x = driveGaussSeidel(train, solver, x0, 300);
    const after = metaTest(evaluation, x, { episodes: 200, ...ONE_STEP }).loss.mean;
    assert.ok(after < 0.9 * before, `${name}: meta-test MSE ${before.toFixed(3)} → ${after.toFixed(3)}`);
  }
});

test('few-shot (synthetic 3-way 1-shot classes): 100 iMAML steps lift the meta-test accuracy well above chance and above the start', () => {
  const model = { kind: 'mlp' as const, inputShape: [1, 8, 8], hidden: [32], outputs: 3 };
  const train = metaLearningProblem({ model, tasks: fewshotTasks(syntheticFewShot(40, 10, 8, 1), { ways: 3, shots: 1, queries: 3, seed: 0 }), lambda: 2 });
  const evaluation = metaLearningProblem({ model, tasks: fewshotTasks(syntheticFewShot(20, 10, 8, 2), { ways: 3, shots: 1, queries: 3, count: 100, seed: 5 }), lambda: 2 });
  const adapt = { innerSteps: 5, innerStep: 0.5 };
  const x0 = train.initialParams(0);
  const start = metaTest(evaluation, x0, { episodes: 100, ...adapt }).accuracy!.mean;
  const x = driveGaussSeidel(train, imaml({ metaBatch: 8, ...adapt, outerStep: 3e-3 }), x0, 100);
  const r = metaTest(evaluation, x, { episodes: 100, ...adapt });
  const acc = r.accuracy!;
  assert.ok(acc.mean - acc.ci95 > 1 / 3 + 0.1, `accuracy ${acc.mean.toFixed(3)} ± ${acc.ci95.toFixed(3)} vs chance 1/3`);
  assert.ok(acc.mean > start + 0.1, `accuracy ${start.toFixed(3)} → ${acc.mean.toFixed(3)}`);
  assert.ok(r.accuracyBefore!.mean < acc.mean, 'adaptation helps');
});
