import { InputError } from '@bilevel/io';
import type { IdxArray } from './idx-gz';
import { IDX_DEFAULT_MAX_BYTES, loadIdx } from './idx-gz';

/** Grayscale images with one class label each, as stored in IDX files (MNIST, Fashion-MNIST). */
export interface LabelledImages {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  /** `count × height × width` pixel bytes 0..255, image after image, each row-major. */
  readonly pixels: Uint8Array;
  /** Class index of each image, 0-based into `classNames`. */
  readonly labels: Int32Array;
  readonly classNames: readonly string[];
  /** Where it came from, for messages and summaries. */
  readonly source: string;
}

/** Options of {@link labelledIdx} and {@link loadLabelledIdx}. */
export interface LabelledIdxOptions {
  /** Class names; every label must be below their number. Default: `'0'…'K−1'` with K − 1 the largest label. */
  readonly classNames?: readonly string[];
  /** Keep only the first `limit` images (a positive integer; more than the file holds means all). Default: all. */
  readonly limit?: number;
  /** Per-file limit on the announced size, see {@link IdxOptions.maxBytes}. Default 1 GiB. */
  readonly maxBytes?: number;
  /** Per-file memory budget, see {@link IdxOptions.memoryBudget}. Default 2 GiB. */
  readonly memoryBudget?: number;
}

function checkOptions(options: LabelledIdxOptions, who: string): void {
  const { classNames, limit, maxBytes } = options;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
    throw new InputError(`options.limit must be a positive integer, received ${String(limit)}`, who);
  }
  if (classNames !== undefined && !(Array.isArray(classNames) && classNames.length >= 1 && classNames.every((c) => typeof c === 'string'))) {
    throw new InputError('options.classNames must be a non-empty array of strings', who);
  }
  if (maxBytes !== undefined && !(Number.isInteger(maxBytes) && maxBytes >= 1)) {
    throw new InputError(`options.maxBytes must be a positive integer, received ${String(maxBytes)}`, who);
  }
}

/**
 * Pairs an IDX array of images (`n × height × width`) with an IDX array of labels (`n`), checking that the counts
 * agree and that every label names a class. Keeps the first `limit` images if asked (copied, so the full decoded
 * file can be freed). Errors are {@link InputError}s at the offending file, naming the record.
 */
export function labelledIdx(images: IdxArray, labels: IdxArray, options: LabelledIdxOptions = {}): LabelledImages {
  checkOptions(options, 'labelledIdx');
  if (images.dims.length !== 3) {
    throw new InputError(`expected images (3 dimensions: count × height × width), found ${images.dims.length} dimension(s) ${images.dims.join('×')}`, images.source);
  }
  if (labels.dims.length !== 1) {
    throw new InputError(`expected labels (1 dimension), found ${labels.dims.length} dimensions ${labels.dims.join('×')}`, labels.source);
  }
  const [n, height, width] = images.dims;
  if (n === 0 || height === 0 || width === 0) {
    throw new InputError(`the images file holds no pixels (dimensions ${images.dims.join('×')}); expected at least one image of at least 1×1`, images.source);
  }
  if (labels.dims[0] !== n) {
    throw new InputError(`the labels file holds ${labels.dims[0]} labels but the images file ${images.source} holds ${n} images`, labels.source);
  }
  const count = Math.min(n, options.limit ?? n);
  const raw = labels.data;
  let maxLabel = 0;
  for (let i = 0; i < count; i++) maxLabel = Math.max(maxLabel, raw[i]);
  const classNames = options.classNames ?? Array.from({ length: maxLabel + 1 }, (_, k) => String(k));
  const K = classNames.length;
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    if (raw[i] >= K) {
      throw new InputError(`label of image ${i} (byte ${8 + i}): ${raw[i]} is out of range 0..${K - 1} (${K} classes)`, labels.source);
    }
    out[i] = raw[i];
  }
  const size = height * width;
  const pixels = count === n ? images.data : new Uint8Array(images.data.subarray(0, count * size));
  return { count, height, width, pixels, labels: out, classNames, source: count === n ? images.source : `${images.source} [first ${count}/${n}]` };
}

/** Reads a pair of (gzipped) IDX files, images and labels; see {@link labelledIdx} and {@link parseIdx}. */
export function loadLabelledIdx(imagesPath: string, labelsPath: string, options: LabelledIdxOptions = {}): LabelledImages {
  checkOptions(options, 'loadLabelledIdx');
  const maxBytes = options.maxBytes ?? IDX_DEFAULT_MAX_BYTES;
  const budget = options.memoryBudget !== undefined ? { memoryBudget: options.memoryBudget } : {};
  const labels = loadIdx(labelsPath, { rank: 1, maxBytes, ...budget });
  const images = loadIdx(imagesPath, { rank: 3, maxBytes, ...budget });
  return labelledIdx(images, labels, options);
}
