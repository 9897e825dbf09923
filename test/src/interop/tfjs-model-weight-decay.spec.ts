// The worked example of the tfjs interop, run as it ships (examples/tfjs-model-weight-decay.ts is imported, so the two
// cannot drift): the shipped tfjs model, loaded without tfjs, predicts what tfjs predicts, and tuning its weight
// decays on validation data lowers the validation loss. Bounded by L-BFGS's 50 iterations, not by time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Tape } from '@bilevel/autodiff';
import type { TapeVar } from '@bilevel/autodiff';
import { Rng } from '@bilevel/linalg';
import { bundledDataPath, featureMoments, loadClassificationCsv, splitTrainValTest, standardize } from '@bilevel/problems';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the example is no project: the spec runs it as it ships
import { BREAST_CANCER_MLP, tfjsModelWeightDecay } from '../../../examples/tfjs-model-weight-decay';

/** float32 (tfjs) against float64 (the tape) on 30 → 16 → 2 sums: rounding only (measured below 1e-6). */
const FLOAT32_TOL = 1e-5;

test('examples/tfjs-model-weight-decay: the shipped tfjs model loads as tfjs computes it, and tuning its decays lowers the validation loss', async (t) => {
  const r = tfjsModelWeightDecay();

  assert.equal(r.problem.dimZ, 30 * 16 + 16 + 16 * 2 + 2);
  assert.deepEqual(r.kernels, ['dense_Dense1/kernel', 'dense_Dense2/kernel']);
  assert.ok(r.tuned.converged, `‖∇h‖ = ${r.tuned.gradNorm}`);
  assert.ok(r.tuned.validation.loss < 0.7 * r.loaded.validation.loss, `validation loss ${r.loaded.validation.loss} → ${r.tuned.validation.loss}`);
  assert.ok(r.tuned.test.error <= r.loaded.test.error, `test error ${r.loaded.test.error} → ${r.tuned.test.error}`);
  t.diagnostic(`validation loss ${r.loaded.validation.loss.toFixed(4)} → ${r.tuned.validation.loss.toFixed(4)}, test error ${r.loaded.test.error} → ${r.tuned.test.error}, log λ = ${r.tuned.logDecay.map((v) => v.toFixed(2)).join(', ')}`);

  // the loaded model's probabilities on the validation rows against tfjs's own loading of the same files
  await tf.setBackend('cpu');
  const json = JSON.parse(readFileSync(join(BREAST_CANCER_MLP, 'model.json'), 'utf8'));
  const weights = readFileSync(join(BREAST_CANCER_MLP, 'weights.bin'));
  const reference = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(weights).buffer }));
  const data = loadClassificationCsv(bundledDataPath('breast_cancer.csv'));
  const split = splitTrainValTest(data, Rng.fromSeed(0));
  const val = standardize(split.val, featureMoments(split.train.features));
  const expected = tf.tidy(() => (reference.predict(tf.tensor2d(Float32Array.from(val.features.data), [val.features.rows, 30])) as tf.Tensor).dataSync());

  const tape = new Tape();
  const p: Record<string, TapeVar> = {};
  for (const [name, shape] of Object.entries(r.model.params)) p[name] = tape.input(shape, name);
  const probabilities = r.model.build(tape, tape.gatherRows({ rows: val.features.rows, cols: 30, data: Float64Array.from(val.features.data, Math.fround) }), p);
  tape.output(tape.sum(probabilities));
  for (const [name, v] of Object.entries(p)) v.val.set(r.model.init[name]);
  tape.plan({ order: 0 }).run(Int32Array.from({ length: val.features.rows }, (_, i) => i));

  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(probabilities.val[i] - expected[i]));
  t.diagnostic(`largest difference of a probability from tfjs: ${worst.toExponential(2)}`);
  assert.ok(worst <= FLOAT32_TOL, `largest difference of a probability: ${worst}`);
  reference.dispose();
});
