import { InputError } from '@bilevel/io';
import type { RawLayer } from './layers-json';

/** Activation functions the loader maps onto the tape (their names in saved configs). */
export const SUPPORTED_ACTIVATIONS = ['linear', 'relu', 'tanh', 'sigmoid', 'softplus', 'softmax', 'log_softmax', 'swish'] as const;
export type ActivationName = (typeof SUPPORTED_ACTIVATIONS)[number];

/** Layer classes the loader reads (tfjs and Keras class names). */
export const SUPPORTED_LAYERS = [
  'InputLayer',
  'Dense',
  'Conv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalMaxPooling2D',
  'GlobalAveragePooling2D',
  'Flatten',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'Softmax',
  'Dropout',
] as const;

/** Aliases Keras accepts for some classes. */
const ALIASES: Readonly<Record<string, string>> = {
  Conv2d: 'Conv2D',
  Convolution2D: 'Conv2D',
  MaxPool2D: 'MaxPooling2D',
  AvgPool2D: 'AveragePooling2D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
};

/** Why some common layers are not supported, added to the refusal. */
const WHY_NOT: Readonly<Record<string, string>> = {
  BatchNormalization: 'its moving mean and variance (inference-time statistics) have no counterpart in the engine',
  LSTM: 'recurrent layers are not in the engine',
  GRU: 'recurrent layers are not in the engine',
  SimpleRNN: 'recurrent layers are not in the engine',
  Embedding: 'integer inputs are not in the engine',
  Sequential: 'nested models are not read: save the inner model flat',
  Model: 'nested models are not read: save the inner model flat',
  Functional: 'nested models are not read: save the inner model flat',
};

interface Common {
  readonly index: number;
  readonly name: string;
  readonly className: string;
  /** `batch_input_shape` (or Keras 3's `batch_shape`) when the layer declares the model's input: [null, ...dims]. */
  readonly batchInputShape: readonly (number | null)[] | null;
}

/** A layer of the chain, its config read and checked. */
export type LayerSpec = Common &
  (
    | { readonly kind: 'input' }
    | { readonly kind: 'dense'; readonly units: number; readonly useBias: boolean; readonly activation: ActivationName }
    | {
        readonly kind: 'conv2d';
        readonly filters: number;
        readonly kernel: readonly [number, number];
        readonly strides: readonly [number, number];
        readonly padding: 'valid' | 'same';
        readonly useBias: boolean;
        readonly activation: ActivationName;
      }
    | { readonly kind: 'pool'; readonly op: 'max' | 'avg'; readonly size: readonly [number, number]; readonly strides: readonly [number, number] }
    | { readonly kind: 'globalPool'; readonly op: 'max' | 'avg' }
    | { readonly kind: 'flatten' }
    | { readonly kind: 'activation'; readonly activation: ActivationName }
    /** Softmax along `axis` (tfjs's axes of [batch, ...sample]: 1 is the first axis of a sample, −1 the last). */
    | { readonly kind: 'softmax'; readonly axis: number }
    | { readonly kind: 'leakyRelu'; readonly alpha: number }
    | { readonly kind: 'dropout' }
  );

const show = (v: unknown) => (v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v)));

/**
 * Reads one layer's config into a {@link LayerSpec}: the class must be one of {@link SUPPORTED_LAYERS} and every
 * setting that changes what the layer computes must be one the engine reproduces exactly (channels_last data, no
 * dilation, `valid` pooling, ...); settings that matter only to training in tfjs (initializers, regularizers,
 * constraints, `trainable`) are ignored. Anything else is one {@link InputError} at `where` naming the layer.
 */
export function layerSpec(raw: RawLayer, where: string): LayerSpec {
  const c = raw.config;
  const label = `layer ${raw.index} ${JSON.stringify(raw.name)} (${raw.className})`;
  const fail = (message: string): never => {
    throw new InputError(`${label}: ${message}`, where);
  };
  const className = ALIASES[raw.className] ?? raw.className;
  if (!(SUPPORTED_LAYERS as readonly string[]).includes(className)) {
    const why = WHY_NOT[className];
    throw new InputError(
      `${label} is a ${raw.className} layer, which the loader does not support${why ? ` (${why})` : ''}; supported layers: ${SUPPORTED_LAYERS.join(', ')}`,
      where,
    );
  }
  const field = (key: string) => c[key];
  const positive = (key: string, v: unknown = field(key)) => {
    if (!Number.isSafeInteger(v) || (v as number) < 1) fail(`config.${key} must be a positive integer, found ${show(v)}`);
    return v as number;
  };
  const pair = (key: string, dflt: readonly [number, number] | null): readonly [number, number] => {
    const v = field(key);
    if ((v === undefined || v === null) && dflt !== null) return dflt;
    const list = typeof v === 'number' ? [v, v] : v;
    if (!Array.isArray(list) || list.length !== 2 || !list.every((d) => Number.isSafeInteger(d) && d >= 1)) {
      return fail(`config.${key} must be a positive integer or a pair of them, found ${show(v)}`);
    }
    return [list[0], list[1]];
  };
  const flag = (key: string, dflt: boolean) => {
    const v = field(key);
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') fail(`config.${key} must be true or false, found ${show(v)}`);
    return v as boolean;
  };
  const activation = (key: string): ActivationName => {
    const v = field(key);
    if (v === undefined || v === null) return 'linear';
    if (v === 'logSoftmax') return 'log_softmax'; // tfjs's name in code; its saved configs say log_softmax
    if (typeof v === 'string' && (SUPPORTED_ACTIVATIONS as readonly string[]).includes(v)) return v as ActivationName;
    return fail(`activation ${show(v)} is not supported; supported activations: ${SUPPORTED_ACTIVATIONS.join(', ')}`);
  };
  const channelsLast = () => {
    const v = field('data_format');
    if (v !== undefined && v !== null && v !== 'channels_last') fail(`config.data_format is ${show(v)}; only "channels_last" (tfjs's default) is supported`);
  };
  const batchInputShape = (() => {
    const v = field('batch_input_shape') ?? field('batch_shape');
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v) || v.length < 2 || !v.every((d) => d === null || (Number.isSafeInteger(d) && d >= 1))) {
      return fail(`config.batch_input_shape must be [null, ...positive sizes], found ${show(v)}`);
    }
    return v as (number | null)[];
  })();
  const common: Common = { index: raw.index, name: raw.name, className: raw.className, batchInputShape };

  switch (className) {
    case 'InputLayer':
      if (flag('sparse', false) || flag('ragged', false)) fail('sparse and ragged inputs are not supported');
      if (batchInputShape === null) fail('config.batch_input_shape (the input shape) is missing');
      return { ...common, kind: 'input' };
    case 'Dense':
      return { ...common, kind: 'dense', units: positive('units'), useBias: flag('use_bias', true), activation: activation('activation') };
    case 'Conv2D': {
      channelsLast();
      const dilation = pair('dilation_rate', [1, 1]);
      if (dilation[0] !== 1 || dilation[1] !== 1) fail(`config.dilation_rate is ${show(field('dilation_rate'))}; only 1 (no dilation) is supported`);
      const groups = field('groups');
      if (groups !== undefined && groups !== null && groups !== 1) fail(`config.groups is ${show(groups)}; only 1 (an ordinary convolution) is supported`);
      const padding = field('padding') ?? 'valid';
      if (padding !== 'valid' && padding !== 'same') fail(`config.padding is ${show(padding)}; expected "valid" or "same"`);
      return {
        ...common,
        kind: 'conv2d',
        filters: positive('filters'),
        kernel: pair('kernel_size', null),
        strides: pair('strides', [1, 1]),
        padding: padding as 'valid' | 'same',
        useBias: flag('use_bias', true),
        activation: activation('activation'),
      };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      channelsLast();
      const padding = field('padding') ?? 'valid';
      if (padding !== 'valid') fail(`config.padding is ${show(padding)}; only "valid" pooling is supported (the engine's pooling has no padding)`);
      const size = pair('pool_size', [2, 2]);
      return { ...common, kind: 'pool', op: className === 'MaxPooling2D' ? 'max' : 'avg', size, strides: pair('strides', size) };
    }
    case 'GlobalMaxPooling2D':
    case 'GlobalAveragePooling2D':
      channelsLast();
      if (flag('keepdims', false)) fail('config.keepdims true is not supported');
      return { ...common, kind: 'globalPool', op: className === 'GlobalMaxPooling2D' ? 'max' : 'avg' };
    case 'Flatten':
      channelsLast();
      return { ...common, kind: 'flatten' };
    case 'Activation':
      return { ...common, kind: 'activation', activation: activation('activation') };
    case 'ReLU': {
      const max = field('max_value');
      if (max !== undefined && max !== null) fail(`config.max_value is ${show(max)}; only an unbounded ReLU is supported`);
      for (const key of ['negative_slope', 'threshold']) {
        const v = field(key);
        if (v !== undefined && v !== null && v !== 0) fail(`config.${key} is ${show(v)}; only 0 is supported`);
      }
      return { ...common, kind: 'activation', activation: 'relu' };
    }
    case 'LeakyReLU': {
      const alpha = field('alpha') ?? field('negative_slope') ?? 0.3;
      if (typeof alpha !== 'number' || !Number.isFinite(alpha)) return fail(`config.alpha must be a finite number, found ${show(alpha)}`);
      return { ...common, kind: 'leakyRelu', alpha };
    }
    case 'Softmax': {
      // tfjs's Softmax layer defaults to axis 1 (Keras's to −1); either is saved in the config
      const axis = field('axis') ?? -1;
      if (!Number.isSafeInteger(axis) || axis === 0) return fail(`config.axis must be a non-zero integer (an axis of a sample; 0 is the batch), found ${show(axis)}`);
      return { ...common, kind: 'softmax', axis: axis as number };
    }
    case 'Dropout':
      return { ...common, kind: 'dropout' };
    default:
      return fail('unreachable');
  }
}
