// The loader against tfjs itself: real models built, seeded and saved by tfjs (cpu backend), loaded without tfjs, and
// their outputs and weight gradients on the tape compared with tfjs's predictions and tf.variableGrads.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@bilevel/linalg';
import { InputError } from '@bilevel/io';
import { Tape } from '../tape/tape';
import type { TapeVar } from '../tape/tape';
import { saveTfjsModel, seedTfjsWeights } from '../fixtures/tfjs-saved-model';
import { loadLayersModel } from './load-layers-model';
import type { LoadedLayersModel } from './layers-model';

/**
 * tfjs computes in float32, the tape in float64 from the same (float32) weights and inputs: they differ by float32
 * rounding of sums of a few dozen terms: at most 6e-7 of the largest entry compared here, 8× below this bound.
 */
const FLOAT32_TOL = 5e-6;
const SAMPLES = 5;

let root: string;
before(async () => {
  await tf.setBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'tfjs-interop-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

let folders = 0;
const folder = () => join(root, `m${folders++}`);

/** max |a − b| ≤ tol · max(1, max |b|), with the place of the worst entry in the message. */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: lengths`);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  assert.ok(worst <= FLOAT32_TOL * scale, `${what}: entry ${at} is ${actual[at]} on the tape, ${expected[at]} in tfjs (difference ${worst}, scale ${scale})`);
}

/** Seeded float32-representable normals. */
const normals = (rng: Rng, n: number) => Float32Array.from(rng.normals(new Float64Array(n)));

interface Comparison {
  readonly outputs: { readonly tape: Float64Array; readonly tfjs: Float32Array };
  /** Per tfjs weight name: the tape's gradient mapped back to tfjs's layout, and tfjs's. */
  readonly grads: ReadonlyMap<string, { readonly tape: Float64Array; readonly tfjs: Float32Array }>;
}

/**
 * Runs both engines on the same seeded inputs [SAMPLES, ...tfjs input shape] and readout weights R: the outputs, and
 * the gradients of s = Σ R ⊙ output with respect to every weight.
 */
function compare(model: tf.LayersModel, loaded: LoadedLayersModel, rng: Rng, options: { readonly fixedInput?: boolean } = {}): Comparison {
  const inSize = loaded.tfjsInputShape.reduce((a, b) => a * b, 1);
  const outSize = loaded.outputShape.reduce((a, b) => a * b, 1);
  const xs = normals(rng, SAMPLES * inSize);
  const R = normals(rng, SAMPLES * outSize);

  // tfjs
  const xT = tf.tensor(xs, [SAMPLES, ...loaded.tfjsInputShape]);
  const rT = tf.tensor(R, [SAMPLES, outSize]);
  const predicted = tf.tidy(() => (model.predict(xT) as tf.Tensor).reshape([SAMPLES, outSize]).dataSync() as Float32Array);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul((model.apply(xT, { training: false }) as tf.Tensor).reshape([SAMPLES, outSize]), rT)) as tf.Scalar, vars);

  // the tape
  const t = new Tape();
  const p: Record<string, TapeVar> = {};
  for (const [name, shape] of Object.entries(loaded.params)) p[name] = t.input(shape, name);
  const data = loaded.toEngineInput(xs);
  const input = options.fixedInput ? t.constant(data, [SAMPLES, ...loaded.inputShape]) : t.gatherRows(data, loaded.inputShape);
  const out = loaded.build(t, input, p);
  const readout = options.fixedInput ? t.constant(Float64Array.from(R), [SAMPLES, ...loaded.outputShape]) : t.gatherRows(Float64Array.from(R), loaded.outputShape);
  t.output(t.sum(t.mul(out, readout)));
  for (const [name, v] of Object.entries(p)) v.val.set(loaded.init[name]);
  const batch = Int32Array.from({ length: SAMPLES }, (_, i) => i);
  t.plan({ order: 0 }).run(batch);
  const outputs = { tape: out.val.slice(0, SAMPLES * outSize), tfjs: predicted };
  t.plan({ order: 1, wrt: Object.values(p) }).run(batch);
  assertClose([(t.out as TapeVar).val[0]], [value.dataSync()[0]], 'Σ R ⊙ output');

  const pairs = new Map<string, { tape: Float64Array; tfjs: Float32Array }>();
  model.trainableWeights.forEach((w, i) => {
    const name = w.originalName;
    assert.ok(name in p, `the tfjs weight ${name} is a parameter of the loaded model (${Object.keys(p).join(', ')})`);
    pairs.set(name, { tape: loaded.toTfjsLayout(name, p[name].bar.slice()), tfjs: grads[vars[i].name].dataSync() as Float32Array });
  });
  tf.dispose([xT, rT, value, ...Object.values(grads)]);
  return { outputs, grads: pairs };
}

function assertAgree(c: Comparison): void {
  assertClose(c.outputs.tape, c.outputs.tfjs, 'outputs');
  for (const [name, g] of c.grads) assertClose(g.tape, g.tfjs, `gradient of ${name}`);
}

describe('loadLayersModel against tfjs', () => {
  test('a Sequential Dense-relu-Dense model: outputs and weight gradients equal tfjs’s (batched and fixed inputs)', async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [6], units: 8, activation: 'relu' }), tf.layers.dense({ units: 3, useBias: false }), tf.layers.activation({ activation: 'tanh' })],
    });
    seedTfjsWeights(model, Rng.fromSeed(1));
    const dir = folder();
    await saveTfjsModel(model, dir);

    const loaded = loadLayersModel(dir);

    assert.deepEqual(loaded.inputShape, [6]);
    assert.deepEqual(loaded.outputShape, [3]);
    assert.equal(loaded.size, 6 * 8 + 8 + 8 * 3);
    assert.deepEqual(Object.values(loaded.params), [[6, 8], [8], [8, 3]]);
    assertAgree(compare(model, loaded, Rng.fromSeed(2)));
    assertAgree(compare(model, loaded, Rng.fromSeed(3), { fixedInput: true }));
    model.dispose();
  });

  test('a convnet (Conv2D same with odd padding and strides, Conv2D valid, MaxPooling2D, Flatten, Dense, Dropout, softmax): outputs and gradients equal tfjs’s', async () => {
    const model = tf.sequential({
      layers: [
        // [8, 7, 2] → [4, 4, 4]: rows padded 1 in total (0 top, 1 bottom: the odd case), columns 1 + 1
        tf.layers.conv2d({ inputShape: [8, 7, 2], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
        // [4, 4, 4] → [3, 2, 3]
        tf.layers.conv2d({ filters: 3, kernelSize: [2, 3], padding: 'valid', activation: 'tanh' }),
        // [3, 2, 3] → [2, 2, 3]
        tf.layers.maxPooling2d({ poolSize: [2, 1], strides: 1 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 5, activation: 'relu' }),
        tf.layers.dropout({ rate: 0.5 }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    seedTfjsWeights(model, Rng.fromSeed(4));
    const dir = folder();
    await saveTfjsModel(model, dir);

    const loaded = loadLayersModel(join(dir, 'model.json'));

    assert.deepEqual(loaded.inputShape, [2, 8, 7]);
    assert.deepEqual(loaded.tfjsInputShape, [8, 7, 2]);
    assert.deepEqual(
      loaded.layers.map((l) => l.outputShape),
      [[4, 4, 4], [3, 2, 3], [2, 2, 3], [12], [5], [5], [3]],
    );
    assert.match(loaded.layers[0].detail, /padding same \(0×1 \+ 1 bottom, 0 right\)/);
    assert.equal(loaded.endsWithSoftmax, true);
    assertAgree(compare(model, loaded, Rng.fromSeed(5)));
    assertAgree(compare(model, loaded, Rng.fromSeed(6), { fixedInput: true }));
    model.dispose();
  });

  test('a functional chain (AveragePooling2D, LeakyReLU, ReLU, Softmax and Activation layers, global pooling, Dense without bias) equals tfjs', async () => {
    const input = tf.input({ shape: [6, 6, 1] });
    let h = tf.layers.conv2d({ filters: 3, kernelSize: 2, padding: 'same', useBias: false, activation: 'sigmoid' }).apply(input) as tf.SymbolicTensor;
    h = tf.layers.averagePooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor; // [3, 3, 3]
    h = tf.layers.leakyReLU({ alpha: 0.2 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'swish' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.softmax({ axis: -1 }).apply(h) as tf.SymbolicTensor; // over the channels of each pixel (tfjs: the last axis only)
    h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
    h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor; // [4]
    h = tf.layers.softmax().apply(h) as tf.SymbolicTensor; // tfjs's default axis 1, the last of [batch, 4]
    h = tf.layers.dense({ units: 3, useBias: false }).apply(h) as tf.SymbolicTensor;
    const out = tf.layers.activation({ activation: 'softplus' }).apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    seedTfjsWeights(model, Rng.fromSeed(7), 1);
    const dir = folder();
    await saveTfjsModel(model, dir);

    const loaded = loadLayersModel(dir);

    assert.deepEqual(loaded.outputShape, [3]);
    assert.equal(loaded.endsWithSoftmax, false);
    assertAgree(compare(model, loaded, Rng.fromSeed(8)));
    model.dispose();
  });

  test('GlobalMaxPooling2D, and a model ending with a Flatten of images: the output comes in tfjs’s feature order', async () => {
    const wide = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [4, 3, 2], filters: 2, kernelSize: 2, padding: 'same' }), tf.layers.flatten()] });
    const pooled = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 2, activation: 'logSoftmax' as never }) /* in tfjs's registry, not in its types */, tf.layers.globalMaxPooling2d({})] });
    for (const [i, model] of [wide, pooled].entries()) {
      seedTfjsWeights(model, Rng.fromSeed(9 + i));
      const dir = folder();
      await saveTfjsModel(model, dir);

      const loaded = loadLayersModel(dir);

      assertAgree(compare(model, loaded, Rng.fromSeed(11 + i)));
      model.dispose();
    }
  });

  test('logits: true stops before the final softmax: the tape’s mean cross-entropy equals tfjs’s categoricalCrossentropy', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 6, activation: 'tanh' }), tf.layers.dense({ units: 3, activation: 'softmax' })] });
    seedTfjsWeights(model, Rng.fromSeed(13));
    const dir = folder();
    await saveTfjsModel(model, dir);
    const loaded = loadLayersModel(dir);
    const rng = Rng.fromSeed(14);
    const xs = normals(rng, SAMPLES * 4);
    const labels = Int32Array.from({ length: SAMPLES }, (_, i) => (i * 2) % 3);
    const expected = tf.tidy(() => tf.metrics.categoricalCrossentropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), model.predict(tf.tensor(xs, [SAMPLES, 4])) as tf.Tensor).mean().dataSync()[0]);

    const t = new Tape();
    const p = Object.fromEntries(Object.entries(loaded.params).map(([k, s]) => [k, t.input(s, k)]));
    const logits = loaded.build(t, t.gatherRows(loaded.toEngineInput(xs), loaded.inputShape), p, { logits: true });
    t.output(t.mean(t.softmaxCrossEntropy(logits, t.gatherLabels(labels))));
    for (const [k, v] of Object.entries(p)) v.val.set(loaded.init[k]);
    t.plan({ order: 0 }).run(Int32Array.from({ length: SAMPLES }, (_, i) => i));

    assert.deepEqual(logits.shape, [SAMPLES, 3]);
    assertClose([(t.out as TapeVar).val[0]], [expected], 'mean cross-entropy');
    model.dispose();
  });

  test('toTfjsLayout inverts the layout of init: the saved weights come back bit for bit', async () => {
    const model = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [5, 4, 3], filters: 2, kernelSize: [3, 2] }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
    seedTfjsWeights(model, Rng.fromSeed(15));
    const dir = folder();
    await saveTfjsModel(model, dir);

    const loaded = loadLayersModel(dir);

    for (const w of model.getWeights().map((v, i) => ({ v: v.dataSync(), name: model.weights[i].originalName }))) {
      assert.deepEqual(loaded.toTfjsLayout(w.name, loaded.init[w.name]), Float64Array.from(w.v), w.name);
    }
    assert.match(loaded.summary, /dense_Dense\d+ +Dense +\[2\] +38 +linear 18 → 2 \+ bias \(rows permuted to channels first\)/);
    model.dispose();
  });
});

describe('loadLayersModel refuses, one clear error each', () => {
  let good: string;
  let goodJson: Record<string, unknown>;
  before(async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4, activation: 'relu' }), tf.layers.dense({ units: 2 })] });
    good = folder();
    goodJson = await saveTfjsModel(model, good);
    model.dispose();
  });

  /** A copy of the good model with model.json changed by `edit` (and weights.bin copied unless `weights` is given). */
  const variant = (edit: (json: Record<string, unknown>) => void, weights?: Uint8Array) => {
    const dir = folder();
    const json = structuredClone(goodJson);
    edit(json);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    writeFileSync(join(dir, 'weights.bin'), weights ?? readFileSync(join(good, 'weights.bin')));
    return dir;
  };
  const topologyLayers = (json: Record<string, unknown>) => ((json.modelTopology as Record<string, unknown>).config as { layers: Record<string, unknown>[] }).layers;
  const manifestWeights = (json: Record<string, unknown>) => (json.weightsManifest as { weights: Record<string, unknown>[]; paths: string[] }[])[0];
  const refuses = (dir: string, pattern: RegExp) =>
    assert.throws(
      () => loadLayersModel(dir),
      (err: Error) => {
        assert.ok(err instanceof InputError, `an InputError, got ${err.name}: ${err.message}`);
        assert.match(err.message, pattern);
        assert.equal(err.message.split('\n').length, 1, 'one line');
        return true;
      },
    );

  test('an unsupported layer: its position, name and class, why, and the supported list', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4 }), tf.layers.batchNormalization(), tf.layers.dense({ units: 2 })] });
    const dir = folder();
    await saveTfjsModel(model, dir);
    model.dispose();

    refuses(dir, /model\.json: layer 1 "batch_normalization_BatchNormalization\d+" \(BatchNormalization\) is a BatchNormalization layer, which the loader does not support \(its moving mean and variance.*\); supported layers: InputLayer, Dense, Conv2D, .*Dropout$/);
    refuses(variant((j) => (topologyLayers(j)[1].class_name = 'LSTM')), /layer 1 "dense_Dense\d+" \(LSTM\) is a LSTM layer, which the loader does not support \(recurrent layers/);
  });

  test('unsupported settings of supported layers', () => {
    refuses(variant((j) => ((topologyLayers(j)[0].config as Record<string, unknown>).activation = 'elu')), /layer 0 .*\(Dense\): activation "elu" is not supported; supported activations: linear, relu/);
    const conv = (config: Record<string, unknown>) =>
      variant((j) => {
        topologyLayers(j).splice(0, 0, { class_name: 'Conv2D', config: { name: 'c', filters: 1, kernel_size: [1, 1], batch_input_shape: [null, 3, 1, 1], ...config } });
        topologyLayers(j).splice(1, 0, { class_name: 'Flatten', config: { name: 'f' } });
      });
    refuses(conv({ data_format: 'channels_first' }), /layer 0 "c" \(Conv2D\): config\.data_format is "channels_first"; only "channels_last"/);
    refuses(conv({ dilation_rate: [2, 2] }), /config\.dilation_rate is \[2,2\]; only 1/);
    refuses(conv({ padding: 'causal' }), /config\.padding is "causal"; expected "valid" or "same"/);
    refuses(
      variant((j) => topologyLayers(j).splice(1, 0, { class_name: 'MaxPooling2D', config: { name: 'pool', pool_size: [2, 2], padding: 'same' } })),
      /layer 1 "pool" \(MaxPooling2D\): config\.padding is "same"; only "valid" pooling is supported/,
    );
    refuses(
      variant((j) => topologyLayers(j).splice(1, 0, { class_name: 'MaxPooling2D', config: { name: 'pool', pool_size: [2, 2] } })),
      /layer 1 "pool" \(MaxPooling2D\): needs an image input \[height, width, channels\], received \[4\]/,
    );
  });

  test('a weight whose shape does not match its layer’s config', () => {
    refuses(
      variant((j) => ((topologyLayers(j)[0].config as Record<string, unknown>).units = 5)),
      /layer 0 "dense_Dense\d+" \(Dense\): its kernel "dense_Dense\d+\/kernel" has shape \[3, 4\] in weightsManifest, but the layer's config and input need \[3, 5\]/,
    );
  });

  test('truncated weights, a longer weights file, and non-finite weights', () => {
    const bytes = readFileSync(join(good, 'weights.bin'));
    refuses(variant(() => {}, bytes.subarray(0, bytes.length - 6)), /weights\.bin: weights truncated: weightsManifest\[0\] describes 104 bytes but "\.\/weights\.bin" holds 98 \(weight "dense_Dense\d+\/bias" and those after it are cut\)/);
    refuses(variant(() => {}, Buffer.concat([bytes, Buffer.alloc(4)])), /weights\.bin: holds more bytes than weightsManifest\[0\] describes \(104 bytes of weights in this file; this file has 108\)/);
    const nan = Buffer.from(bytes);
    nan.writeFloatLE(Number.NaN, 8);
    refuses(variant(() => {}, nan), /weight "dense_Dense\d+\/kernel" holds NaN at entry 2; the weights must be finite/);
  });

  test('a missing weights file, a weights file outside the folder, a missing model.json, a folder as a weights file', () => {
    const missing = variant(() => {});
    rmSync(join(missing, 'weights.bin'));
    refuses(missing, /weights\.bin: cannot read the weights file \(no such file\)/);
    refuses(variant((j) => (manifestWeights(j).paths = ['../m0/weights.bin'])), /the weights file "\.\.\/m0\/weights\.bin" is outside the model's folder/);
    refuses(variant((j) => (manifestWeights(j).paths = ['/etc/hostname'])), /the weights file "\/etc\/hostname" is not a path relative to the model's folder/);
    refuses(variant((j) => (manifestWeights(j).paths = ['http://example.com/w.bin'])), /is not a path relative to the model's folder/);
    refuses(join(root, 'nowhere'), /nowhere\/model\.json|nowhere: cannot read the tfjs model\.json \(no such file\)/);
    refuses(variant((j) => (manifestWeights(j).paths = ['.'])), /the weights file "\." is outside the model's folder/);
  });

  test('non-regular files: a weights file that is a device or a FIFO, a model.json that is a FIFO', { skip: process.platform === 'win32' }, () => {
    const device = variant(() => {});
    rmSync(join(device, 'weights.bin'));
    symlinkSync('/dev/zero', join(device, 'weights.bin'));
    refuses(device, /weights\.bin: cannot read the weights file \(not a regular file but a character device/);
    const fifo = variant(() => {});
    rmSync(join(fifo, 'weights.bin'));
    assert.equal(spawnSync('mkfifo', [join(fifo, 'weights.bin')]).status, 0);
    refuses(fifo, /weights\.bin: cannot read the weights file \(not a regular file but a pipe \(FIFO\)/);
    const json = variant(() => {});
    rmSync(join(json, 'model.json'));
    assert.equal(spawnSync('mkfifo', [join(json, 'model.json')]).status, 0);
    refuses(json, /model\.json: cannot read the tfjs model\.json \(not a regular file but a pipe \(FIFO\)/);
  });

  test('quantized weights, an unknown dtype, a weight of no layer, a graph model, a non-chain functional model', () => {
    refuses(
      variant((j) => (manifestWeights(j).weights[0].quantization = { dtype: 'uint8', min: -1, scale: 0.01 })),
      /weightsManifest\[0\]\.weights\[0\] "dense_Dense\d+\/kernel" is quantized \("uint8"\); quantized weights are not supported: save the model without quantization/,
    );
    refuses(variant((j) => (manifestWeights(j).weights[1].dtype = 'float16')), /"dense_Dense\d+\/bias" has dtype "float16"; expected "float32"/);
    const extra = readFileSync(join(good, 'weights.bin'));
    refuses(
      variant((j) => manifestWeights(j).weights.push({ name: 'stray/kernel', shape: [1], dtype: 'float32' }), Buffer.concat([extra, Buffer.alloc(4)])),
      /weight "stray\/kernel" of weightsManifest belongs to no layer of the model/,
    );
    refuses(variant((j) => (j.format = 'graph-model')), /a tfjs graph model \(format "graph-model", loaded by tf\.loadGraphModel\); only Layers models/);
    refuses(
      variant((j) => {
        const topology = j.modelTopology as Record<string, unknown>;
        topology.class_name = 'Model';
        const [a, b] = topologyLayers(j);
        (topology.config as Record<string, unknown>).layers = [
          { name: 'in', class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 3] }, inbound_nodes: [] },
          { ...a, name: (a.config as { name: string }).name, inbound_nodes: [[['in', 0, 0, {}]]] },
          { ...b, name: (b.config as { name: string }).name, inbound_nodes: [[['in', 0, 0, {}], [(a.config as { name: string }).name, 0, 0, {}]]] },
        ];
        (topology.config as Record<string, unknown>).input_layers = [['in', 0, 0]];
        (topology.config as Record<string, unknown>).output_layers = [[(b.config as { name: string }).name, 0, 0]];
      }),
      /layer "dense_Dense\d+" of this functional model is fed by 2 tensors \(in, dense_Dense\d+\); only a chain from one input to one output/,
    );
  });

  test('a weights total over maxWeightBytes is refused from the manifest, before reading', () => {
    const dir = variant(() => {});
    truncateSync(join(dir, 'weights.bin'), 0); // read, it would be reported truncated
    assert.throws(() => loadLayersModel(dir, { maxWeightBytes: 100 }), /model\.json: weightsManifest describes 104 bytes of weights, more than the limit of 100 \(option maxWeightBytes\)/);
  });
});
