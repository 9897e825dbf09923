import { createHash, timingSafeEqual } from 'node:crypto';
import { describeValue } from './describe-value';
import { CheckpointError } from './checkpoint-error';
import type { CheckpointErrorCode } from './checkpoint-error';
import {
  CHECKPOINT_DEFAULT_MAX_BYTES,
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
import type { CheckpointTypedArray, CheckpointValue } from './checkpoint-format';

/** Options of {@link decodeCheckpoint}. */
export interface DecodeCheckpointOptions {
  /** The kind the caller expects (e.g. `'bilevel-run'`); a checkpoint of another kind is refused. */
  kind: string;
  /** Refuse inputs longer than this many bytes. Default 1 GiB (`CHECKPOINT_DEFAULT_MAX_BYTES`). */
  maxBytes?: number;
  /** Name of the input in error messages (a file path). Default `'the checkpoint bytes'`. */
  source?: string;
}

/** A decoded checkpoint. */
export interface DecodedCheckpoint {
  state: CheckpointValue;
  meta: Record<string, CheckpointValue>;
  kind: string;
  createdAt: string;
  version: number;
}

/**
 * Parses and verifies a checkpoint produced by {@link encodeCheckpoint}. Checks, in order: size cap, minimum
 * length, magic, format version, declared length against the actual length (truncation), SHA-256 checksum, then
 * the header (JSON, tree shape, section table: known types, 8-aligned, in order, non-overlapping, inside the file,
 * each used exactly once) and the kind. Any failure throws a {@link CheckpointError} naming the source and what was
 * expected; nothing is returned from a defective input, so a run is never half-loaded.
 *
 * Allocation is bounded by the input size: the header is parsed once, and each section is copied once into a
 * fresh typed array (the result never aliases `bytes`), so the state takes at most `bytes.length` bytes of arrays.
 *
 * @example
 * const { state, meta } = decodeCheckpoint(readFileSync(path), { kind: 'bilevel-run', source: path });
 */
export function decodeCheckpoint(bytes: Uint8Array, options: DecodeCheckpointOptions): DecodedCheckpoint {
  const { kind, maxBytes, source } = validateOptions(bytes, options);
  const fail: (code: CheckpointErrorCode, what: string) => never = (code, what) => {
    throw new CheckpointError(code, source, `decodeCheckpoint: ${source}: ${what}`);
  };
  if (!PLATFORM_LITTLE_ENDIAN) fail('bad-version', 'this platform is big-endian; the checkpoint format is little-endian only');

  const n = bytes.length;
  if (n > maxBytes) fail('too-large', `is ${n} bytes; expected at most maxBytes = ${maxBytes}`);
  const minimum = CHECKPOINT_PREFIX_BYTES + CHECKPOINT_DIGEST_BYTES;
  if (n < minimum) fail('too-short', `is ${n} bytes; expected at least ${minimum} (is it a checkpoint at all?)`);
  for (let i = 0; i < CHECKPOINT_MAGIC.length; i++) {
    if (bytes[i] !== CHECKPOINT_MAGIC[i]) fail('bad-magic', 'does not start with the checkpoint magic "BLVCKPT\\n"; expected a checkpoint file');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) fail('bad-version', `has format version ${version}; expected ${CHECKPOINT_VERSION} (written by another version of the program, or corrupt)`);
  const declared = view.getBigUint64(16, true);
  if (declared !== BigInt(n)) {
    fail('truncated', declared > BigInt(n)
      ? `is ${n} bytes but declares ${declared}; the file is truncated (an interrupted copy or a full disk?)`
      : `is ${n} bytes but declares ${declared}; expected no trailing bytes`);
  }
  const body = bytes.subarray(0, n - CHECKPOINT_DIGEST_BYTES);
  const stored = bytes.subarray(n - CHECKPOINT_DIGEST_BYTES);
  const computed = createHash('sha256').update(body).digest();
  if (!timingSafeEqual(computed, stored)) {
    fail('checksum', `checksum mismatch (stored SHA-256 ${hex(stored)}…, computed ${hex(computed)}…); the file is corrupt or was modified, refusing to load it`);
  }

  const headerLength = view.getUint32(12, true);
  const headerEnd = CHECKPOINT_PREFIX_BYTES + headerLength;
  if (headerEnd > body.length) fail('header', `declares a ${headerLength}-byte header but only ${body.length - CHECKPOINT_PREFIX_BYTES} bytes precede the checksum`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(CHECKPOINT_PREFIX_BYTES, headerEnd)));
  } catch (err) {
    fail('header', `header is not UTF-8 JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header', `header is ${describeValue(header)}; expected a JSON object`);
  const h = header as Record<string, unknown>;
  if (typeof h.kind !== 'string') fail('header', `header.kind is ${describeValue(h.kind)}; expected a string`);
  if (typeof h.createdAt !== 'string') fail('header', `header.createdAt is ${describeValue(h.createdAt)}; expected a string`);
  if (h.endian !== 'LE') fail('header', `header.endian is ${describeValue(h.endian)}; expected "LE"`);
  if (h.kind !== kind) fail('kind', `holds a ${JSON.stringify(h.kind)} checkpoint; expected kind ${JSON.stringify(kind)}`);

  // Section table: validated completely before any section is copied.
  if (!Array.isArray(h.sections)) fail('section', `header.sections is ${describeValue(h.sections)}; expected an array`);
  const table = h.sections as unknown[];
  const dataStart = align8(headerEnd);
  const dataEnd = body.length;
  const ranges: { ctor: new (buffer: ArrayBuffer) => CheckpointTypedArray; start: number; byteLength: number }[] = [];
  let cursor = dataStart;
  for (let i = 0; i < table.length; i++) {
    const s = table[i] as Record<string, unknown> | null;
    if (s === null || typeof s !== 'object') fail('section', `header.sections[${i}] is ${describeValue(s)}; expected { type, offset, byteLength }`);
    const ctor = typeof s.type === 'string' ? CHECKPOINT_SECTION_TYPES.get(s.type) : undefined;
    if (ctor === undefined) fail('section', `header.sections[${i}].type is ${describeValue(s.type)}; expected one of ${[...CHECKPOINT_SECTION_TYPES.keys()].join(', ')}`);
    const { offset, byteLength } = s as { offset: unknown; byteLength: unknown };
    if (!Number.isSafeInteger(offset) || (offset as number) < 0 || (offset as number) % 8 !== 0) {
      fail('section', `header.sections[${i}].offset is ${describeValue(offset)}; expected a non-negative multiple of 8`);
    }
    const perElement = ctor.BYTES_PER_ELEMENT;
    if (!Number.isSafeInteger(byteLength) || (byteLength as number) < 0 || (byteLength as number) % perElement !== 0) {
      fail('section', `header.sections[${i}].byteLength is ${describeValue(byteLength)}; expected a non-negative multiple of ${perElement}`);
    }
    const start = dataStart + (offset as number);
    const end = start + (byteLength as number);
    if (start < cursor || end > dataEnd) {
      fail('section', `section ${i} spans bytes [${start}, ${end}); expected it inside [${cursor}, ${dataEnd}), after the previous section`);
    }
    cursor = end;
    ranges.push({ ctor: ctor as unknown as new (buffer: ArrayBuffer) => CheckpointTypedArray, start, byteLength: byteLength as number });
  }

  const used = new Uint8Array(ranges.length);
  const decodeNode = (node: unknown, path: string, depth: number): CheckpointValue => {
    if (node === null || typeof node === 'string' || typeof node === 'boolean') return node;
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) fail('header', `${path} is ${node} as a JSON literal; expected a finite number`);
      return node;
    }
    if (typeof node !== 'object') fail('header', `${path} is ${describeValue(node)}; expected a JSON value`);
    if (depth >= CHECKPOINT_MAX_DEPTH) fail('header', `${path} is nested more than ${CHECKPOINT_MAX_DEPTH} levels deep`);
    if (Array.isArray(node)) {
      const out: CheckpointValue[] = new Array(node.length);
      for (let i = 0; i < node.length; i++) out[i] = decodeNode(node[i], `${path}[${i}]`, depth + 1);
      return out;
    }
    const tagged = node as Record<string, unknown>;
    const keys = Object.keys(tagged);
    if (keys.length !== 1) fail('header', `${path} is an object with keys ${JSON.stringify(keys.slice(0, 4))}; expected one tag o, n, t or b`);
    const inner = tagged[keys[0]];
    switch (keys[0]) {
      case 'o': {
        if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) fail('header', `${path}.o is ${describeValue(inner)}; expected an object`);
        const entries: [string, CheckpointValue][] = [];
        for (const key of Object.keys(inner as object)) entries.push([key, decodeNode((inner as Record<string, unknown>)[key], `${path}.${key}`, depth + 1)]);
        return Object.fromEntries(entries);
      }
      case 'n':
        if (inner === 'NaN') return NaN;
        if (inner === 'Infinity') return Infinity;
        if (inner === '-Infinity') return -Infinity;
        if (inner === '-0') return -0;
        return fail('header', `${path}.n is ${describeValue(inner)}; expected "NaN", "Infinity", "-Infinity" or "-0"`);
      case 'b':
        if (typeof inner !== 'string' || inner.length > CHECKPOINT_MAX_BIGINT_DIGITS + 1 || !/^-?\d+$/.test(inner)) {
          fail('header', `${path}.b is ${describeValue(inner)}; expected a decimal integer of at most ${CHECKPOINT_MAX_BIGINT_DIGITS} digits`);
        }
        return BigInt(inner as string);
      case 't': {
        if (!Number.isSafeInteger(inner) || (inner as number) < 0 || (inner as number) >= ranges.length) {
          fail('section', `${path}.t is ${describeValue(inner)}; expected a section index below ${ranges.length}`);
        }
        const i = inner as number;
        if (used[i]) fail('section', `${path} refers to section ${i} a second time; expected each section to be used once`);
        used[i] = 1;
        const { ctor, start, byteLength } = ranges[i];
        const buffer = new ArrayBuffer(byteLength);
        new Uint8Array(buffer).set(bytes.subarray(start, start + byteLength));
        return new ctor(buffer);
      }
      default:
        return fail('header', `${path} has tag ${JSON.stringify(keys[0])}; expected one of o, n, t, b`);
    }
  };
  const meta = decodeNode(h.meta, 'header.meta', 0);
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta) || ArrayBuffer.isView(meta)) fail('header', `header.meta is ${describeValue(meta)}; expected a plain object`);
  const state = decodeNode(h.state, 'header.state', 0);
  const unused = used.indexOf(0);
  if (unused >= 0) fail('section', `section ${unused} is not referenced by the tree; expected every section to be used`);
  return { state, meta: meta as Record<string, CheckpointValue>, kind: h.kind as string, createdAt: h.createdAt as string, version };
}

function validateOptions(bytes: Uint8Array, options: DecodeCheckpointOptions): Required<DecodeCheckpointOptions> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`decodeCheckpoint: bytes is ${describeValue(bytes)}; expected a Uint8Array`);
  if (options === null || typeof options !== 'object') throw new TypeError(`decodeCheckpoint: options is ${describeValue(options)}; expected an object { kind, maxBytes?, source? }`);
  const { kind, maxBytes = CHECKPOINT_DEFAULT_MAX_BYTES, source = 'the checkpoint bytes' } = options;
  if (typeof kind !== 'string' || kind.length === 0) throw new TypeError(`decodeCheckpoint: options.kind is ${describeValue(kind)}; expected a non-empty string`);
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new TypeError(`decodeCheckpoint: options.maxBytes is ${describeValue(maxBytes)}; expected a positive integer`);
  if (typeof source !== 'string' || source.length === 0) throw new TypeError(`decodeCheckpoint: options.source is ${describeValue(source)}; expected a non-empty string`);
  return { kind, maxBytes, source };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.subarray(0, 8)).toString('hex');
}
