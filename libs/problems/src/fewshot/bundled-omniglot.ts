import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, readRegularFile } from '@bilevel/io';
import { gunzipBounded } from '../loaders/gunzip-bounded';
import type { FewShotClass, FewShotDataset } from './few-shot-dataset';

/** The metadata file of a bundled few-shot data set (`<name>.json`, beside its pixels `<name>.u8.gz`). */
export interface FewShotBundleMeta {
  readonly format: 'bilevel-fewshot-u8';
  readonly version: 1;
  /** Where the images come from and how the bundle was made, for people. */
  readonly description: string;
  readonly size: number;
  /** Pixel value = stored byte / denominator (225 for Omniglot at 28 × 28: area averages of 1-bit drawings are k/225). */
  readonly denominator: number;
  readonly count: number;
  /** The pixel file, in this folder. */
  readonly pixels: string;
  /** SHA-256 (hex) of the uncompressed pixel bytes. */
  readonly sha256: string;
  /** [alphabet, name, images] of each class: its images are consecutive, classes in order. */
  readonly classes: readonly (readonly [string, string, number])[];
}

const DIR = new URL('../../data/omniglot/', import.meta.url);
/** The bundle's files (libs/problems/data/omniglot). */
export const BUNDLED_OMNIGLOT_FILES = { meta: 'omniglot-28x28.json', pixels: 'omniglot-28x28.u8.gz' } as const;

function bad(what: string, where: string): never {
  throw new InputError(`the bundled Omniglot data is damaged: ${what}; restore it from the repository (or regenerate it: tools/data/make-omniglot-bundle.ts)`, where);
}

/**
 * Reads a few-shot data set stored as a metadata JSON file and gzipped bytes `q` with pixel = `q / denominator`
 * ({@link FewShotBundleMeta}), checking the format, the sizes, the SHA-256 of the pixels and their range.
 */
export function readFewShotBundle(metaPath: string): FewShotDataset {
  let meta: FewShotBundleMeta;
  try {
    meta = JSON.parse(readRegularFile(metaPath, { maxBytes: 1 << 22, what: 'bundle metadata' }).toString('utf8')) as FewShotBundleMeta;
  } catch (err) {
    if (err instanceof InputError) throw err;
    return bad(`not JSON (${(err as Error).message})`, metaPath);
  }
  const { size, denominator, count, classes } = meta;
  if (meta.format !== 'bilevel-fewshot-u8' || meta.version !== 1) bad(`format ${String(meta.format)} version ${String(meta.version)}`, metaPath);
  if (!(Number.isInteger(size) && size >= 1 && Number.isInteger(denominator) && denominator >= 1 && denominator <= 255 && Number.isInteger(count) && count >= 1)) {
    bad('size, denominator or count is not a positive integer', metaPath);
  }
  if (!(Array.isArray(classes) && classes.every((c) => Array.isArray(c) && typeof c[0] === 'string' && typeof c[1] === 'string' && Number.isInteger(c[2]) && c[2] >= 1))) {
    bad('classes are not [alphabet, name, images] triples', metaPath);
  }
  if (classes.reduce((s, c) => s + c[2], 0) !== count) bad('the classes do not add up to the image count', metaPath);
  const px = size * size;
  if (!(typeof meta.pixels === 'string' && /^[\w.-]+$/.test(meta.pixels) && !meta.pixels.startsWith('.'))) bad('pixels is not a file name', metaPath);
  const pixelPath = join(dirname(metaPath), meta.pixels);
  const gz = readRegularFile(pixelPath, { maxBytes: count * px + (1 << 20), what: 'bundle pixels' });
  const bytes = gunzipBounded(gz, { maxBytes: count * px, source: pixelPath });
  if (bytes.length !== count * px) bad(`${bytes.length} pixel bytes, expected ${count} × ${px}`, pixelPath);
  if (createHash('sha256').update(bytes).digest('hex') !== meta.sha256) bad('the pixels do not match their SHA-256', pixelPath);
  const images = new Float64Array(count * px);
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] > denominator) bad(`pixel byte ${i} is ${bytes[i]}, more than the denominator ${denominator}`, pixelPath);
    images[i] = bytes[i] / denominator;
  }
  const out: FewShotClass[] = [];
  let row = 0;
  for (const [alphabet, name, n] of classes) {
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) indices[i] = row++;
    out.push({ alphabet, name, indices });
  }
  return { size, images, classes: out };
}

/**
 * The Omniglot data bundled with the toolkit, so a default run needs no other file: the 8 alphabets of the two
 * "minimal" background splits (Balinese, Early_Aramaic, Greek, Japanese_(katakana), Korean, Latin, Sanskrit, Tagalog),
 * 242 characters × 20 drawings, at 28 × 28 — exactly what `loadOmniglot` gives on `images_background_small1.zip`
 * and `images_background_small2.zip` (inverted, area-averaged; every value is a multiple of 1/225 and is stored as
 * that multiple, one byte per pixel, gzipped: 600 kB). Omniglot: Lake, Salakhutdinov and Tenenbaum, Science 2015,
 * MIT license (libs/problems/data/LICENSE.md). Made by tools/data/make-omniglot-bundle.ts.
 *
 * @example splitByAlphabet(bundledOmniglot()) // meta-train on 6 alphabets, meta-test on 2
 */
export function bundledOmniglot(): FewShotDataset {
  return readFewShotBundle(fileURLToPath(new URL(BUNDLED_OMNIGLOT_FILES.meta, DIR)));
}

/** The folder of the bundled Omniglot files. */
export function bundledOmniglotDir(): string {
  return fileURLToPath(DIR);
}
