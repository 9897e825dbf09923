import { constants, gunzipSync } from 'node:zlib';
import { InputError } from '@bilevel/io';

/**
 * Deflate's largest possible expansion: a 258-byte match coded in about two bits gives 1032:1 (zlib FAQ), and the
 * gzip wrapper only lowers it. A gzip stream of `L` bytes therefore never holds more than `1032·L` bytes, which lets a
 * loader refuse a header announcing more before it allocates anything.
 */
export const DEFLATE_MAX_RATIO = 1032;

/** The gzip magic bytes 1f 8b (RFC 1952). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Options of {@link gunzipBounded}. */
export interface GunzipBoundedOptions {
  /** The largest output accepted; decompression stops (and fails) as soon as it is exceeded. */
  readonly maxBytes: number;
  /** Where the bytes came from, for messages. */
  readonly source: string;
  /** The message when the output would exceed `maxBytes` (default: "decompresses to more than N bytes"). */
  readonly tooLarge?: string;
  /**
   * Decompress only what the bytes hold and accept a truncated stream (zlib's Z_SYNC_FLUSH) instead of failing on
   * it: used to read a header from a prefix. Default false.
   */
  readonly partial?: boolean;
}

/**
 * Gunzips with node:zlib, never allocating more than `maxBytes` (plus one zlib chunk): zlib's `maxOutputLength`
 * aborts the inflation as soon as the output grows past it. Every zlib failure (bad magic, bad header, corrupt
 * data, CRC or length mismatch, truncation, trailing garbage, too large) is an {@link InputError} at `source`.
 */
export function gunzipBounded(bytes: Uint8Array, options: GunzipBoundedOptions): Buffer {
  const { maxBytes, source } = options;
  try {
    return gunzipSync(bytes, {
      maxOutputLength: Math.max(1, maxBytes),
      ...(options.partial ? { finishFlush: constants.Z_SYNC_FLUSH } : {}),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = (err as Error).message;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new InputError(options.tooLarge ?? `the gzip stream decompresses to more than ${maxBytes} bytes`, source);
    }
    if (code === 'Z_BUF_ERROR') throw new InputError(`truncated gzip stream (zlib: ${message})`, source);
    if (typeof code === 'string' && code.startsWith('Z_')) throw new InputError(`corrupt gzip stream (zlib: ${message})`, source);
    throw err;
  }
}

/**
 * The first `need` decompressed bytes of a gzip stream (or all of it, if it is shorter), for reading a header
 * without inflating the whole file. Inflates growing prefixes of the compressed bytes (64, 512, 4096, … bytes), each
 * bounded by deflate's maximal ratio, until enough output appears: the allocation stays within
 * `1032 × 8 × (compressed bytes before the header ends)` even for a decompression bomb.
 */
export function gunzipHead(bytes: Uint8Array, need: number, source: string): Buffer {
  let prefix = Math.min(bytes.length, 64);
  for (;;) {
    const out = gunzipBounded(bytes.subarray(0, prefix), { maxBytes: DEFLATE_MAX_RATIO * prefix + 1024, source, partial: true });
    if (out.length >= need || prefix === bytes.length) return out;
    prefix = Math.min(bytes.length, prefix * 8);
  }
}
