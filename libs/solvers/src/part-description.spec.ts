// Every part says what step it applies, in one typed form: SABA's and SOBA's own parts and the same updates assembled
// with singleLoop declare equal descriptions; the loop methods declare their linear solvers; singleLoop's options
// keep numbers under the step keys and the rule names under their own keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amigo } from './amigo';
import { implicitDiff } from './implicit-diff';
import { constantStep } from './parts/constant-step';
import { customSolver } from './parts/custom-solver';
import { powerStep } from './parts/power-step';
import { sagaEstimator } from './parts/saga-estimator';
import { sgdEstimator } from './parts/sgd-estimator';
import { singleLoop } from './parts/single-loop';
import { aiSarahStep } from './parts/ai-sarah-step';
import { sarahEstimator } from './parts/sarah-estimator';
import { describeStep, sameDescription } from './part-description';
import { saba } from './saba';
import { soba } from './soba';
import { srba } from './srba';
import { stocbio } from './stocbio';

const STREAMS = ['inner', 'linsys', 'outer'] as const;

test('singleLoop and saba report the same typed step description for the same steps', () => {
  const native = saba({ batchSize: 8, innerStep: 0.05, outerStep: 0.01 });
  const built = singleLoop({
    name: 'saba-from-parts',
    citation: '',
    inner: { estimator: sagaEstimator(), step: constantStep(0.05), batchSize: 8 },
    linsys: { estimator: sagaEstimator(), step: constantStep(0.05), batchSize: 8 },
    outer: { estimator: sagaEstimator(), step: constantStep(0.01), batchSize: 8 },
  });
  for (const s of STREAMS) assert.deepEqual(built[s].description, native[s].description, s);
  assert.deepEqual(native.outer.description, { estimator: 'saga', batchSize: 8, step: { kind: 'constant', value: 0.01 } });
  assert.ok(sameDescription(native.inner.description, native.linsys.description));
  assert.ok(!sameDescription(native.inner.description, native.outer.description));
});

test('singleLoop and soba report the same typed power-step description', () => {
  const native = soba({ batchSize: 16, innerStep: 0.2, outerStep: 0.1, innerDecay: 0.4, outerDecay: 0.6 });
  const built = singleLoop({
    name: 'soba-from-parts',
    citation: '',
    inner: { estimator: sgdEstimator(), step: powerStep(0.2, 0.4), batchSize: 16 },
    linsys: { estimator: sgdEstimator(), step: powerStep(0.2, 0.4), batchSize: 16 },
    outer: { estimator: sgdEstimator(), step: powerStep(0.1, 0.6), batchSize: 16 },
  });
  for (const s of STREAMS) assert.deepEqual(built[s].description, native[s].description, s);
  assert.deepEqual(native.outer.description!.step, { kind: 'power', base: 0.1, exponent: 0.6 });
});

test('singleLoop options: rule names under *StepRule, numbers under *Step (and *Decay), never a name under a step key', () => {
  const solver = customSolver({
    inner: { estimator: 'saga', stepRule: 'constant' },
    linsys: { estimator: 'sgd', stepRule: 'power' },
    outer: { estimator: 'saga', stepRule: 'ai-sarah' },
    innerStep: 0.05,
    outerStep: 0.02,
  });
  assert.equal(solver.options.innerStepRule, 'constant');
  assert.equal(solver.options.innerStep, 0.05);
  assert.equal(solver.options.linsysStep, 0.05);
  assert.equal(solver.options.linsysDecay, 0.4);
  assert.equal(solver.options.outerStepRule, 'ai-sarah');
  assert.equal(solver.options.outerStep, undefined, 'an adaptive rule has no step number');
  assert.deepEqual(solver.outer.description!.step, { kind: 'adaptive', rule: 'ai-sarah' });
  for (const key of Object.keys(solver.options)) {
    if (/Step$/.test(key)) assert.equal(typeof solver.options[key], 'number', key);
  }
});

test('the loop methods declare their linear solvers; SRBA its SARAH parts; text for messages', () => {
  assert.deepEqual(stocbio({ neumannStep: 0.3, neumannTerms: 5 }).linsys.description!.linearSolver, { kind: 'neumann', step: 0.3, iterations: 5 });
  assert.deepEqual(amigo({ linsysStep: 0.2, linsysIters: 7 }).linsys.description!.linearSolver, { kind: 'richardson', step: 0.2, iterations: 7 });
  assert.deepEqual(amigo({ deterministic: true, linsysSolver: 'cg' }).linsys.description!.linearSolver, { kind: 'krylov', method: 'cg' });
  assert.deepEqual(implicitDiff({ linsys: 'exact' }).linsys.description!.linearSolver, { kind: 'exact' });
  assert.deepEqual(implicitDiff({ outerStep: 0.5 }).outer.description, { estimator: 'full-batch', step: { kind: 'constant', value: 0.5 } });
  assert.deepEqual(srba({ batchSize: 4, outerStep: 0.3 }).outer.description, { estimator: 'sarah', batchSize: 4, step: { kind: 'constant', value: 0.3 } });
  const adaptive = singleLoop({
    name: 'x',
    citation: '',
    inner: { estimator: sarahEstimator(), step: aiSarahStep(), batchSize: 4 },
    linsys: { estimator: sgdEstimator(), step: { name: 'mine', init: () => null, apply: () => undefined }, batchSize: 4 },
    outer: { estimator: sgdEstimator(), step: constantStep(0.1), batchSize: 4 },
  });
  assert.equal(describeStep(adaptive.inner.description), 'sarah, adaptive step rule ai-sarah');
  assert.equal(adaptive.linsys.description!.step, undefined, "a user's rule without stepSize declares no step");
  assert.equal(describeStep(adaptive.linsys.description), 'sgd, no step declared');
  assert.equal(describeStep(undefined), 'the part declares nothing about its step');
});
