import { InputError } from '@bilevel/io';

/** One layer of a tfjs Layers model as model.json describes it: its class, its name and its (snake_case) config. */
export interface RawLayer {
  /** Position in the chain, from 0 (the input layer of a functional model included). */
  readonly index: number;
  readonly className: string;
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** One weight of a `weightsManifest` group, with where its bytes are in the group's concatenated shards. */
export interface ManifestWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: WeightDtype;
  /** Index of its group in `weightsManifest`. */
  readonly group: number;
  /** Byte offset in the group's shards joined in order, and byte length. */
  readonly offset: number;
  readonly bytes: number;
  /** An optimizer's state (`group: "optimizer"`, as tfjs saves with `includeOptimizer`): read by no layer. */
  readonly optimizer: boolean;
}

/** One group of `weightsManifest`: its shard files (relative to model.json's folder), joined in order. */
export interface ManifestGroup {
  readonly paths: readonly string[];
  readonly bytes: number;
}

/** What {@link parseLayersJson} finds in a model.json. */
export interface LayersJson {
  /** `Sequential`, `Model` (tfjs's functional model) or `Functional` (Keras's). */
  readonly className: string;
  readonly modelName: string;
  /** The layers in the order data flows through them. */
  readonly layers: readonly RawLayer[];
  readonly groups: readonly ManifestGroup[];
  readonly weights: readonly ManifestWeight[];
}

/** Bytes per entry of the weight dtypes a manifest may hold (string weights have no fixed size: refused). */
const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1, complex64: 8 } as const;
export type WeightDtype = keyof typeof DTYPE_BYTES;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => {
  const text = v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/**
 * Reads the parts of a tfjs Layers model.json (`tf.LayersModel.save`, or tensorflowjs_converter's Keras output) that
 * the loader needs, checking each: `modelTopology` (or its `model_config`) a `Sequential` (config `{ layers }` or a
 * bare list) or a functional model (`Model`, `Functional`) whose layers form one chain from one input to one output;
 * `weightsManifest` groups of shard paths and weight specs (name, shape, dtype; no quantization). Every defect is one
 * {@link InputError} at `where` (the model.json path).
 */
export function parseLayersJson(json: unknown, where: string): LayersJson {
  const fail = (message: string): never => {
    throw new InputError(message, where);
  };
  if (!isRecord(json)) return fail(`a tfjs model.json holds a JSON object, found ${show(json)}`);
  if (json.format !== undefined && json.format !== 'layers-model') {
    return fail(
      json.format === 'graph-model'
        ? 'this is a tfjs graph model (format "graph-model", loaded by tf.loadGraphModel); only Layers models (format "layers-model", from model.save or the Keras converter) can be loaded'
        : `format is ${show(json.format)}; expected "layers-model" (a tfjs Layers model)`,
    );
  }
  if (!isRecord(json.modelTopology)) return fail(`modelTopology must be an object (the model's architecture), found ${show(json.modelTopology)}`);
  const topology = isRecord(json.modelTopology.model_config) ? json.modelTopology.model_config : json.modelTopology;
  const className = topology.class_name;
  const config = topology.config;
  let layers: RawLayer[];
  let modelName: string;
  if (className === 'Sequential') {
    const list = Array.isArray(config) ? config : isRecord(config) ? config.layers : undefined;
    if (!Array.isArray(list) || list.length === 0) return fail(`modelTopology: a Sequential model's config.layers must be a non-empty list, found ${show(list)}`);
    modelName = isRecord(config) && typeof config.name === 'string' ? config.name : 'sequential';
    layers = list.map((raw, i) => rawLayer(raw, i, `modelTopology.config.layers[${i}]`, fail));
  } else if (className === 'Model' || className === 'Functional') {
    if (!isRecord(config) || !Array.isArray(config.layers)) return fail(`modelTopology: a functional model's config.layers must be a list, found ${show(isRecord(config) ? config.layers : config)}`);
    modelName = typeof config.name === 'string' ? config.name : 'model';
    layers = functionalChain(config, fail);
  } else {
    return fail(`modelTopology.class_name is ${show(className)}; expected "Sequential", "Model" or "Functional" (a tfjs Layers model)`);
  }
  const { groups, weights } = parseManifest(json.weightsManifest, fail);
  return { className, modelName, layers, groups, weights };
}

function rawLayer(raw: unknown, index: number, at: string, fail: (m: string) => never): RawLayer {
  if (!isRecord(raw) || typeof raw.class_name !== 'string' || !isRecord(raw.config)) {
    return fail(`${at} must be an object { class_name, config }, found ${show(raw)}`);
  }
  const name = typeof raw.config.name === 'string' ? raw.config.name : typeof raw.name === 'string' ? raw.name : `layer_${index}`;
  return { index, className: raw.class_name, name, config: raw.config };
}

/** The layer name an inbound node refers to: tfjs/Keras 2 `[[name, 0, 0, {}]]`, Keras 3 `[{ args: [{ config: { keras_history: [name, 0, 0] } }] }]`. */
function inboundNames(raw: Record<string, unknown>): string[] | null {
  const nodes = raw.inbound_nodes;
  if (!Array.isArray(nodes)) return null;
  const names: string[] = [];
  for (const node of nodes) {
    if (Array.isArray(node)) {
      for (const tensor of node) {
        if (!Array.isArray(tensor) || typeof tensor[0] !== 'string') return null;
        if (tensor[1] !== 0 || tensor[2] !== 0) return null;
        names.push(tensor[0]);
      }
    } else if (isRecord(node) && Array.isArray(node.args)) {
      for (const arg of node.args) {
        const history = isRecord(arg) && isRecord(arg.config) ? arg.config.keras_history : undefined;
        if (!Array.isArray(history) || typeof history[0] !== 'string' || history[1] !== 0 || history[2] !== 0) return null;
        names.push(history[0]);
      }
    } else return null;
  }
  return names;
}

/** A functional model's layers in data-flow order, when they form a single chain (each layer fed by the one before). */
function functionalChain(config: Record<string, unknown>, fail: (m: string) => never): RawLayer[] {
  const list = config.layers as unknown[];
  const raws = list.map((raw, i) => {
    if (!isRecord(raw)) return fail(`modelTopology.config.layers[${i}] must be an object, found ${show(raw)}`);
    return raw;
  });
  const byName = new Map<string, { raw: Record<string, unknown>; at: number }>();
  raws.forEach((raw, i) => {
    const name = typeof raw.name === 'string' ? raw.name : isRecord(raw.config) && typeof raw.config.name === 'string' ? raw.config.name : undefined;
    if (name === undefined) fail(`modelTopology.config.layers[${i}] has no name`);
    else if (byName.has(name)) fail(`modelTopology.config.layers[${i}]: two layers are named ${show(name)}`);
    else byName.set(name, { raw, at: i });
  });
  const ends = (field: 'input_layers' | 'output_layers') => {
    const v = config[field];
    const names = Array.isArray(v) ? v.map((e) => (Array.isArray(e) ? e[0] : undefined)) : [];
    if (names.length !== 1 || typeof names[0] !== 'string' || !byName.has(names[0])) {
      return fail(`only functional models with one input and one output, chained layer after layer, can be loaded; modelTopology.config.${field} is ${show(v)}`);
    }
    return names[0];
  };
  const input = ends('input_layers');
  const output = ends('output_layers');
  const chain: string[] = [];
  const seen = new Set<string>();
  for (let name = output; ; ) {
    if (seen.has(name)) return fail(`modelTopology: layer ${show(name)} feeds itself (a cycle)`);
    seen.add(name);
    chain.push(name);
    if (name === input) break;
    const { raw } = byName.get(name) as { raw: Record<string, unknown> };
    const from = inboundNames(raw);
    if (from === null || from.length !== 1 || !byName.has(from[0])) {
      return fail(
        `layer ${show(name)} of this functional model is ${from !== null && from.length > 1 ? `fed by ${from.length} tensors (${from.join(', ')})` : `fed by ${show(raw.inbound_nodes)}`}; only a chain from one input to one output, each layer called once on the previous layer's output, can be loaded`,
      );
    }
    name = from[0];
  }
  if (chain.length !== raws.length) {
    const off = [...byName.keys()].filter((n) => !seen.has(n));
    return fail(`layers ${off.map((n) => show(n)).join(', ')} are not on the chain from ${show(input)} to ${show(output)}; only a single chain of layers can be loaded`);
  }
  return chain.reverse().map((name, i) => {
    const { raw, at } = byName.get(name) as { raw: Record<string, unknown>; at: number };
    const layer = rawLayer(raw, i, `modelTopology.config.layers[${at}]`, fail);
    return { ...layer, name };
  });
}

function parseManifest(manifest: unknown, fail: (m: string) => never): { groups: ManifestGroup[]; weights: ManifestWeight[] } {
  if (manifest === undefined) return { groups: [], weights: [] };
  if (!Array.isArray(manifest)) return fail(`weightsManifest must be a list of groups { paths, weights }, found ${show(manifest)}`);
  const groups: ManifestGroup[] = [];
  const weights: ManifestWeight[] = [];
  const names = new Set<string>();
  manifest.forEach((group, g) => {
    const at = `weightsManifest[${g}]`;
    if (!isRecord(group)) return fail(`${at} must be an object { paths, weights }, found ${show(group)}`);
    const paths = group.paths;
    if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === 'string' && p !== '')) {
      return fail(`${at}.paths must be a non-empty list of file names, found ${show(paths)}`);
    }
    if (!Array.isArray(group.weights)) return fail(`${at}.weights must be a list of { name, shape, dtype }, found ${show(group.weights)}`);
    let offset = 0;
    group.weights.forEach((spec, k) => {
      const wat = `${at}.weights[${k}]`;
      if (!isRecord(spec) || typeof spec.name !== 'string' || spec.name === '') return fail(`${wat} must be an object { name, shape, dtype }, found ${show(spec)}`);
      const name = spec.name;
      if (names.has(name)) return fail(`${wat}: the weight name ${show(name)} appears twice in weightsManifest`);
      names.add(name);
      if (spec.quantization !== undefined && spec.quantization !== null) {
        const q = isRecord(spec.quantization) ? spec.quantization.dtype : undefined;
        return fail(`${wat} ${show(name)} is quantized (${show(q)}); quantized weights are not supported: save the model without quantization (float32 weights)`);
      }
      const shape = spec.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return fail(`${wat} ${show(name)}: shape must be a list of integers ≥ 0, found ${show(shape)}`);
      const dtype = spec.dtype;
      if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPE_BYTES, dtype)) {
        return fail(`${wat} ${show(name)} has dtype ${show(dtype)}; expected "float32" (int32, bool and complex64 are accepted for weights no layer reads)`);
      }
      const count = shape.reduce((p: number, d: number) => p * d, 1);
      const bytes = count * DTYPE_BYTES[dtype as WeightDtype];
      if (!Number.isSafeInteger(bytes)) return fail(`${wat} ${show(name)}: shape ${show(shape)} is too large`);
      weights.push({ name, shape, dtype: dtype as WeightDtype, group: g, offset, bytes, optimizer: spec.group === 'optimizer' });
      offset += bytes;
    });
    groups.push({ paths, bytes: offset });
  });
  return { groups, weights };
}
