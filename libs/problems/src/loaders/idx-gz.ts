import { InputError } from '@bilevel/io';
import { checkMemoryBudget, memoryBudgetOf } from '../memory-budget';
import { DEFLATE_MAX_RATIO, gunzipBounded, gunzipHead, isGzip } from './gunzip-bounded';
import { readDataFile } from './read-data-file';

/** An n-dimensional array of unsigned bytes read from an IDX file, row-major (last index fastest). */
export interface IdxArray {
  /** The dimensions, e.g. `[60000, 28, 28]` for images or `[60000]` for labels. */
  readonly dims: readonly number[];
  /** `dims[0] × dims[1] × …` bytes (a plain Uint8Array; for a raw file, a view on the bytes given). */
  readonly data: Uint8Array;
  /** Where it came from, for messages. */
  readonly source: string;
}

/** Options of {@link parseIdx} and {@link loadIdx}. */
export interface IdxOptions {
  /** The number of dimensions required (3 for images, magic 0x00000803; 1 for labels, 0x00000801). Default: any. */
  readonly rank?: number;
  /** Refuse a file whose header announces more than this many bytes, before allocating them. Default 2³⁰ (1 GiB). */
  readonly maxBytes?: number;
  /** Refuse a file whose header announces more bytes than this memory budget, before allocating them. Default 2 GiB. */
  readonly memoryBudget?: number;
}

/** The default of {@link IdxOptions.maxBytes}: 1 GiB. */
export const IDX_DEFAULT_MAX_BYTES = 2 ** 30;
/** IDX type byte of unsigned bytes, the only element type read here (MNIST and Fashion-MNIST use it). */
export const IDX_UBYTE = 0x08;
/** The largest IDX header: magic and 255 dimensions of 4 bytes. */
const IDX_MAX_HEADER = 4 + 4 * 255;
const IDX_TYPE_NAMES: Record<number, string> = { 0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

const hex = (v: number, digits: number): string => `0x${v.toString(16).padStart(digits, '0')}`;

/** Checks the options of {@link parseIdx}; returns the resolved ones. */
function idxOptions(options: IdxOptions, who: string): { rank: number | undefined; maxBytes: number; budget: number } {
  const { rank, maxBytes = IDX_DEFAULT_MAX_BYTES } = options;
  if (rank !== undefined && !(Number.isInteger(rank) && rank >= 1 && rank <= 255)) {
    throw new InputError(`options.rank must be an integer in 1..255, received ${String(rank)}`, who);
  }
  if (!(Number.isInteger(maxBytes) && maxBytes >= 1)) {
    throw new InputError(`options.maxBytes must be a positive integer, received ${String(maxBytes)}`, who);
  }
  return { rank, maxBytes, budget: memoryBudgetOf(options.memoryBudget, who) };
}

/** Reads and checks the header: magic number, rank, dimensions. Returns the dims and the header length. */
function readHeader(head: Uint8Array, source: string, rank: number | undefined): { dims: number[]; headerBytes: number } {
  const wanted = rank === undefined ? '' : `; expected ${hex(0x0800 + rank, 8)} (unsigned bytes, ${rank} dimension${rank > 1 ? 's' : ''})`;
  if (head.length < 4) {
    throw new InputError(`too short for an IDX file: ${head.length} byte${head.length === 1 ? '' : 's'}, expected at least the 4-byte magic number${wanted}`, source);
  }
  const magic = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  if (head[0] !== 0 || head[1] !== 0) {
    throw new InputError(`bad magic number ${hex(magic, 8)}: an IDX file starts with two zero bytes, the type byte and the rank${wanted || ' (e.g. 0x00000803)'}`, source);
  }
  if (head[2] !== IDX_UBYTE) {
    const name = IDX_TYPE_NAMES[head[2]];
    throw new InputError(
      `bad magic number ${hex(magic, 8)}: element type ${hex(head[2], 2)} (${name ?? 'unknown'}) is not supported; expected ${hex(IDX_UBYTE, 2)} (unsigned byte)${wanted}`,
      source,
    );
  }
  const ndim = head[3];
  if (ndim === 0) throw new InputError(`bad magic number ${hex(magic, 8)}: rank 0; an IDX array has at least one dimension${wanted}`, source);
  if (rank !== undefined && ndim !== rank) {
    throw new InputError(`bad magic number ${hex(magic, 8)}: ${ndim} dimension${ndim > 1 ? 's' : ''}${wanted}`, source);
  }
  const headerBytes = 4 + 4 * ndim;
  if (head.length < headerBytes) {
    throw new InputError(`truncated header: ${ndim} dimensions need ${headerBytes} header bytes, the file holds ${head.length}`, source);
  }
  const dims: number[] = [];
  for (let k = 0; k < ndim; k++) {
    const o = 4 + 4 * k;
    dims.push(((head[o] << 24) | (head[o + 1] << 16) | (head[o + 2] << 8) | head[o + 3]) >>> 0);
  }
  return { dims, headerBytes };
}

/**
 * Parses an IDX file of unsigned bytes (LeCun's MNIST format, also Fashion-MNIST's), gzipped (detected by its magic
 * bytes 1f 8b) or raw. Layout, big-endian: magic `00 00 08 r` (type 0x08 = unsigned byte, r = number of
 * dimensions), r dimensions as uint32, then `Π dims` bytes, row-major.
 *
 * Hostile input cannot make it allocate without bound: the header is inflated from a short prefix first; a header
 * announcing more than `maxBytes`, or more than a gzip stream of this length can hold (deflate expands at most
 * 1032:1), is refused before anything is allocated; the full inflation is capped at the announced size.
 * Every defect is an {@link InputError} at `source` saying what was found and what was expected: corrupt or
 * truncated gzip, bad magic (which byte is wrong), wrong rank, truncated header, data shorter or longer than the
 * dimensions announce.
 *
 * @example parseIdx(readFileSync('train-labels-idx1-ubyte.gz'), 'train-labels', { rank: 1 }).dims // [60000]
 */
export function parseIdx(bytes: Uint8Array, source = '<idx>', options: IdxOptions = {}): IdxArray {
  const { rank, maxBytes, budget } = idxOptions(options, 'parseIdx');
  const gz = isGzip(bytes);
  const head = gz ? gunzipHead(bytes, IDX_MAX_HEADER, source) : bytes;
  const { dims, headerBytes } = readHeader(head, source, rank);
  const payload = dims.reduce((a, b) => a * b, 1);
  const total = headerBytes + payload;
  const shape = dims.length > 8 ? `${dims.slice(0, 8).join('×')}×…(${dims.length} dims)` : dims.join('×');
  if (total > maxBytes) {
    throw new InputError(`the header announces ${shape} = ${payload} bytes, more than the limit of ${maxBytes} (option maxBytes)`, source);
  }
  checkMemoryBudget([{ what: `the array the header announces, ${shape} bytes`, bytes: total }], budget, source);
  let file: Uint8Array;
  if (gz) {
    if (total > DEFLATE_MAX_RATIO * bytes.length) {
      throw new InputError(
        `the header announces ${shape} = ${payload} bytes but a gzip stream of ${bytes.length} bytes holds at most ${DEFLATE_MAX_RATIO * bytes.length}: ` +
          'the file is truncated or its dimensions are wrong',
        source,
      );
    }
    file = gunzipBounded(bytes, {
      maxBytes: total,
      source,
      tooLarge: `the data is longer than the dimensions ${shape} announce (${payload} bytes after the ${headerBytes}-byte header)`,
    });
  } else {
    file = bytes;
  }
  if (file.length !== total) {
    const more = file.length > total;
    throw new InputError(
      `the dimensions ${shape} announce ${payload} data bytes but the file holds ${file.length - headerBytes}` + (more ? ' (trailing bytes)' : ' (truncated)'),
      source,
    );
  }
  return { dims, data: new Uint8Array(file.buffer, file.byteOffset + headerBytes, payload), source };
}

/** Reads a (gzipped) IDX file of unsigned bytes; see {@link parseIdx}. A missing or unreadable file is an {@link InputError}. */
export function loadIdx(path: string, options: IdxOptions = {}): IdxArray {
  const { maxBytes } = idxOptions(options, 'loadIdx');
  return parseIdx(readDataFile(path, maxBytes), path, options);
}
