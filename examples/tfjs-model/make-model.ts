// Makes the tfjs model that examples/tfjs-model-weight-decay.ts loads, as a user of tfjs would have made it: a
// Sequential 30 → 16 (tanh) → 2 (softmax) classifier of the bundled breast-cancer data, trained by tfjs (Adam, 40
// epochs on the training rows, lightly regularized) and saved in tfjs's file format (model.json + weights.bin, as
// `model.save('file://examples/tfjs-model/breast-cancer-mlp')` with tfjs-node writes them).
//
//   npx tsx examples/tfjs-model/make-model.ts        (regenerates breast-cancer-mlp/; the only file here using tfjs)
//
// Deterministic: seeded initial weights (tfjs's initializers are not seeded), no shuffling, the cpu backend.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@bilevel/linalg';
import { bundledDataPath, featureMoments, loadClassificationCsv, splitTrainValTest, standardize } from '@bilevel/problems';

const out = join(dirname(fileURLToPath(import.meta.url)), 'breast-cancer-mlp');
await tf.setBackend('cpu');

// the same split and standardization as the example (seed 0)
const data = loadClassificationCsv(bundledDataPath('breast_cancer.csv'));
const split = splitTrainValTest(data, Rng.fromSeed(0));
const train = standardize(split.train, featureMoments(split.train.features));
const d = train.features.cols;

const model = tf.sequential({
  layers: [
    tf.layers.dense({ inputShape: [d], units: 16, activation: 'tanh', kernelRegularizer: tf.regularizers.l2({ l2: 1e-3 }) }),
    tf.layers.dense({ units: 2, activation: 'softmax', kernelRegularizer: tf.regularizers.l2({ l2: 1e-3 }) }),
  ],
});
const rng = Rng.fromSeed(1);
const seeded = model.getWeights().map((w) => tf.tensor(Float32Array.from(rng.normals(new Float64Array(w.size)), (v) => (w.shape.length === 2 ? v / Math.sqrt(w.shape[0]) : 0)), w.shape));
model.setWeights(seeded);
model.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });
const xs = tf.tensor2d(Float32Array.from(train.features.data), [train.features.rows, d]);
const ys = tf.tensor1d(Float32Array.from(train.labels));
await model.fit(xs, ys, { epochs: 40, batchSize: 32, shuffle: false, verbose: 0 });

await model.save(
  tf.io.withSaveHandler(async (artifacts) => {
    mkdirSync(out, { recursive: true });
    const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    const json = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts.weightSpecs }],
    };
    writeFileSync(join(out, 'model.json'), JSON.stringify(json));
    writeFileSync(join(out, 'weights.bin'), new Uint8Array(weights));
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
  }),
);
console.log(`wrote ${out}/{model.json,weights.bin}`);
