import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { endianness, homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { checkMemoryBudget } from '../memory-budget';
import { readRegularFile } from '@bilevel/io';
import type { FewShotClass, FewShotDataset } from './few-shot-dataset';

/**
 * The folder of the decoded-data cache: `$BILEVEL_CACHE_DIR` if set, else `$XDG_CACHE_HOME/bilevel` (when that is
 * an absolute path, as the XDG Base Directory spec requires), else `~/.cache/bilevel`. Empty variables count as
 * unset.
 */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env, home: string = homedir()): string {
  const own = env.BILEVEL_CACHE_DIR;
  if (own) return own;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'bilevel');
  return join(home, '.cache', 'bilevel');
}

/** The first bytes of a cache file: "bilevel few-shot data set", format 1. */
const MAGIC = Buffer.from('BLVFSDS1', 'latin1');
/** The largest header (JSON) accepted. */
const MAX_HEADER_BYTES = 1 << 24;

interface CacheHeader {
  readonly key: string;
  readonly size: number;
  readonly count: number;
  /** [alphabet, name, images] of each class; a class's images are consecutive rows, classes in order. */
  readonly classes: readonly (readonly [string, string, number])[];
  /** SHA-256 of the pixel bytes. */
  readonly sha256: string;
}

/** How a cache lookup ended: a data set, no file, or a file that is not a valid cache of this key (why). */
export type CacheLookup = { readonly kind: 'hit'; readonly dataset: FewShotDataset } | { readonly kind: 'miss' } | { readonly kind: 'corrupt'; readonly why: string };

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

function isHeader(h: unknown): h is CacheHeader {
  const o = h as CacheHeader;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.key === 'string' &&
    Number.isInteger(o.size) &&
    o.size >= 1 &&
    Number.isInteger(o.count) &&
    o.count >= 0 &&
    typeof o.sha256 === 'string' &&
    Array.isArray(o.classes) &&
    o.classes.every((c) => Array.isArray(c) && c.length === 3 && typeof c[0] === 'string' && typeof c[1] === 'string' && Number.isInteger(c[2]) && c[2] >= 1)
  );
}

/**
 * Reads a cached data set written by {@link writeFewShotCache}, validating everything before trusting it: the magic
 * bytes, the header, the key (`expectedKey`, the hash of the inputs), the exact file length, the SHA-256 of the
 * pixels, their range [0, 1], and that the classes cover all the images. A file that fails any check is reported as
 * `corrupt` (the caller rebuilds it); one that does not exist is a `miss`. The images array is a view into the file's
 * buffer when it is aligned (no copy). A data set over `memoryBudget` is an {@link InputError}, as when decoding.
 */
export function readFewShotCache(path: string, expectedKey: string, memoryBudget: number): CacheLookup {
  if (endianness() !== 'LE') return { kind: 'miss' }; // the pixels are stored little-endian
  try {
    statSync(path);
  } catch {
    return { kind: 'miss' };
  }
  let bytes: Buffer;
  try {
    bytes = readRegularFile(path, { maxBytes: memoryBudget + MAX_HEADER_BYTES, what: 'cache file' });
  } catch (err) {
    return { kind: 'corrupt', why: (err as Error).message };
  }
  if (bytes.length < 12 || !bytes.subarray(0, 8).equals(MAGIC)) return { kind: 'corrupt', why: 'no cache header (magic bytes)' };
  const headerBytes = bytes.readUInt32LE(8);
  if (headerBytes > MAX_HEADER_BYTES || 12 + headerBytes > bytes.length) return { kind: 'corrupt', why: `header of ${headerBytes} bytes in a file of ${bytes.length}` };
  let header: unknown;
  try {
    header = JSON.parse(bytes.subarray(12, 12 + headerBytes).toString('utf8'));
  } catch (err) {
    return { kind: 'corrupt', why: `header is not JSON (${(err as Error).message})` };
  }
  if (!isHeader(header)) return { kind: 'corrupt', why: 'header fields missing or of the wrong type' };
  if (header.key !== expectedKey) return { kind: 'corrupt', why: 'the key does not match the inputs' };
  const { size, count } = header;
  const px = size * size;
  if (header.classes.reduce((s, c) => s + c[2], 0) !== count) return { kind: 'corrupt', why: 'the classes do not add up to the image count' };
  const start = align8(12 + headerBytes);
  if (bytes.length !== start + count * px * 8) return { kind: 'corrupt', why: `${bytes.length} bytes, expected ${start + count * px * 8}` };
  checkMemoryBudget([{ what: `cached images ${count} × ${size}×${size} × 8 bytes`, bytes: count * px * 8 }], memoryBudget, path);
  const data = bytes.subarray(start);
  if (createHash('sha256').update(data).digest('hex') !== header.sha256) return { kind: 'corrupt', why: 'the pixels do not match their SHA-256' };
  const images = data.byteOffset % 8 === 0 ? new Float64Array(data.buffer, data.byteOffset, count * px) : new Float64Array(new Uint8Array(data).buffer);
  for (let i = 0; i < images.length; i++) {
    if (!(images[i] >= 0 && images[i] <= 1)) return { kind: 'corrupt', why: `pixel ${i} is ${images[i]}, outside [0, 1]` };
  }
  const classes: FewShotClass[] = [];
  let row = 0;
  for (const [alphabet, name, n] of header.classes) {
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) indices[i] = row++;
    classes.push({ alphabet, name, indices });
  }
  return { kind: 'hit', dataset: { size, images, classes } };
}

/**
 * Writes a data set to the cache atomically: into a temporary file beside `path` (flushed to disk), then renamed
 * over `path`, so a reader never sees a partial file and concurrent writers leave one complete file. The classes'
 * images must be consecutive rows, classes in order (as the loaders produce them). Returns undefined, or why the
 * write failed (a cache that cannot be written is not an error of the load; the temporary file is removed).
 */
export function writeFewShotCache(path: string, key: string, ds: FewShotDataset): string | undefined {
  if (endianness() !== 'LE') return 'the cache stores little-endian pixels; this machine is big-endian';
  let row = 0;
  for (const c of ds.classes) {
    for (let i = 0; i < c.indices.length; i++) {
      if (c.indices[i] !== row++) throw new RangeError('writeFewShotCache: the classes must hold consecutive rows, in order');
    }
  }
  const count = ds.images.length / (ds.size * ds.size);
  if (row !== count) throw new RangeError(`writeFewShotCache: the classes hold ${row} images of ${count}`);
  const data = new Uint8Array(ds.images.buffer, ds.images.byteOffset, ds.images.byteLength);
  const header: CacheHeader = {
    key,
    size: ds.size,
    count,
    classes: ds.classes.map((c) => [c.alphabet, c.name, c.indices.length] as const),
    sha256: createHash('sha256').update(data).digest('hex'),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(align8(12 + json.length));
  MAGIC.copy(head, 0);
  head.writeUInt32LE(json.length, 8);
  json.copy(head, 12);
  const dir = join(path, '..');
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let fd: number | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    fd = openSync(tmp, 'wx', 0o644);
    for (const part of [head, data]) {
      for (let off = 0; off < part.length; ) off += writeSync(fd, part, off, Math.min(part.length - off, 1 << 24));
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
    return undefined;
  } catch (err) {
    try {
      if (fd !== undefined) closeSync(fd);
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is unusable: nothing was written
    }
    return (err as Error).message;
  }
}

/** The cache key of some inputs: SHA-256 (hex) of a canonical JSON of what determines the decoded data. */
export function cacheKey(parts: Readonly<Record<string, unknown>>): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The SHA-256 (hex) of some bytes, e.g. an input archive. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
