import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '@bilevel/linalg';
import { Tape } from '@bilevel/autodiff';
import type { ReplayPlan, TapeVar } from '@bilevel/autodiff';

/**
 * The models of `npm run bench -- models` (issue 17), the same for every implementation (this engine, tfjs, PyTorch):
 * - `mlp`: 784 → 256 (relu) → 10, mean softmax cross-entropy; weights stored [in, out] (x·W + b);
 * - `convnet`: 4 × [conv 3×3, 32 channels, padding 1, bias, relu, 2×2 max pool] on 1 × 28 × 28 images (28, 14, 7, 3
 *   pixels wide, then 1 × 1), then dense 32 → 10, mean softmax cross-entropy; filters OIHW.
 * Each case is a model at a batch size; the batch is the case's whole data set (samples 0..batch−1).
 */
export type ModelKind = 'mlp' | 'convnet';

export interface ModelCase {
  readonly id: string;
  readonly model: ModelKind;
  readonly batch: number;
  readonly label: string;
}

/** The two models and the MLP at the small batches of its "faster where the model is small" target. */
export const MODEL_CASES: readonly ModelCase[] = [
  { id: 'mlp64', model: 'mlp', batch: 64, label: 'MLP 784-256-10, batch 64' },
  { id: 'mlp16', model: 'mlp', batch: 16, label: 'MLP 784-256-10, batch 16' },
  { id: 'mlp4', model: 'mlp', batch: 4, label: 'MLP 784-256-10, batch 4' },
  { id: 'convnet16', model: 'convnet', batch: 16, label: 'convnet 4 × (conv 3×3, 32 ch, relu, pool), 28×28, batch 16' },
];

export const IMAGE = [1, 28, 28] as const;
export const PIXELS = 784;
export const CLASSES = 10;
const HIDDEN = 256;
const CHANNELS = 32;
const CONV_LAYERS = 4;

export interface ParamShape {
  readonly name: string;
  readonly shape: readonly number[];
  /** Inputs of the layer (for the He initialisation scale √(2 / fanIn)); 0 for a bias. */
  readonly fanIn: number;
}

/** The parameters of a model, in the order every implementation uses. */
export function paramShapes(model: ModelKind): ParamShape[] {
  if (model === 'mlp') {
    return [
      { name: 'W1', shape: [PIXELS, HIDDEN], fanIn: PIXELS },
      { name: 'b1', shape: [HIDDEN], fanIn: 0 },
      { name: 'W2', shape: [HIDDEN, CLASSES], fanIn: HIDDEN },
      { name: 'b2', shape: [CLASSES], fanIn: 0 },
    ];
  }
  const out: ParamShape[] = [];
  for (let l = 0; l < CONV_LAYERS; l++) {
    const c = l === 0 ? IMAGE[0] : CHANNELS;
    out.push({ name: `w${l + 1}`, shape: [CHANNELS, c, 3, 3], fanIn: 9 * c });
    out.push({ name: `b${l + 1}`, shape: [CHANNELS], fanIn: 0 });
  }
  out.push({ name: 'W', shape: [CHANNELS, CLASSES], fanIn: CHANNELS });
  out.push({ name: 'b', shape: [CLASSES], fanIn: 0 });
  return out;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** One case's data: images [batch, 784] (pixels in [0, 1)), labels, weights and an HVP direction (one per parameter). */
export interface ModelData {
  readonly images: Float64Array;
  readonly labels: Float64Array;
  readonly params: Float64Array[];
  readonly direction: Float64Array[];
}

/** Seeded data of a case: He-scaled normal weights, biases 0.1·N(0, 1), a standard normal direction. */
export function makeModelData(c: ModelCase, seed: number): ModelData {
  const rng = Rng.fromSeed(seed);
  const images = Float64Array.from({ length: c.batch * PIXELS }, () => rng.float());
  const labels = Float64Array.from({ length: c.batch }, () => rng.int(0, CLASSES - 1));
  const shapes = paramShapes(c.model);
  const params = shapes.map((p) => {
    const v = rng.normals(new Float64Array(sizeOf(p.shape)));
    const s = p.fanIn > 0 ? Math.sqrt(2 / p.fanIn) : 0.1;
    return v.map((t) => s * t);
  });
  const direction = shapes.map((p) => rng.normals(new Float64Array(sizeOf(p.shape))));
  return { images, labels, params, direction };
}

/** An array of the exchange file: its place (in float64 numbers) in data.bin. */
interface ArrayEntry {
  readonly offset: number;
  readonly length: number;
}

interface CaseEntry {
  readonly id: string;
  readonly model: ModelKind;
  readonly batch: number;
  readonly params: readonly (ParamShape & { readonly value: ArrayEntry; readonly direction: ArrayEntry })[];
  readonly images: ArrayEntry;
  readonly labels: ArrayEntry;
}

/** The exchange file's index (spec.json), which torch_models.py reads as well. */
export interface ModelSpecFile {
  readonly format: 'float64 little-endian in data.bin, offsets and lengths in numbers';
  readonly cases: readonly CaseEntry[];
}

/**
 * Writes the cases' data to `dir` (spec.json and data.bin): the weights, direction, images and labels the engine
 * children and the PyTorch peer all read, so every implementation computes on the same numbers.
 */
export function writeModelData(dir: string, cases: readonly ModelCase[], data: readonly ModelData[]): void {
  const chunks: Float64Array[] = [];
  let offset = 0;
  const put = (a: Float64Array): ArrayEntry => {
    chunks.push(a);
    const e = { offset, length: a.length };
    offset += a.length;
    return e;
  };
  const entries: CaseEntry[] = cases.map((c, i) => {
    const d = data[i];
    const params = paramShapes(c.model).map((p, j) => ({ ...p, value: put(d.params[j]), direction: put(d.direction[j]) }));
    return { id: c.id, model: c.model, batch: c.batch, params, images: put(d.images), labels: put(d.labels) };
  });
  const all = new Float64Array(offset);
  let at = 0;
  for (const ch of chunks) {
    all.set(ch, at);
    at += ch.length;
  }
  writeFileSync(join(dir, 'data.bin'), new Uint8Array(all.buffer));
  const spec: ModelSpecFile = { format: 'float64 little-endian in data.bin, offsets and lengths in numbers', cases: entries };
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
}

/** Reads what {@link writeModelData} wrote: the cases (ids and shapes) and their data, in order. */
export function readModelData(dir: string): { cases: ModelCase[]; data: ModelData[] } {
  const spec = JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')) as ModelSpecFile;
  const bytes = readFileSync(join(dir, 'data.bin'));
  const all = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const get = (e: ArrayEntry) => all.slice(e.offset, e.offset + e.length);
  const cases = spec.cases.map((e) => {
    const known = MODEL_CASES.find((c) => c.id === e.id);
    return { id: e.id, model: e.model, batch: e.batch, label: known?.label ?? e.id };
  });
  const data = spec.cases.map((e) => ({
    images: get(e.images),
    labels: get(e.labels),
    params: e.params.map((p) => get(p.value)),
    direction: e.params.map((p) => get(p.direction)),
  }));
  return { cases, data };
}

/** Writes the concatenation of `arrays` as float64 (a gradient or HVP, for the comparison of implementations). */
export function writeFloat64(path: string, arrays: readonly Float64Array[]): void {
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const all = new Float64Array(total);
  let at = 0;
  for (const a of arrays) {
    all.set(a, at);
    at += a.length;
  }
  writeFileSync(path, new Uint8Array(all.buffer));
}

/** Reads a float64 file written by {@link writeFloat64} (or numpy's tofile). */
export function readFloat64(path: string): Float64Array {
  const bytes = readFileSync(path);
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** ‖a − b‖ / ‖b‖ (Infinity when the lengths differ; |a − b| when b = 0). */
export function relativeError(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    num += d * d;
    den += b[i] * b[i];
  }
  return den > 0 ? Math.sqrt(num / den) : Math.sqrt(num);
}

/** A case recorded on the engine's tape: the gradient and HVP plans over every weight, and where their results land. */
export interface TapeModel {
  readonly tape: Tape;
  readonly params: readonly TapeVar[];
  readonly grad: ReplayPlan;
  readonly hvp: ReplayPlan;
  readonly batch: Int32Array;
}

/**
 * Records a case on a {@link Tape} (`kernels`: 'auto' the WebAssembly SIMD tensor kernels, 'js' the JavaScript
 * ones), with its weights as the inputs' values and its direction as their tangents: `grad.run(batch)` leaves ∇ in
 * each `params[i].bar`, `hvp.run(batch)` leaves ∇²·v in each `params[i].bdot`.
 */
export function tapeModel(c: ModelCase, d: ModelData, kernels: 'auto' | 'js'): TapeModel {
  const t = new Tape({ maxBatch: c.batch, kernels });
  const shapes = paramShapes(c.model);
  const params = shapes.map((p) => t.input(p.shape, p.name));
  let logits: TapeVar;
  if (c.model === 'mlp') {
    const [W1, b1, W2, b2] = params;
    const h = t.relu(t.linear(t.gatherRows(d.images, [PIXELS]), W1, b1));
    logits = t.linear(h, W2, b2);
  } else {
    let h = t.gatherRows(d.images, [...IMAGE]);
    for (let l = 0; l < CONV_LAYERS; l++) h = t.maxPool2d(t.relu(t.conv2d(h, params[2 * l], { padding: 1, bias: params[2 * l + 1] })), { size: 2 });
    logits = t.linear(t.flatten(h), params[2 * CONV_LAYERS], params[2 * CONV_LAYERS + 1]);
  }
  t.output(t.mean(t.softmaxCrossEntropy(logits, t.gatherLabels(d.labels))));
  params.forEach((p, i) => {
    p.val.set(d.params[i]);
    p.dot.set(d.direction[i]);
  });
  const grad = t.plan({ order: 1, wrt: params });
  const hvp = t.plan({ order: 2, wrt: params, direction: params });
  const batch = Int32Array.from({ length: c.batch }, (_, i) => i);
  return { tape: t, params, grad, hvp, batch };
}
