import { Rng } from '@bilevel/linalg';
import type { Tape, TapeVar } from '../tape/tape';
import type { TapeTensors } from '../model/record-loss';
import { tensorLayout } from '../model/tensor-layout';
import type { TensorLayout, TensorShapes } from '../model/tensor-layout';

/**
 * The architecture of a meta-learned model, as plain data (saved beside the meta-parameters, read back by
 * {@link metaModel}):
 * - `conv4`: the 4-layer convnet of the MAML and iMAML papers for Omniglot (Finn et al. ICML 2017 §5.2; Rajeswaran
 *   et al. NeurIPS 2019, authors' code `aravindr93/imaml_dev`, implicit_maml/learner_model.py `make_conv_network`):
 *   4 × [conv 3×3, `channels` filters, stride 2, zero padding 1 → batch norm → relu] on [1, s, s] images
 *   (s → ⌈s/2⌉ each layer: 28 → 14 → 7 → 4 → 2), flattened, then a dense layer to `outputs` logits. The papers use
 *   64 channels; fewer fit a 2-core machine (the cost of a layer is quadratic in the channels).
 * - `mlp`: dense layers with relu (default) or tanh between them (MAML's sinusoid regressor is `{ hidden: [40, 40],
 *   outputs: 1 }`, relu). A tanh network is smooth, so its inner problems have exact minimizers where the gradient
 *   vanishes (a relu network's loss has kinks, and a minimizer on one is not a zero of the gradient).
 */
export type MetaModelSpec =
  | { readonly kind: 'conv4'; readonly inputSize: number; readonly channels: number; readonly outputs: number; readonly batchNorm?: boolean }
  | { readonly kind: 'mlp'; readonly inputShape: readonly number[]; readonly hidden: readonly number[]; readonly outputs: number; readonly activation?: 'relu' | 'tanh' };

/** A model of a {@link MetaModelSpec}: its named parameter tensors, its forward pass on the tape and its initial weights. */
export interface MetaModel {
  readonly spec: MetaModelSpec;
  /** e.g. `conv4-32ch` or `mlp-40-40`. */
  readonly name: string;
  readonly params: TensorShapes;
  readonly layout: TensorLayout;
  /** Number of weights (the dimension of θ and of each task's φ). */
  readonly size: number;
  readonly inputShape: readonly number[];
  readonly outputs: number;
  /** The model's outputs [batch, outputs] on inputs x [batch, ...inputShape] (a value recorded on `t`). */
  forward(t: Tape, params: TapeTensors<TensorShapes>, x: TapeVar): TapeVar;
  /** Seeded initial weights (see the factory for the distribution). */
  init(seed: number): Float64Array;
}

const describe = (v: unknown) => (v === undefined ? 'undefined' : JSON.stringify(v));

function posInt(field: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > max) throw new RangeError(`metaModel: spec.${field} must be an integer in 1..${max}, received ${describe(v)}`);
  return v;
}

/** Glorot-uniform entries U(−a, a), a = gain·√(6/(fanIn + fanOut)), for a tensor of shape [s₀, s₁, …] (fans as PyTorch's xavier_uniform_). */
function glorot(out: Float64Array, shape: readonly number[], gain: number, rng: Rng): void {
  const receptive = shape.slice(2).reduce((p, d) => p * d, 1);
  const [a0, a1] = shape.length >= 2 ? [shape[0], shape[1]] : [shape[0], 1];
  const a = gain * Math.sqrt(6 / ((a0 + a1) * receptive));
  for (let i = 0; i < out.length; i++) out[i] = a * (2 * rng.float() - 1);
}

function conv4(spec: Extract<MetaModelSpec, { kind: 'conv4' }>): MetaModel {
  const s = posInt('inputSize', spec.inputSize, 4096);
  const C = posInt('channels', spec.channels, 1024);
  const K = posInt('outputs', spec.outputs, 100_000);
  const bn = spec.batchNorm ?? true;
  if (typeof bn !== 'boolean') throw new TypeError(`metaModel: spec.batchNorm must be a boolean, received ${describe(spec.batchNorm)}`);
  const shapes: Record<string, number[]> = {};
  let side = s;
  let cin = 1;
  for (let l = 1; l <= 4; l++) {
    shapes[`conv${l}`] = [C, cin, 3, 3];
    // with batch norm a convolution bias is cancelled by the mean subtraction that follows: left out
    if (bn) {
      shapes[`gamma${l}`] = [C, 1, 1];
      shapes[`beta${l}`] = [C, 1, 1];
    } else shapes[`bias${l}`] = [C];
    side = Math.floor((side + 2 - 3) / 2) + 1;
    cin = C;
  }
  const features = C * side * side;
  shapes.dense = [features, K];
  shapes.denseBias = [K];
  const layout = tensorLayout(shapes, 'metaModel', 'params');
  return {
    spec: { kind: 'conv4', inputSize: s, channels: C, outputs: K, batchNorm: bn },
    name: `conv4-${C}ch${bn ? '' : '-nobn'}`,
    params: shapes,
    layout,
    size: layout.size,
    inputShape: [1, s, s],
    outputs: K,
    forward(t, p, x) {
      let h = x;
      for (let l = 1; l <= 4; l++) {
        h = t.conv2d(h, p[`conv${l}`], { stride: 2, padding: 1, ...(bn ? {} : { bias: p[`bias${l}`] }) });
        // transductive batch norm: statistics of the batch at hand, no running averages (as MAML and iMAML at test
        // time); one fused node with its scale and shift
        if (bn) h = t.batchNorm2d(h, p[`gamma${l}`], p[`beta${l}`]);
        h = t.relu(h);
      }
      return t.linear(t.flatten(h), p.dense, p.denseBias);
    },
    init(seed) {
      // the authors' initialisation: xavier_uniform_(gain = 1.73) on every weight, biases U[0, 0.05]; γ = 1, β = 0
      const rng = Rng.fromSeed(seed);
      const theta = new Float64Array(layout.size);
      const views = layout.split(theta);
      layout.names.forEach((name, k) => {
        const v = views[name];
        if (name.startsWith('conv') || name === 'dense') glorot(v, layout.shapes[k], 1.73, rng);
        else if (name.startsWith('gamma')) v.fill(1);
        else if (name === 'denseBias' || name.startsWith('bias')) for (let i = 0; i < v.length; i++) v[i] = 0.05 * rng.float();
      });
      return theta;
    },
  };
}

function mlp(spec: Extract<MetaModelSpec, { kind: 'mlp' }>): MetaModel {
  if (!Array.isArray(spec.inputShape) || spec.inputShape.length === 0) throw new RangeError(`metaModel: spec.inputShape must be a non-empty list of positive integers, received ${describe(spec.inputShape)}`);
  const inputShape = spec.inputShape.map((d, i) => posInt(`inputShape[${i}]`, d, 1 << 24));
  if (!Array.isArray(spec.hidden)) throw new RangeError(`metaModel: spec.hidden must be a list of layer widths, received ${describe(spec.hidden)}`);
  const hidden = spec.hidden.map((d, i) => posInt(`hidden[${i}]`, d, 1 << 16));
  const K = posInt('outputs', spec.outputs, 100_000);
  const activation = spec.activation ?? 'relu';
  if (activation !== 'relu' && activation !== 'tanh') throw new RangeError(`metaModel: spec.activation must be "relu" or "tanh", received ${describe(spec.activation)}`);
  const widths = [inputShape.reduce((a, b) => a * b, 1), ...hidden, K];
  const shapes: Record<string, number[]> = {};
  for (let l = 1; l < widths.length; l++) {
    shapes[`W${l}`] = [widths[l - 1], widths[l]];
    shapes[`b${l}`] = [widths[l]];
  }
  const layout = tensorLayout(shapes, 'metaModel', 'params');
  const L = widths.length - 1;
  return {
    spec: { kind: 'mlp', inputShape, hidden, outputs: K, activation },
    name: `mlp-${hidden.join('-') || 'linear'}${activation === 'relu' ? '' : `-${activation}`}`,
    params: shapes,
    layout,
    size: layout.size,
    inputShape,
    outputs: K,
    forward(t, p, x) {
      let h = inputShape.length === 1 ? x : t.flatten(x);
      for (let l = 1; l <= L; l++) {
        h = t.linear(h, p[`W${l}`], p[`b${l}`]);
        if (l < L) h = activation === 'relu' ? t.relu(h) : t.tanh(h);
      }
      return h;
    },
    init(seed) {
      // Glorot-uniform weights (gain 1), zero biases
      const rng = Rng.fromSeed(seed);
      const theta = new Float64Array(layout.size);
      const views = layout.split(theta);
      layout.names.forEach((name, k) => {
        if (name.startsWith('W')) glorot(views[name], layout.shapes[k], 1, rng);
      });
      return theta;
    },
  };
}

/**
 * The model of a spec (validated: every error names the spec field and what was expected).
 *
 * @example metaModel({ kind: 'conv4', inputSize: 28, channels: 32, outputs: 5 }).size // 29,253 weights
 * @example metaModel({ kind: 'mlp', inputShape: [1], hidden: [40, 40], outputs: 1 }).size // 1,761 weights
 */
export function metaModel(spec: MetaModelSpec): MetaModel {
  if (spec === null || typeof spec !== 'object') throw new TypeError(`metaModel: spec must be { kind: "conv4" | "mlp", … }, received ${describe(spec)}`);
  if (spec.kind === 'conv4') return conv4(spec);
  if (spec.kind === 'mlp') return mlp(spec);
  throw new RangeError(`metaModel: spec.kind must be "conv4" or "mlp", received ${describe((spec as { kind?: unknown }).kind)}`);
}
