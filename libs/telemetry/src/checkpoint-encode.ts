import { createHash } from 'node:crypto';
import { describeValue } from './describe-value';
import {
  CHECKPOINT_DIGEST_BYTES,
  CHECKPOINT_MAGIC,
  CHECKPOINT_MAX_BIGINT_DIGITS,
  CHECKPOINT_MAX_DEPTH,
  CHECKPOINT_PREFIX_BYTES,
  CHECKPOINT_SECTION_TYPES,
  CHECKPOINT_VERSION,
  PLATFORM_LITTLE_ENDIAN,
  align8,
} from './checkpoint-format';
import type { CheckpointSection, CheckpointTypedArray, CheckpointValue } from './checkpoint-format';

/** Options of {@link encodeCheckpoint}. */
export interface EncodeCheckpointOptions {
  /** What the checkpoint holds, e.g. `'bilevel-run'`; a decoder asks for the kind it expects. Non-empty, ≤ 200 chars. */
  kind: string;
  /** Creation time supplied by the caller (the codec reads no clock), e.g. `new Date().toISOString()`. */
  createdAt: string;
  /** Free-form description (command line, seed, iteration…); the same value types as the state. Default `{}`. */
  meta?: Record<string, CheckpointValue>;
}

/**
 * Serialises a run state to the checkpoint format described in `checkpoint-format.ts`: magic, version, a JSON
 * header describing the tree, 8-byte aligned binary sections holding the typed arrays bit for bit, and a SHA-256
 * of everything before it. Numbers keep NaN, ±Infinity and −0; typed arrays keep every bit (−0 and NaN payloads
 * included). Only plain objects (prototype `Object.prototype` or null), arrays without holes, the primitives above,
 * bigints and typed arrays are accepted; anything else (undefined, functions, Map, Date, class instances, cycles,
 * nesting over 256) is refused with an error naming its path in the tree, before any output is produced.
 *
 * The input is read, never modified; the output owns fresh memory.
 *
 * @example
 * const bytes = encodeCheckpoint({ x: new Float64Array([1, -0]), iter: 40 }, { kind: 'bilevel-run', createdAt: new Date().toISOString() });
 */
export function encodeCheckpoint(state: CheckpointValue, options: EncodeCheckpointOptions): Uint8Array {
  const { kind, createdAt, meta } = validateOptions(options);
  if (!PLATFORM_LITTLE_ENDIAN) throw new Error('encodeCheckpoint: this platform is big-endian; the checkpoint format is little-endian only');

  const arrays: CheckpointTypedArray[] = [];
  const stack = new Set<object>();
  const stateNode = encodeNode(state, 'state', 0, arrays, stack);
  const metaNode = encodeNode(meta, 'meta', 0, arrays, stack);

  const sections: CheckpointSection[] = [];
  let dataLength = 0;
  for (const a of arrays) {
    sections.push({ type: a.constructor.name, offset: dataLength, byteLength: a.byteLength });
    dataLength = align8(dataLength + a.byteLength);
  }
  const header = Buffer.from(JSON.stringify({ kind, createdAt, endian: 'LE', meta: metaNode, state: stateNode, sections }), 'utf8');
  if (header.length > 0xffffffff) throw new RangeError(`encodeCheckpoint: the header is ${header.length} bytes; expected at most 2^32 − 1 (store large data in typed arrays)`);
  const dataStart = align8(CHECKPOINT_PREFIX_BYTES + header.length);
  const total = dataStart + dataLength + CHECKPOINT_DIGEST_BYTES;

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(CHECKPOINT_MAGIC, 0);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, header.length, true);
  view.setBigUint64(16, BigInt(total), true);
  out.set(header, CHECKPOINT_PREFIX_BYTES);
  for (let i = 0; i < arrays.length; i++) {
    const a = arrays[i];
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), dataStart + sections[i].offset);
  }
  const body = out.subarray(0, total - CHECKPOINT_DIGEST_BYTES);
  out.set(createHash('sha256').update(body).digest(), total - CHECKPOINT_DIGEST_BYTES);
  return out;
}

function validateOptions(options: EncodeCheckpointOptions): Required<EncodeCheckpointOptions> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`encodeCheckpoint: options is ${describeValue(options)}; expected an object { kind, createdAt, meta? }`);
  }
  const { kind, createdAt, meta = {} } = options;
  if (typeof kind !== 'string' || kind.length === 0 || kind.length > 200) {
    throw new TypeError(`encodeCheckpoint: options.kind is ${describeValue(kind)}; expected a non-empty string of at most 200 characters`);
  }
  if (typeof createdAt !== 'string' || createdAt.length === 0 || createdAt.length > 100) {
    throw new TypeError(`encodeCheckpoint: options.createdAt is ${describeValue(createdAt)}; expected a non-empty timestamp string such as an ISO 8601 date`);
  }
  if (!isPlainObject(meta)) {
    throw new TypeError(`encodeCheckpoint: options.meta is ${describeValue(meta)}; expected a plain object`);
  }
  return { kind, createdAt, meta };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isCheckpointTypedArray(value: unknown): value is CheckpointTypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) && CHECKPOINT_SECTION_TYPES.get(value.constructor.name) === value.constructor;
}

function encodeNode(value: unknown, path: string, depth: number, arrays: CheckpointTypedArray[], stack: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isNaN(value)) return { n: 'NaN' };
      if (value === Infinity) return { n: 'Infinity' };
      if (value === -Infinity) return { n: '-Infinity' };
      if (Object.is(value, -0)) return { n: '-0' };
      return value;
    case 'bigint': {
      const digits = value.toString();
      if (digits.length > CHECKPOINT_MAX_BIGINT_DIGITS) {
        throw new RangeError(`encodeCheckpoint: ${path} is a bigint of ${digits.length} digits; expected at most ${CHECKPOINT_MAX_BIGINT_DIGITS}`);
      }
      return { b: digits };
    }
    case 'object':
      break;
    default:
      throw new TypeError(`encodeCheckpoint: ${path} is ${describeValue(value)}; expected a number, string, boolean, null, bigint, array, plain object or typed array`);
  }
  if (value === null) return null;
  if (isCheckpointTypedArray(value)) {
    arrays.push(value);
    return { t: arrays.length - 1 };
  }
  if (depth >= CHECKPOINT_MAX_DEPTH) throw new RangeError(`encodeCheckpoint: ${path} is nested ${depth} levels deep; expected at most ${CHECKPOINT_MAX_DEPTH}`);
  if (stack.has(value)) throw new TypeError(`encodeCheckpoint: ${path} refers back to one of its ancestors; expected a tree without cycles`);
  stack.add(value);
  let node: unknown;
  if (Array.isArray(value)) {
    const items: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new TypeError(`encodeCheckpoint: ${path}[${i}] is a hole in a sparse array; expected every element to be set`);
      items[i] = encodeNode(value[i], `${path}[${i}]`, depth + 1, arrays, stack);
    }
    node = items;
  } else if (isPlainObject(value)) {
    if (Object.getOwnPropertySymbols(value).length > 0) throw new TypeError(`encodeCheckpoint: ${path} has symbol keys; expected string keys only`);
    const entries: [string, unknown][] = [];
    for (const key of Object.keys(value)) entries.push([key, encodeNode(value[key], `${path}.${key}`, depth + 1, arrays, stack)]);
    node = { o: Object.fromEntries(entries) };
  } else {
    const name = (value as object).constructor?.name ?? 'an object without prototype';
    throw new TypeError(`encodeCheckpoint: ${path} is a ${name}; expected a plain object, an array or one of the typed arrays ${[...CHECKPOINT_SECTION_TYPES.keys()].join(', ')}`);
  }
  stack.delete(value);
  return node;
}
