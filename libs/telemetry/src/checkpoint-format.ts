/**
 * Layout of a checkpoint file (all integers little-endian):
 *
 * ```
 * offset  size  field
 *      0     8  magic "BLVCKPT\n"
 *      8     4  format version (uint32, currently 1)
 *     12     4  header length H in bytes (uint32)
 *     16     8  total file length N in bytes, checksum included (uint64)
 *     24     H  header: UTF-8 JSON { kind, createdAt, endian, meta, state, sections }
 *   D=align8(24+H)  binary sections, each starting at D + offset with offset a multiple of 8
 *   N-32   32  SHA-256 of bytes [0, N-32)
 * ```
 *
 * In the header tree a JSON array stands for an array, a string / boolean / null / finite number for itself, and
 * every other value is a one-key tagged object: `{"o": {...}}` a plain object, `{"n": "NaN" | "Infinity" |
 * "-Infinity" | "-0"}` a number JSON cannot spell, `{"t": i}` the typed array in section i, `{"b": "123"}` a bigint.
 * Tagging objects keeps user keys such as "t" or "n" unambiguous.
 */
export const CHECKPOINT_MAGIC = new Uint8Array([0x42, 0x4c, 0x56, 0x43, 0x4b, 0x50, 0x54, 0x0a]); // "BLVCKPT\n"
/** Format version written into every checkpoint; a file of another version is refused when read. */
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_PREFIX_BYTES = 24;
export const CHECKPOINT_DIGEST_BYTES = 32;
/** Sections start on 8-byte boundaries so a Float64Array could be viewed in place. */
export const CHECKPOINT_ALIGN = 8;
/** Nesting deeper than this is refused on both sides (it would only arise from a bug or a hostile file). */
export const CHECKPOINT_MAX_DEPTH = 256;
/** Bigints longer than this many decimal digits are refused (parsing cost grows faster than linearly). */
export const CHECKPOINT_MAX_BIGINT_DIGITS = 4096;
/** Default cap on a checkpoint's size for decoding and reading: 1 GiB. */
export const CHECKPOINT_DEFAULT_MAX_BYTES = 2 ** 30;

type TypedArrayConstructor =
  | Float64ArrayConstructor
  | Float32ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

/** A typed array a checkpoint can hold, stored bit for bit. */
export type CheckpointTypedArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | BigInt64Array
  | BigUint64Array;

/** The section types, by constructor name. */
export const CHECKPOINT_SECTION_TYPES: ReadonlyMap<string, TypedArrayConstructor> = new Map<string, TypedArrayConstructor>([
  ['Float64Array', Float64Array],
  ['Float32Array', Float32Array],
  ['Int32Array', Int32Array],
  ['Uint32Array', Uint32Array],
  ['Int16Array', Int16Array],
  ['Uint16Array', Uint16Array],
  ['Int8Array', Int8Array],
  ['Uint8Array', Uint8Array],
  ['Uint8ClampedArray', Uint8ClampedArray],
  ['BigInt64Array', BigInt64Array],
  ['BigUint64Array', BigUint64Array],
]);

/** A value a checkpoint can hold: a plain tree of JSON values, special numbers, bigints and typed arrays. */
export type CheckpointValue =
  | number
  | string
  | boolean
  | null
  | bigint
  | CheckpointTypedArray
  | CheckpointValue[]
  | { [key: string]: CheckpointValue };

/** The header's description of one binary section. Offsets are relative to the start of the data region. */
export interface CheckpointSection {
  type: string;
  offset: number;
  byteLength: number;
}

/** Whether this platform stores typed arrays little-endian (the on-disk order); true on every Node.js target in use. */
export const PLATFORM_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function align8(n: number): number {
  return Math.ceil(n / CHECKPOINT_ALIGN) * CHECKPOINT_ALIGN;
}
