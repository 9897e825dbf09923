import { InputError } from '@bilevel/io';
import type { Tape, TapeVar } from '../tape/tape';
import type { ActivationName, LayerSpec } from './layer-spec';
import type { ManifestWeight } from './layers-json';

/** Options of {@link LoadedLayersModel.build}. */
export interface BuildOptions {
  /**
   * Stop before a final softmax (the model's last activation), returning the logits: the argument
   * `Tape.softmaxCrossEntropy` wants, which folds the softmax into the loss. Default false (the model's output, softmax
   * included). Without a final softmax both are the same.
   */
  readonly logits?: boolean;
}

/** One layer of a loaded model, for summaries. */
export interface LayerSummary {
  readonly name: string;
  readonly className: string;
  /** Output shape of one sample in tfjs's layout ([H, W, C] for images). */
  readonly outputShape: readonly number[];
  /** Number of weights. */
  readonly params: number;
  /** What the engine computes, e.g. `conv2d 3×3 stride 2, padding same (1 + 1 bottom/right), relu`. */
  readonly detail: string;
}

/**
 * A tfjs Layers model read into the tape engine by {@link loadLayersModel}: its parameters (shapes and the saved
 * values, widened to float64, in the engine's layout) and a function recording its forward pass on a {@link Tape}.
 *
 * Layout: the engine is channels-first, tfjs channels-last. An image input [H, W, C] in tfjs is [C, H, W] here
 * (`inputShape`): convert data once with {@link LoadedLayersModel.toEngineInput}. Conv2D kernels [KH, KW, C, O] become
 * [O, C, KH, KW]; a Dense layer after a Flatten of images has its kernel's rows permuted (the engine flattens
 * (c, h, w), tfjs (h, w, c)), so the loaded model computes exactly what tfjs computes. {@link
 * LoadedLayersModel.toTfjsLayout} maps a parameter's values back (to save them, or to compare with tfjs).
 */
export interface LoadedLayersModel {
  /** The model's name in model.json. */
  readonly name: string;
  /** Parameter name (`<layer>/kernel`, `<layer>/bias`) → shape in the engine's layout, in layer order. */
  readonly params: Readonly<Record<string, readonly number[]>>;
  /** The saved values of each parameter (float32 widened), in the engine's layout (the model's own arrays: copy them to change them). */
  readonly init: Readonly<Record<string, Float64Array>>;
  /** Number of parameters (entries over all of `params`). */
  readonly size: number;
  /** Shape of one input sample in the engine's layout ([C, H, W] for images, [d] for vectors). */
  readonly inputShape: readonly number[];
  /** Shape of one input sample in tfjs's layout ([H, W, C] for images). */
  readonly tfjsInputShape: readonly number[];
  /** Shape of one output sample in the engine's layout (an image output is [C, H, W]). */
  readonly outputShape: readonly number[];
  /** Whether the last operation is a softmax (see {@link BuildOptions.logits}). */
  readonly endsWithSoftmax: boolean;
  readonly layers: readonly LayerSummary[];
  /** A text table of the layers, their output shapes and parameter counts. */
  readonly summary: string;
  /**
   * Records the forward pass on `t`: `input` is a batch of samples [batch or n, ...inputShape] (from
   * `t.gatherRows(data, inputShape)`, or a fixed value), `p` holds one tape value per entry of `params` with that
   * shape (inputs of `t` usually, e.g. `t.input(shape, name)`); returns the output [batch or n, ...outputShape].
   */
  build(t: Tape, input: TapeVar, p: Readonly<Record<string, TapeVar>>, options?: BuildOptions): TapeVar;
  /**
   * Samples in tfjs's layout (row-major [n, ...tfjsInputShape], e.g. NHWC images) → the engine's ([n, ...inputShape],
   * NCHW), in a new Float64Array: the data for `t.gatherRows(data, inputShape)`. Vectors are copied as they are.
   */
  toEngineInput(samples: Float64Array | Float32Array): Float64Array;
  /** A parameter's values in the engine's layout → tfjs's (the layout of its weight in model.json), in a new array. */
  toTfjsLayout(name: string, values: Float64Array): Float64Array;
}

/** A tensor between layers: its per-sample shape in tfjs's layout and, after a Flatten of images, its feature order. */
interface Flow {
  readonly shape: readonly number[];
  /** Engine feature e holds tfjs feature perm[e] (null: the same order). */
  readonly perm: Int32Array | null;
}

type Step = (t: Tape, u: TapeVar, p: Readonly<Record<string, TapeVar>>) => TapeVar;

interface Param {
  readonly shape: readonly number[];
  /** The manifest weight it comes from, and the conversion of its float32 values to the engine's layout. */
  readonly source: string;
  readonly fromTfjs: (values: Float32Array) => Float64Array;
  readonly toTfjs: (values: Float64Array) => Float64Array;
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
/** The engine's layout of a tfjs per-sample shape: images [H, W, C] are [C, H, W]. */
const engineShape = (s: readonly number[]) => (s.length === 3 ? [s[2], s[0], s[1]] : [...s]);

/** Engine index (c, h, w) → tfjs index (h, w, c) of the features of an [H, W, C] image. */
function chwToHwc(H: number, W: number, C: number): Int32Array {
  const perm = new Int32Array(H * W * C);
  for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) perm[(c * H + h) * W + w] = (h * W + w) * C + c;
  return perm;
}

/** The batch's entries merged after the leading axis: [·, d] (a fixed value keeps its leading axis too). */
function flat(t: Tape, u: TapeVar): TapeVar {
  return u.batched ? t.flatten(u) : t.reshape(u, [u.shape[0], -1]);
}

/** u with `rows` zero rows appended at the bottom and `cols` zero columns at the right ([·, C, H, W]). */
function padBottomRight(t: Tape, u: TapeVar, rows: number, cols: number): TapeVar {
  let v = u;
  // zeros of the right shape and batching: a reduction of v scaled by 0 (the tape has no zeros of a batched shape)
  if (rows > 0) v = t.concat([v, t.scale(t.sum(v, [2], true), 0)], 2);
  if (cols > 0) v = t.concat([v, t.scale(t.sum(v, [3], true), 0)], 3);
  return v;
}

function activate(t: Tape, u: TapeVar, a: ActivationName, image: boolean): TapeVar {
  switch (a) {
    case 'linear':
      return u;
    case 'relu':
      return t.relu(u);
    case 'tanh':
      return t.tanh(u);
    case 'sigmoid':
      return t.sigmoid(u);
    case 'softplus':
      return t.softplus(u);
    case 'swish':
      return t.mul(u, t.sigmoid(u));
    case 'softmax':
    case 'log_softmax': {
      // over tfjs's last axis: the channels, axis 1 of an engine image [·, C, H, W]
      const logs = t.sub(u, t.logSumExp(u, image ? 1 : -1, true));
      return a === 'softmax' ? t.exp(logs) : logs;
    }
  }
}

/** The engine's axis of tfjs's `axis` of [batch, ...shape] (images: [B, H, W, C] → [B, C, H, W]), or null. */
function engineAxis(axis: number, shape: readonly number[]): number | null {
  const rank = shape.length + 1;
  const a = axis < 0 ? axis + rank : axis;
  if (a < 1 || a >= rank) return null;
  return shape.length === 3 ? [0, 2, 3, 1][a] : a;
}

/**
 * Turns the checked layer chain and its weights into a {@link LoadedLayersModel}: infers every layer's output shape
 * (tfjs's rules), checks each weight's shape against its layer's config, converts the weights to the engine's layout,
 * and lists the tape operations of each layer. Errors are {@link InputError}s at `where`.
 */
export function layersModel(
  name: string,
  specs: readonly LayerSpec[],
  manifest: readonly ManifestWeight[],
  readValues: () => ReadonlyMap<string, Float32Array>,
  where: string,
): LoadedLayersModel {
  const label = (s: LayerSpec) => `layer ${s.index} ${JSON.stringify(s.name)} (${s.className})`;
  const fail = (s: LayerSpec, message: string): never => {
    throw new InputError(`${label(s)}: ${message}`, where);
  };
  const used = new Set<string>();
  const byName = new Map(manifest.map((w) => [w.name, w]));
  /** The manifest weight `<layer>/<kind>` (or a unique one ending with `/<layer>/<kind>`, as converters prefix scopes). */
  const weight = (s: LayerSpec, kind: 'kernel' | 'bias', shape: readonly number[]): string => {
    const key = `${s.name}/${kind}`;
    let w = byName.get(key);
    if (w === undefined) {
      const found = manifest.filter((m) => m.name.endsWith(`/${key}`));
      if (found.length > 1) fail(s, `weights ${found.map((m) => JSON.stringify(m.name)).join(', ')} all match ${JSON.stringify(key)}`);
      w = found[0];
    }
    if (w === undefined) return fail(s, `its ${kind} ${JSON.stringify(key)} is not in weightsManifest`);
    if (w.dtype !== 'float32') fail(s, `its ${kind} ${JSON.stringify(w.name)} has dtype ${JSON.stringify(w.dtype)}; expected "float32"`);
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
      fail(s, `its ${kind} ${JSON.stringify(w.name)} has shape ${fmt(w.shape)} in weightsManifest, but the layer's config and input need ${fmt(shape)}`);
    }
    used.add(w.name);
    return w.name;
  };
  const copy = (v: Float32Array | Float64Array) => Float64Array.from(v);

  // the input shape: an InputLayer's, else the first layer's batch_input_shape
  const first = specs[0];
  const declared = first.batchInputShape;
  if (declared === null) return fail(first, 'the model declares no input shape (config.batch_input_shape of the first layer)');
  const dims = declared.slice(1);
  if (dims.some((d) => d === null)) fail(first, `the input shape ${JSON.stringify(declared)} has unknown sizes; every size but the batch must be fixed`);
  const tfjsInputShape = dims as number[];
  if (tfjsInputShape.length < 1 || tfjsInputShape.length > 3) fail(first, `inputs of shape ${fmt(tfjsInputShape)} are not supported: a sample must be a vector [d], a matrix or an image [H, W, C]`);
  specs.forEach((s, i) => {
    if (i > 0 && s.kind === 'input') fail(s, 'an InputLayer can only begin the model');
  });

  const params = new Map<string, Param>();
  const steps: Step[] = [];
  const summaries: LayerSummary[] = [];
  let softmaxStep = -1;
  let flow: Flow = { shape: tfjsInputShape, perm: null };

  const addActivation = (a: ActivationName) => {
    const image = flow.shape.length === 3;
    if (a === 'linear') return;
    steps.push((t, u) => activate(t, u, a, image));
    if (a === 'softmax') softmaxStep = steps.length - 1;
  };
  const image = (s: LayerSpec) => {
    if (flow.shape.length !== 3) fail(s, `needs an image input [height, width, channels], received ${fmt(flow.shape)}`);
    return flow.shape as readonly [number, number, number];
  };

  for (const s of specs) {
    let count = 0;
    let detail = '';
    switch (s.kind) {
      case 'input':
      case 'dropout':
        detail = s.kind === 'input' ? 'input' : 'identity (dropout is off at inference)';
        break;
      case 'flatten':
        if (flow.shape.length > 1) {
          const [H, W, C] = flow.shape;
          const perm = flow.shape.length === 3 ? chwToHwc(H, W, C) : null;
          flow = { shape: [prod(flow.shape)], perm };
          steps.push((t, u) => flat(t, u));
          detail = perm ? 'flatten (channels first: the next Dense kernel rows are permuted)' : 'flatten';
        } else detail = 'identity (already flat)';
        break;
      case 'dense': {
        if (flow.shape.length !== 1) fail(s, `a Dense layer on inputs of shape ${fmt(flow.shape)} is not supported: add a Flatten before it`);
        const inputs = flow.shape[0];
        const perm = flow.perm;
        const units = s.units;
        const kName = `${s.name}/kernel`;
        params.set(kName, {
          shape: [inputs, units],
          source: weight(s, 'kernel', [inputs, s.units]),
          fromTfjs: (kernel) => {
            const init = new Float64Array(inputs * units);
            for (let e = 0; e < inputs; e++) {
              const r = perm ? perm[e] : e;
              for (let j = 0; j < units; j++) init[e * units + j] = kernel[r * units + j];
            }
            return init;
          },
          toTfjs: (v) => {
            const out = new Float64Array(inputs * units);
            for (let e = 0; e < inputs; e++) {
              const r = perm ? perm[e] : e;
              for (let j = 0; j < units; j++) out[r * units + j] = v[e * units + j];
            }
            return out;
          },
        });
        const bName = s.useBias ? `${s.name}/bias` : null;
        if (bName !== null) params.set(bName, { shape: [units], source: weight(s, 'bias', [units]), fromTfjs: copy, toTfjs: copy });
        count = inputs * units + (bName ? units : 0);
        steps.push((t, u, p) => (bName === null ? t.linear(u, p[kName]) : t.linear(u, p[kName], p[bName])));
        flow = { shape: [units], perm: null };
        detail = `linear ${inputs} → ${units}${bName ? ' + bias' : ''}${perm ? ' (rows permuted to channels first)' : ''}, ${s.activation}`;
        addActivation(s.activation);
        break;
      }
      case 'conv2d': {
        const [H, W, C] = image(s);
        const [kh, kw] = s.kernel;
        const [sh, sw] = s.strides;
        const O = s.filters;
        // tfjs's output size and padding (TensorFlow's "SAME": the extra row or column, if any, at the bottom or right)
        let outH: number, outW: number, padH = 0, padW = 0, extraH = 0, extraW = 0;
        if (s.padding === 'valid') {
          if (kh > H || kw > W) fail(s, `a ${kh}×${kw} kernel does not fit its ${H}×${W} input (padding "valid")`);
          outH = Math.floor((H - kh) / sh) + 1;
          outW = Math.floor((W - kw) / sw) + 1;
        } else {
          outH = Math.ceil(H / sh);
          outW = Math.ceil(W / sw);
          const totalH = Math.max((outH - 1) * sh + kh - H, 0);
          const totalW = Math.max((outW - 1) * sw + kw - W, 0);
          padH = Math.floor(totalH / 2);
          padW = Math.floor(totalW / 2);
          extraH = totalH - 2 * padH;
          extraW = totalW - 2 * padW;
        }
        const kName = `${s.name}/kernel`;
        const size = O * C * kh * kw;
        // [KH, KW, C, O] → [O, C, KH, KW]
        const oihw = (i: number, j: number, c: number, o: number) => ((o * C + c) * kh + i) * kw + j;
        const hwioAt = (i: number, j: number, c: number, o: number) => ((i * kw + j) * C + c) * O + o;
        params.set(kName, {
          shape: [O, C, kh, kw],
          source: weight(s, 'kernel', [kh, kw, C, O]),
          fromTfjs: (hwio) => {
            const init = new Float64Array(size);
            for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) init[oihw(i, j, c, o)] = hwio[hwioAt(i, j, c, o)];
            return init;
          },
          toTfjs: (v) => {
            const out = new Float64Array(size);
            for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) out[hwioAt(i, j, c, o)] = v[oihw(i, j, c, o)];
            return out;
          },
        });
        const bName = s.useBias ? `${s.name}/bias` : null;
        if (bName !== null) params.set(bName, { shape: [O], source: weight(s, 'bias', [O]), fromTfjs: copy, toTfjs: copy });
        count = size + (bName ? O : 0);
        steps.push((t, u, p) => {
          const x = extraH > 0 || extraW > 0 ? padBottomRight(t, u, extraH, extraW) : u;
          return t.conv2d(x, p[kName], { stride: [sh, sw], padding: [padH, padW], ...(bName === null ? {} : { bias: p[bName] }) });
        });
        flow = { shape: [outH, outW, O], perm: null };
        const pad = s.padding === 'same' ? `, padding same (${padH}×${padW}${extraH || extraW ? ` + ${extraH} bottom, ${extraW} right` : ''})` : ', padding valid';
        detail = `conv2d ${O}×${C}×${kh}×${kw} stride ${sh}×${sw}${pad}${bName ? ' + bias' : ''}, ${s.activation}`;
        addActivation(s.activation);
        break;
      }
      case 'pool': {
        const [H, W, C] = image(s);
        const [kh, kw] = s.size;
        const [sh, sw] = s.strides;
        if (kh > H || kw > W) fail(s, `a ${kh}×${kw} window does not fit its ${H}×${W} input`);
        const op = s.op;
        steps.push((t, u) => (op === 'max' ? t.maxPool2d(u, { size: [kh, kw], stride: [sh, sw] }) : t.avgPool2d(u, { size: [kh, kw], stride: [sh, sw] })));
        flow = { shape: [Math.floor((H - kh) / sh) + 1, Math.floor((W - kw) / sw) + 1, C], perm: null };
        detail = `${op}Pool2d ${kh}×${kw} stride ${sh}×${sw}`;
        break;
      }
      case 'globalPool': {
        const [H, W, C] = image(s);
        const op = s.op;
        steps.push((t, u) => (op === 'avg' ? t.mean(u, [2, 3]) : flat(t, t.maxPool2d(u, { size: [H, W] }))));
        flow = { shape: [C], perm: null };
        detail = op === 'avg' ? 'mean over height and width' : `maxPool2d ${H}×${W}, flattened`;
        break;
      }
      case 'activation':
        addActivation(s.activation);
        detail = s.activation;
        break;
      case 'softmax': {
        const axis = engineAxis(s.axis, flow.shape);
        if (axis === null) fail(s, `config.axis ${s.axis} is not an axis of its input [batch, ${flow.shape.join(', ')}]`);
        steps.push((t, u) => t.exp(t.sub(u, t.logSumExp(u, axis as number, true))));
        softmaxStep = steps.length - 1;
        detail = `softmax over axis ${s.axis} (engine axis ${axis})`;
        break;
      }
      case 'leakyRelu': {
        const alpha = s.alpha;
        steps.push((t, u) => t.leakyRelu(u, alpha));
        detail = `leakyRelu α = ${alpha}`;
        break;
      }
    }
    summaries.push({ name: s.name, className: s.className, outputShape: [...flow.shape], params: count, detail });
  }
  // a flattened image that no Dense read: put its features back in tfjs's order (a permutation matrix)
  if (flow.perm !== null) {
    const perm = flow.perm;
    const d = perm.length;
    const P = new Float64Array(d * d);
    for (let e = 0; e < d; e++) P[e * d + perm[e]] = 1;
    steps.push((t, u) => t.matmul(u, t.constant(P, [d, d])));
  }

  for (const w of manifest) {
    if (!used.has(w.name) && !w.optimizer) throw new InputError(`weight ${JSON.stringify(w.name)} of weightsManifest belongs to no layer of the model (expected <layer name>/kernel or /bias)`, where);
  }
  // every shape checked: now read the weights (the files' sizes are checked against the manifest as they are read)
  const values = readValues();
  const init = new Map([...params].map(([k, p]) => [k, p.fromTfjs(values.get(p.source) as Float32Array)]));
  return assemble(name, params, init, steps, softmaxStep >= 0 && softmaxStep === steps.length - 1, summaries, tfjsInputShape, flow.shape);
}

function assemble(
  name: string,
  params: ReadonlyMap<string, Param>,
  values: ReadonlyMap<string, Float64Array>,
  steps: readonly Step[],
  endsWithSoftmax: boolean,
  layers: readonly LayerSummary[],
  tfjsInputShape: readonly number[],
  tfjsOutputShape: readonly number[],
): LoadedLayersModel {
  const inputShape = engineShape(tfjsInputShape);
  const outputShape = engineShape(tfjsOutputShape);
  const shapes: Record<string, readonly number[]> = {};
  for (const [k, v] of params) shapes[k] = v.shape;
  const size = [...values.values()].reduce((s, v) => s + v.length, 0);
  const sampleIn = prod(tfjsInputShape);
  const image = tfjsInputShape.length === 3;

  const build = (t: Tape, input: TapeVar, p: Readonly<Record<string, TapeVar>>, options: BuildOptions = {}): TapeVar => {
    const want = `[${input?.batched ? 'batch' : 'n'}, ${inputShape.join(', ')}]`;
    if (input === null || typeof input !== 'object' || !Array.isArray(input.shape)) throw new TypeError(`build: input must be a tape value of shape [batch or n, ${inputShape.join(', ')}], received ${String(input)}`);
    const got = input.shape;
    if (got.length !== inputShape.length + 1 || inputShape.some((d, i) => d !== got[i + 1])) {
      const hint = image ? ` (images channels first: [C, H, W]; convert NHWC data with toEngineInput)` : '';
      throw new RangeError(`build: input must have shape ${want}${hint}, received ${fmt(got)}`);
    }
    if (p === null || typeof p !== 'object') throw new TypeError(`build: p must be a record of tape values, one per parameter (${Object.keys(shapes).join(', ')})`);
    for (const [k, shape] of Object.entries(shapes)) {
      const v = Object.prototype.hasOwnProperty.call(p, k) ? p[k] : undefined;
      if (v === undefined || v === null || typeof v !== 'object' || !Array.isArray(v.shape)) throw new TypeError(`build: p[${JSON.stringify(k)}] is missing (a tape value of shape ${fmt(shape)})`);
      if (v.batched || v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i])) {
        throw new RangeError(`build: p[${JSON.stringify(k)}] must have shape ${fmt(shape)} (not batched), received ${v.batched ? 'batched ' : ''}${fmt(v.shape)}`);
      }
    }
    const last = options?.logits === true && endsWithSoftmax ? steps.length - 1 : steps.length;
    let u = input;
    for (let i = 0; i < last; i++) u = steps[i](t, u, p);
    return u;
  };

  const toEngineInput = (samples: Float64Array | Float32Array): Float64Array => {
    if (!(samples instanceof Float64Array || samples instanceof Float32Array) || samples.length === 0 || samples.length % sampleIn !== 0) {
      throw new RangeError(`toEngineInput: samples must be a Float64Array or Float32Array of whole samples of ${sampleIn} numbers (${fmt(tfjsInputShape)} each), received ${samples?.length ?? String(samples)} numbers`);
    }
    if (!image) return Float64Array.from(samples);
    const [H, W, C] = tfjsInputShape;
    const perm = chwToHwc(H, W, C);
    const out = new Float64Array(samples.length);
    for (let base = 0; base < samples.length; base += sampleIn) for (let e = 0; e < sampleIn; e++) out[base + e] = samples[base + perm[e]];
    return out;
  };

  const toTfjsLayout = (param: string, v: Float64Array): Float64Array => {
    const p = params.get(param);
    if (p === undefined) throw new RangeError(`toTfjsLayout: no parameter ${JSON.stringify(param)}; the parameters are ${[...params.keys()].join(', ')}`);
    const n = prod(p.shape);
    if (!(v instanceof Float64Array) || v.length !== n) throw new RangeError(`toTfjsLayout: values of ${JSON.stringify(param)} must be a Float64Array of ${n} numbers, received ${v?.length ?? String(v)}`);
    return p.toTfjs(v);
  };

  const rows = layers.map((l) => [l.name, l.className, fmt(l.outputShape), String(l.params), l.detail]);
  const header = ['layer', 'class', 'output (tfjs layout)', 'params', 'on the tape'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  const summary = [
    `${name}: input ${fmt(tfjsInputShape)}${image ? ` (engine ${fmt(inputShape)}, channels first)` : ''} → output ${fmt(tfjsOutputShape)}, ${size} parameters`,
    line(header),
    ...rows.map(line),
  ].join('\n');

  const init: Record<string, Float64Array> = {};
  for (const [k, v] of values) init[k] = v;
  return { name, params: shapes, init, size, inputShape, tfjsInputShape, outputShape, endsWithSoftmax, layers, summary, build, toEngineInput, toTfjsLayout };
}
