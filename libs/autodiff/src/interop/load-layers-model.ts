import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readJsonFile } from '@bilevel/io';
import { layerSpec } from './layer-spec';
import { parseLayersJson } from './layers-json';
import { layersModel } from './layers-model';
import type { LoadedLayersModel } from './layers-model';
import { readWeights } from './read-weights';

/** Options of {@link loadLayersModel}. */
export interface LoadLayersModelOptions {
  /** Largest model.json read, in bytes. Default {@link LAYERS_MODEL_DEFAULTS}.maxModelJsonBytes (16 MiB). */
  readonly maxModelJsonBytes?: number;
  /**
   * Largest total of the weights files, in bytes, checked from the manifest before reading. Default
   * {@link LAYERS_MODEL_DEFAULTS}.maxWeightBytes (256 MiB: 64 million float32 weights, 512 MiB once widened).
   */
  readonly maxWeightBytes?: number;
}

/** Defaults of {@link LoadLayersModelOptions}. */
export const LAYERS_MODEL_DEFAULTS = { maxModelJsonBytes: 16 << 20, maxWeightBytes: 256 << 20 } as const;

/**
 * Reads a tfjs Layers model, the folder `model.save('file://folder')` writes (or its model.json; tensorflowjs_converter's
 * Keras output too), into the float64 tape engine, without tfjs: model.json's topology (a Sequential, or a functional
 * model that is one chain of layers) and the float32 little-endian weights its `weightsManifest` names, each file read
 * by the safe reader of @bilevel/io (regular files in the model's folder only, sizes capped and matched against
 * the manifest). Layers: InputLayer, Dense, Conv2D (valid or same padding, strides), MaxPooling2D and
 * AveragePooling2D (valid), GlobalMaxPooling2D, GlobalAveragePooling2D, Flatten, Activation, ReLU, LeakyReLU,
 * Softmax, Dropout (the identity: inference); activations linear, relu, tanh, sigmoid, softplus, softmax, log_softmax,
 * swish. Anything else, and every defect of the files, is one `InputError` naming the file and, for a layer, its
 * position, name and class.
 *
 * The result's `build(t, input, p)` records the model on a {@link Tape} (its outputs equal tfjs's `model.predict` to
 * float32 rounding); `params` and `init` are its parameters in the engine's layout (see {@link LoadedLayersModel}).
 *
 * @example a loaded classifier's mean cross-entropy on images given NHWC, as tfjs takes them:
 *   const model = loadLayersModel('my-model');              // my-model/model.json + weights.bin
 *   const images = model.toEngineInput(nhwcPixels);          // [n, H, W, C] → [n, C, H, W]
 *   const t = new Tape({ maxBatch: 64 });
 *   const p = Object.fromEntries(Object.entries(model.params).map(([k, s]) => [k, t.input(s, k)]));
 *   const logits = model.build(t, t.gatherRows(images, model.inputShape), p, { logits: true });
 *   t.output(t.mean(t.softmaxCrossEntropy(logits, t.gatherLabels(labels))));
 *   for (const [k, v] of Object.entries(p)) v.val.set(model.init[k]);
 */
export function loadLayersModel(path: string, options: LoadLayersModelOptions = {}): LoadedLayersModel {
  if (typeof path !== 'string' || path === '') throw new TypeError(`loadLayersModel: path must be a folder or a model.json path, received ${JSON.stringify(path)}`);
  const maxModelJsonBytes = options?.maxModelJsonBytes ?? LAYERS_MODEL_DEFAULTS.maxModelJsonBytes;
  const maxWeightBytes = options?.maxWeightBytes ?? LAYERS_MODEL_DEFAULTS.maxWeightBytes;
  for (const [field, v] of [
    ['maxModelJsonBytes', maxModelJsonBytes],
    ['maxWeightBytes', maxWeightBytes],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`loadLayersModel: options.${field} must be a positive integer (bytes), received ${String(v)}`);
  }
  let file = path;
  try {
    if (statSync(path).isDirectory()) file = join(path, 'model.json');
  } catch {
    // a missing path is reported by the reader, in its words
  }
  const json = readJsonFile(file, { what: 'tfjs model.json', maxBytes: maxModelJsonBytes });
  const parsed = parseLayersJson(json, file);
  const specs = parsed.layers.map((raw) => layerSpec(raw, file));
  const read = () => readWeights(dirname(file), parsed.groups, parsed.weights, { maxBytes: maxWeightBytes, where: file });
  return layersModel(parsed.modelName, specs, parsed.weights, read, file);
}
