import { join } from 'node:path';
import { InputError } from '@bilevel/io';
import { readDataFile } from '../loaders/read-data-file';
import type { FewShotDataset } from './few-shot-dataset';
import { cacheKey, defaultCacheDir, readFewShotCache, sha256Hex, writeFewShotCache } from './few-shot-cache';
import type { ParseOmniglotOptions } from './parse-omniglot';
import { parseOmniglot, parseOmniglotSettings } from './parse-omniglot';

/** Options of {@link loadOmniglot}. */
export interface LoadOmniglotOptions extends ParseOmniglotOptions {
  /**
   * Folder of the decoded-data cache, or `false` for none. Default {@link defaultCacheDir}: `$BILEVEL_CACHE_DIR`,
   * else `$XDG_CACHE_HOME/bilevel`, else `~/.cache/bilevel`.
   */
  readonly cacheDir?: string | false;
  /** The largest zip file read, in bytes. Default 256 MiB (Omniglot's background set is 9.5 MB). */
  readonly maxBytes?: number;
}

/** What the cache did during a {@link loadOmniglot}. */
export interface OmniglotCacheReport {
  /**
   * `hit`: read from the cache; `miss`: decoded, then written; `rebuilt`: the cache file was not valid (`corrupt`
   * says why), decoded and written again; `off`: no cache (`cacheDir: false`).
   */
  readonly status: 'hit' | 'miss' | 'rebuilt' | 'off';
  /** The cache file. */
  readonly path?: string;
  /** Why the cache file found was not used (status `rebuilt`). */
  readonly corrupt?: string;
  /** Why the cache could not be written, if it could not (the data set is fine; the next load decodes again). */
  readonly writeError?: string;
}

/** A data set loaded by {@link loadOmniglot}, with where it came from. */
export interface OmniglotDataset extends FewShotDataset {
  /** The archives read, as given (an archive whose bytes equal an earlier one's is read once). */
  readonly sources: readonly string[];
  readonly cache: OmniglotCacheReport;
}

/** Format of the decoded data in the cache: bump when decoding changes, so old cache files are not used. */
const CACHE_FORMAT = 1;
const DEFAULT_MAX_BYTES = 256 * 2 ** 20;

/**
 * Loads Omniglot from its zip archives as distributed (github.com/brendenlake/omniglot: `images_background.zip`,
 * `images_evaluation.zip`, or the "minimal" splits `images_background_small1.zip` and `…small2.zip`) into
 * `size × size` images in [0, 1], stroke = 1, grouped by character ({@link parseOmniglot}: decoding, inversion, area
 * averaging, and the merging of several archives, whose common drawings must be identical).
 *
 * Decoding the 4,840 drawings of the two minimal splits takes seconds, so the result is cached: the key is the
 * SHA-256 of each archive's bytes (sorted, so the order of `paths` does not matter), the image size and the cache
 * format; the file (`omniglot-<size>-<key>.bin` in `cacheDir`) is written atomically and validated when read (magic,
 * key, length, SHA-256 of the pixels, range): a corrupt file is rebuilt, never trusted. `cache` in the result says
 * what happened. The zips are read with the project's safe reader (regular files only, at most `maxBytes`).
 *
 * Every bad input is one {@link InputError}: an unreadable or oversized file, an archive that is not a zip or not
 * Omniglot-shaped, hostile entries (see `listOmniglotZip`), a drawing that does not decode, too much to inflate or
 * to hold in memory.
 *
 * @example loadOmniglot(['images_background_small1.zip', 'images_background_small2.zip']) // 242 characters × 20
 */
export function loadOmniglot(paths: string | readonly string[], options: LoadOmniglotOptions = {}): OmniglotDataset {
  const who = 'loadOmniglot';
  const settings = parseOmniglotSettings(options, who);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 1)) throw new InputError(`options.maxBytes must be a positive integer, received ${String(maxBytes)}`, who);
  const { cacheDir } = options;
  if (!(cacheDir === undefined || cacheDir === false || (typeof cacheDir === 'string' && cacheDir !== ''))) {
    throw new InputError(`options.cacheDir must be a folder path or false, received ${JSON.stringify(cacheDir)}`, who);
  }
  const list = typeof paths === 'string' ? [paths] : [...paths];
  if (list.length === 0 || !list.every((p) => typeof p === 'string' && p !== '')) {
    throw new InputError('expected one or more paths of Omniglot zip archives', who);
  }
  const zips: { bytes: Buffer; source: string; hash: string }[] = [];
  for (const source of list) {
    const bytes = readDataFile(source, maxBytes);
    const hash = sha256Hex(bytes);
    if (!zips.some((z) => z.hash === hash)) zips.push({ bytes, source, hash });
  }
  const sources = zips.map((z) => z.source);
  const decode = (): FewShotDataset => parseOmniglot(zips, options);
  if (cacheDir === false) return { ...decode(), sources, cache: { status: 'off' } };
  const key = cacheKey({ format: CACHE_FORMAT, loader: 'omniglot', size: settings.size, archives: zips.map((z) => z.hash).sort() });
  const path = join(cacheDir ?? defaultCacheDir(), `omniglot-${settings.size}-${key.slice(0, 40)}.bin`);
  const found = readFewShotCache(path, key, settings.memoryBudget);
  if (found.kind === 'hit') return { ...found.dataset, sources, cache: { status: 'hit', path } };
  const ds = decode();
  const writeError = writeFewShotCache(path, key, ds);
  const cache: OmniglotCacheReport =
    found.kind === 'corrupt' ? { status: 'rebuilt', path, corrupt: found.why, ...(writeError ? { writeError } : {}) } : { status: 'miss', path, ...(writeError ? { writeError } : {}) };
  return { ...ds, sources, cache };
}
