import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2 } from '@bilevel/linalg';
import { fewshotTasks, sinusoidTasks } from '@bilevel/problems';
import type { FewShotDataset } from '@bilevel/problems';
import { auditOracles } from '../audit-oracles';
import { metaModel } from './meta-model';
import { metaLearningProblem } from './meta-learning-problem';

/** 10 classes of 6 random 8×8 drawings (a deterministic pattern of each class and drawing). */
function images(): FewShotDataset {
  const px = 64;
  const data = new Float64Array(60 * px);
  for (let r = 0; r < 60; r++) for (let i = 0; i < px; i++) data[r * px + i] = (Math.sin(1.7 * i * (1 + Math.floor(r / 6)) + r) + 1) / 2;
  return { size: 8, images: data, classes: Array.from({ length: 10 }, (_, c) => ({ alphabet: `a${c % 2}`, name: `c${c}`, indices: Int32Array.from({ length: 6 }, (_, d) => 6 * c + d) })) };
}

const rel = (a: Float64Array, b: Float64Array) => nrm2(a.map((e, i) => e - b[i])) / Math.max(nrm2(b), 1e-300);

test('metaModel: the 4-layer convnet\'s shapes (stride-2 layers: 28 → 14 → 7 → 4 → 2) and seeded initialisation; the MLP', () => {
  const conv = metaModel({ kind: 'conv4', inputSize: 28, channels: 32, outputs: 5 });
  assert.deepEqual(conv.params.dense, [2 * 2 * 32, 5]);
  assert.equal(conv.size, 9 * 32 + 3 * 9 * 32 * 32 + 4 * 2 * 32 + 128 * 5 + 5);
  const theta = conv.init(3);
  assert.deepEqual(theta, conv.init(3));
  assert.ok(conv.layout.view(theta, 'gamma2').every((g) => g === 1));
  assert.ok(conv.layout.view(theta, 'beta4').every((b) => b === 0));
  const mlp = metaModel({ kind: 'mlp', inputShape: [1], hidden: [40, 40], outputs: 1 });
  assert.equal(mlp.size, 40 + 40 + 40 * 40 + 40 + 40 + 1);
  assert.throws(() => metaModel({ kind: 'conv4', inputSize: 28, channels: 0, outputs: 5 }), /metaModel: spec.channels must be an integer in 1\.\.1024, received 0/);
  assert.throws(() => metaModel({ kind: 'resnet' } as never), /spec.kind must be "conv4" or "mlp"/);
});

test('metaLearningProblem: every oracle of a task (batch-norm convnet and MLP) agrees with central finite differences', () => {
  const tasks = fewshotTasks(images(), { ways: 3, shots: 2, queries: 2, count: 20 });
  for (const model of [metaModel({ kind: 'conv4', inputSize: 8, channels: 2, outputs: 3 }), metaModel({ kind: 'mlp', inputShape: [1, 8, 8], hidden: [5], outputs: 3, activation: 'tanh' })]) {
    const p = metaLearningProblem({ model, tasks, lambda: 3 });
    const audit = auditOracles(p.task(4), { seed: 2 });
    assert.ok(audit.ok, `${model.name}: ${audit.oracles.map((o) => `${o.name} ${o.maxRelError.toExponential(1)}`).join(', ')}`);
  }
});

test('metaLearningProblem: the samples are the tasks: an oracle on [j] is task j\'s, on several tasks their mean; the proximal terms are closed-form', () => {
  const p = metaLearningProblem({ model: { kind: 'mlp', inputShape: [1], hidden: [6], outputs: 1 }, tasks: sinusoidTasks({ count: 50, seed: 1 }), lambda: 2.5 });
  const theta = p.initialParams(1);
  const phi = theta.map((t, i) => t + 0.1 * Math.cos(i));
  const v = theta.map((_, i) => Math.sin(3 * i));
  const a = new Float64Array(p.dimZ);
  const b = new Float64Array(p.dimZ);
  const m = new Float64Array(p.dimZ);
  for (const oracle of ['innerGradZ', 'outerGradZ'] as const) {
    p[oracle](phi, theta, Int32Array.of(3), a);
    const t3 = p.task(3);
    t3[oracle](phi, theta, oracle === 'innerGradZ' ? t3.fullInner : t3.fullOuter, b);
    assert.ok(rel(a, b) === 0, oracle);
    p[oracle](phi, theta, Int32Array.of(7), b);
    p[oracle](phi, theta, Int32Array.of(3, 7), m);
    assert.ok(rel(m, a.map((c, i) => (c + b[i]) / 2)) < 1e-15, `${oracle} on two tasks`);
  }
  p.innerCross(phi, theta, v, Int32Array.of(3, 9), a);
  assert.deepEqual(a, v.map((c) => -2.5 * c));
  p.outerGradX(phi, theta, Int32Array.of(3), a);
  assert.ok(a.every((c) => c === 0));
  // g_j(φ, θ) = L̂_j(φ) + (λ/2)‖φ − θ‖²
  let d2 = 0;
  for (let i = 0; i < p.dimZ; i++) d2 += (phi[i] - theta[i]) ** 2;
  assert.ok(Math.abs(p.innerValue(phi, theta, Int32Array.of(3)) - (p.supportLoss(3, phi) + 1.25 * d2)) < 1e-12);
  assert.equal(p.score(3, phi).loss, p.outerValue(phi, theta, Int32Array.of(3)));
  assert.equal(p.score(3, phi).accuracy, undefined);
  assert.throws(() => p.innerGradZ(phi, theta, Int32Array.of(50), a), /batch\[0\] = 50 is not a task id in 0\.\.49/);
  assert.throws(() => p.solveInner(theta), /a meta-learning problem has one inner problem per task .* use problem\.task\(j\)\.solveInner\(θ\)/);
  assert.throws(() => p.hypergradient(theta), /problem\.metaGradient\(θ, tasks\)/);
});

test('metaLearningProblem: query accuracy is the share of rows whose largest logit is their class; bad specs are refused', () => {
  const tasks = fewshotTasks(images(), { ways: 3, shots: 1, queries: 2, count: 20 });
  const p = metaLearningProblem({ model: { kind: 'mlp', inputShape: [1, 8, 8], hidden: [4], outputs: 3 }, tasks, lambda: 1 });
  // a zero model with the bias of class 1 raised predicts class 1 everywhere: accuracy = the share of class-1 rows
  const theta = new Float64Array(p.dimX);
  p.model.layout.view(theta, 'b2')[1] = 1;
  const s = p.score(0, theta);
  assert.equal(s.accuracy, 1 / 3);
  assert.ok(Math.abs(s.loss - (Math.log(2 + Math.E) - 1 / 3)) < 1e-12);
  assert.throws(() => metaLearningProblem({ model: { kind: 'mlp', inputShape: [1, 8, 8], hidden: [4], outputs: 5 }, tasks, lambda: 1 }), /the model has 5 outputs but the tasks need 3/);
  assert.throws(() => metaLearningProblem({ model: { kind: 'mlp', inputShape: [64], hidden: [4], outputs: 3 }, tasks, lambda: 1 }), /reads inputs of shape \[64\] but the tasks' inputs have shape \[1, 8, 8\]/);
  assert.throws(() => metaLearningProblem({ model: { kind: 'mlp', inputShape: [1, 8, 8], hidden: [4], outputs: 3 }, tasks, lambda: 0 }), /spec.lambda must be a positive finite number/);
});
