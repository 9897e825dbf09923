import { InputError } from '@bilevel/io';
import { checkMemoryBudget, formatBytes, memoryBudgetOf } from '../memory-budget';
import { decodeImage } from '../loaders/png-jpeg';
import { areaResize } from './area-resize';
import type { FewShotClass, FewShotDataset } from './few-shot-dataset';
import type { OmniglotDrawing, OmniglotZipLimits } from './omniglot-zip';
import { listOmniglotZip, omniglotZipLimits } from './omniglot-zip';

/** Options of {@link parseOmniglot}. */
export interface ParseOmniglotOptions extends OmniglotZipLimits {
  /** Side of the square images produced, in pixels (area averaging). Default 28, as in the MAML and iMAML papers. */
  readonly size?: number;
  /** Refuse a drawing with more pixels than this, before decoding it. Default 1,048,576 (Omniglot's are 105 × 105). */
  readonly maxPixels?: number;
  /**
   * The most bytes inflated from all archives together (their declared sizes, checked before anything is
   * inflated): bounds the work a zip bomb can cause. Default 256 MiB (the eight alphabets hold 1.7 MB of PNG).
   */
  readonly maxTotalBytes?: number;
  /** Memory budget of the images (`count × size² × 8` bytes) and of each decode. Default 2 GiB. */
  readonly memoryBudget?: number;
}

/** The default image side of {@link parseOmniglot} and `loadOmniglot`. */
export const OMNIGLOT_DEFAULT_SIZE = 28;
/** The largest image side accepted (Omniglot's drawings are 105 pixels). */
export const OMNIGLOT_MAX_SIZE = 512;
const DEFAULT_MAX_PIXELS = 1 << 20;
const DEFAULT_MAX_TOTAL_BYTES = 256 * 2 ** 20;

/** Validated options of {@link parseOmniglot}. */
export interface ParseOmniglotSettings {
  readonly size: number;
  readonly maxPixels: number;
  readonly maxTotalBytes: number;
  readonly memoryBudget: number;
  readonly limits: Required<OmniglotZipLimits>;
}

/** Validates the options of {@link parseOmniglot}; `who` names the function for messages. */
export function parseOmniglotSettings(options: ParseOmniglotOptions, who: string): ParseOmniglotSettings {
  const size = options.size ?? OMNIGLOT_DEFAULT_SIZE;
  if (!(Number.isInteger(size) && size >= 1 && size <= OMNIGLOT_MAX_SIZE)) {
    throw new InputError(`options.size must be an integer from 1 to ${OMNIGLOT_MAX_SIZE} (pixels), received ${String(size)}`, who);
  }
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(Number.isSafeInteger(maxPixels) && maxPixels >= 1)) throw new InputError(`options.maxPixels must be a positive integer, received ${String(maxPixels)}`, who);
  const maxTotalBytes = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  if (!(Number.isSafeInteger(maxTotalBytes) && maxTotalBytes >= 1)) {
    throw new InputError(`options.maxTotalBytes must be a positive integer, received ${String(maxTotalBytes)}`, who);
  }
  return { size, maxPixels, maxTotalBytes, memoryBudget: memoryBudgetOf(options.memoryBudget, who), limits: omniglotZipLimits(options, who) };
}

/** An InputError of `decodeImage` (located at the entry name) re-located at the archive, naming the entry. */
function atEntry(err: unknown, drawing: OmniglotDrawing): unknown {
  if (!(err instanceof InputError)) return err;
  const inner = err.where !== undefined && err.message.startsWith(`${err.where}: `) ? err.message.slice(err.where.length + 2) : err.message;
  return new InputError(`entry "${drawing.entryName}": ${inner}`, drawing.source);
}

/**
 * Decodes Omniglot zip archives held in memory into a {@link FewShotDataset}: every drawing is decoded
 * (`decodeImage`, pngjs), inverted so that the stroke is 1 and the paper 0 (Omniglot's PNGs are black strokes on
 * white; the MAML code does the same, `1 − image`), and shrunk to `size × size` by area averaging
 * ({@link areaResize}; 105 → 28 averages 3.75 × 3.75 pixels, so values are exact multiples of 1/225).
 *
 * Several archives are merged: a character is `alphabet/character`, its drawings are the union over the archives,
 * and a drawing found in two archives (Greek and Latin are in both "minimal" background splits) is kept once after
 * checking that both copies are the same bytes — different contents under one name are an {@link InputError}.
 * Classes are sorted by alphabet then character, drawings by file name, so the result does not depend on the order
 * of the archives.
 *
 * Every bad input is one {@link InputError}: see `listOmniglotZip` for the archive checks; then the sum of the sizes
 * to inflate (`maxTotalBytes`) and the images' memory (`memoryBudget`) are checked before anything is inflated, and
 * each drawing must decode (`maxPixels`).
 */
export function parseOmniglot(zips: readonly { readonly bytes: Uint8Array; readonly source: string }[], options: ParseOmniglotOptions = {}): FewShotDataset {
  const settings = parseOmniglotSettings(options, 'parseOmniglot');
  if (zips.length === 0) throw new InputError('no archives given; expected one or more Omniglot zip files', 'parseOmniglot');
  const { size, maxPixels, maxTotalBytes, memoryBudget, limits } = settings;
  // list everything and plan the merge before inflating anything
  const byKey = new Map<string, OmniglotDrawing>();
  const duplicates: [OmniglotDrawing, OmniglotDrawing][] = [];
  let toInflate = 0;
  for (const { bytes, source } of zips) {
    for (const d of listOmniglotZip(bytes, source, limits)) {
      const key = `${d.alphabet}/${d.character}/${d.file}`;
      const first = byKey.get(key);
      toInflate += d.size;
      if (first === undefined) {
        byKey.set(key, d);
        continue;
      }
      if (first.source === d.source) throw new InputError(`entry "${d.entryName}": the drawing ${key} appears twice in the archive`, source);
      if (first.size !== d.size || first.crc !== d.crc) {
        throw new InputError(`entry "${d.entryName}": the drawing ${key} is also in ${first.source} with different content (size or CRC-32); the same drawing must be identical in both archives`, source);
      }
      duplicates.push([first, d]);
      toInflate += first.size;
    }
    if (toInflate > maxTotalBytes) {
      throw new InputError(`the archives declare ${toInflate} bytes of drawings to inflate, more than the limit of ${maxTotalBytes} (option maxTotalBytes)`, source);
    }
  }
  // classes sorted by alphabet then character, drawings by file name
  const groups = new Map<string, OmniglotDrawing[]>();
  for (const d of byKey.values()) {
    const key = `${d.alphabet}\0${d.character}`;
    const list = groups.get(key);
    if (list) list.push(d);
    else groups.set(key, [d]);
  }
  const sortedKeys = [...groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const count = byKey.size;
  const px = size * size;
  checkMemoryBudget(
    [{ what: `Omniglot images ${count} × ${size}×${size} × 8 bytes`, bytes: count * px * 8, elements: count * px }],
    memoryBudget,
    zips[zips.length - 1].source,
  );
  for (const [first, second] of duplicates) {
    if (!first.read().equals(second.read())) {
      throw new InputError(`entry "${second.entryName}": the drawing is also in ${first.source} with different bytes; the same drawing must be identical in both archives`, second.source);
    }
  }
  const images = new Float64Array(count * px);
  const classes: FewShotClass[] = [];
  let row = 0;
  let ink = new Float64Array(0);
  let scratch = new Float64Array(0);
  for (const key of sortedKeys) {
    const drawings = groups.get(key) as OmniglotDrawing[];
    drawings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    const indices = new Int32Array(drawings.length);
    for (let k = 0; k < drawings.length; k++, row++) {
      const d = drawings[k];
      let width: number;
      let height: number;
      try {
        const img = decodeImage(d.read(), d.entryName, { maxPixels, memoryBudget });
        ({ width, height } = img);
        if (ink.length < img.data.length) ink = new Float64Array(img.data.length);
        for (let p = 0; p < img.data.length; p++) ink[p] = 1 - img.data[p];
      } catch (err) {
        throw atEntry(err, d);
      }
      if (scratch.length < height * size) scratch = new Float64Array(height * size);
      areaResize(ink.subarray(0, width * height), width, height, size, size, images, row * px, scratch);
      indices[k] = row;
    }
    classes.push({ alphabet: drawings[0].alphabet, name: drawings[0].character, indices });
  }
  return { size, images, classes };
}

/** A one-line summary: `8 alphabets, 242 characters, 4840 drawings of 28×28 (29.6 MiB)`. */
export function describeFewShot(ds: FewShotDataset): string {
  const alphabets = new Set(ds.classes.map((c) => c.alphabet)).size;
  const count = ds.images.length / (ds.size * ds.size);
  return `${alphabets} alphabets, ${ds.classes.length} characters, ${count} drawings of ${ds.size}×${ds.size} (${formatBytes(ds.images.byteLength)})`;
}
