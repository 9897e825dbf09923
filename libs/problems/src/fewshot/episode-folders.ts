import type { Stats } from 'node:fs';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@bilevel/io';
import { checkMemoryBudget, memoryBudgetOf } from '../memory-budget';
import { loadImage } from '../loaders/png-jpeg';
import { areaResize } from './area-resize';
import type { Episode } from './episode';
import { OMNIGLOT_DEFAULT_SIZE, OMNIGLOT_MAX_SIZE } from './parse-omniglot';

/** Options of {@link loadEpisodeFolders}. */
export interface EpisodeFoldersOptions {
  /** Side of the square images produced, by area averaging. Default 28. */
  readonly size?: number;
  /**
   * The images are dark strokes on a light background, like Omniglot's: store `1 − gray` so that the stroke is 1
   * (default true). False keeps gray values as they are (light strokes on a dark background, like MNIST).
   */
  readonly invert?: boolean;
  /** The most episodes read. Default 10,000. */
  readonly maxEpisodes?: number;
  /** The most images read, all episodes together. Default 1,000,000. */
  readonly maxImages?: number;
  /** Refuse an image with more pixels than this, before decoding it. Default 1,048,576. */
  readonly maxPixels?: number;
  /** Refuse an image file larger than this many bytes. Default 16 MiB. */
  readonly maxBytes?: number;
  /** Memory budget of the episodes' arrays (checked before any image is decoded) and of each decode. Default 2 GiB. */
  readonly memoryBudget?: number;
}

const IMAGE = /\.(png|jpe?g)$/i;
const LAYOUT = 'expected <episode>/support/<class>/<image>.png and <episode>/query/<class>/<image>.png, with the same class folders in both';

function positiveInteger(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value >= 1)) throw new InputError(`options.${field} must be a positive integer, received ${String(value)}`, 'loadEpisodeFolders');
  return value;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The entries of a folder (hidden ones skipped), sorted, with what each is (links followed). */
function list(dir: string): { name: string; path: string; isDir: boolean; isFile: boolean }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new InputError(`cannot read the folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, dir);
  }
  return names
    .filter((n) => !n.startsWith('.'))
    .sort(byName)
    .map((name) => {
      const path = join(dir, name);
      const st = statOf(path);
      return { name, path, isDir: st?.isDirectory() ?? false, isFile: st?.isFile() ?? false };
    });
}

/** The class folders of a support/ or query/ folder and their image files. */
function readSide(dir: string): Map<string, string[]> {
  const classes = new Map<string, string[]>();
  for (const entry of list(dir)) {
    if (!entry.isDir) throw new InputError(`"${entry.name}" is not a class folder; ${LAYOUT}`, dir);
    const images: string[] = [];
    for (const file of list(entry.path)) {
      if (!file.isFile || !IMAGE.test(file.name)) {
        throw new InputError(`"${file.name}" is not an image file (.png, .jpg or .jpeg); a class folder holds only its images`, entry.path);
      }
      images.push(file.path);
    }
    if (images.length === 0) throw new InputError(`the class folder holds no images; ${LAYOUT}`, entry.path);
    classes.set(entry.name, images);
  }
  if (classes.size === 0) throw new InputError(`no class folders; ${LAYOUT}`, dir);
  return classes;
}

/** The number of images of every class of one side, which must be the same for all. */
function perClass(side: Map<string, string[]>, dir: string, what: string): number {
  const counts = [...side].map(([name, files]) => [name, files.length] as const);
  const [firstName, first] = counts[0];
  const other = counts.find(([, n]) => n !== first);
  if (other) throw new InputError(`class "${firstName}" has ${first} ${what} image(s) but class "${other[0]}" has ${other[1]}; every class needs the same number`, dir);
  return first;
}

interface EpisodePlan {
  readonly dir: string;
  readonly classes: readonly string[];
  readonly support: Map<string, string[]>;
  readonly query: Map<string, string[]>;
  readonly shots: number;
  readonly queries: number;
}

function planEpisode(dir: string): EpisodePlan {
  const support = join(dir, 'support');
  const query = join(dir, 'query');
  for (const side of [support, query]) {
    const st = statOf(side);
    if (!st?.isDirectory()) throw new InputError(`no ${side === support ? 'support' : 'query'}/ folder; ${LAYOUT}`, dir);
  }
  const s = readSide(support);
  const q = readSide(query);
  const onlyS = [...s.keys()].filter((c) => !q.has(c));
  const onlyQ = [...q.keys()].filter((c) => !s.has(c));
  if (onlyS.length > 0 || onlyQ.length > 0) {
    const parts = [onlyS.length ? `only in support/: ${onlyS.join(', ')}` : '', onlyQ.length ? `only in query/: ${onlyQ.join(', ')}` : ''].filter(Boolean);
    throw new InputError(`the class folders of support/ and query/ differ (${parts.join('; ')}); they must name the same classes`, dir);
  }
  return { dir, classes: [...s.keys()], support: s, query: q, shots: perClass(s, support, 'support'), queries: perClass(q, query, 'query') };
}

/**
 * Reads fixed episodes from folders, so a trained learner can be scored on episodes someone else drew: `dir` holds
 * one folder per episode (read in name order; files beside them are ignored), each holding `support/` and `query/`,
 * each with one folder per class of images (PNG or JPEG; the class folder names match between the two). `dir` may
 * also be a single episode folder (holding `support/` and `query/` itself). Labels are the class folders in name
 * order (0..ways−1), `classNames` their names; images are read in file-name order, converted to gray (BT.601 luma),
 * inverted so the stroke is 1 (option `invert`), and resized to `size × size` by area averaging. Hidden files
 * (names starting with ".") are skipped.
 *
 * The whole tree is checked before any image is decoded; each problem is one {@link InputError} at the offending
 * path: a missing `support/` or `query/`, class folders that differ between them, a file where a class folder is
 * expected, a class folder with no images or with something else than images, classes with different numbers of
 * images in one episode, an image that does not decode, too many episodes or images, or arrays over the memory budget.
 *
 * @example loadEpisodeFolders('episodes/5way1shot', { size: 28 })[0].ways // 5
 */
export function loadEpisodeFolders(dir: string, options: EpisodeFoldersOptions = {}): Episode[] {
  const who = 'loadEpisodeFolders';
  const size = options.size ?? OMNIGLOT_DEFAULT_SIZE;
  if (!(Number.isInteger(size) && size >= 1 && size <= OMNIGLOT_MAX_SIZE)) {
    throw new InputError(`options.size must be an integer from 1 to ${OMNIGLOT_MAX_SIZE} (pixels), received ${String(size)}`, who);
  }
  const invert = options.invert ?? true;
  const maxEpisodes = positiveInteger(options.maxEpisodes, 10_000, 'maxEpisodes');
  const maxImages = positiveInteger(options.maxImages, 1_000_000, 'maxImages');
  const maxPixels = positiveInteger(options.maxPixels, 1 << 20, 'maxPixels');
  const maxBytes = positiveInteger(options.maxBytes, 16 * 2 ** 20, 'maxBytes');
  const memoryBudget = memoryBudgetOf(options.memoryBudget, who);
  if (typeof dir !== 'string' || dir === '') throw new InputError('expected the path of a folder of episodes', who);
  const st = statOf(dir);
  if (!st) throw new InputError('no such folder', dir);
  if (!st.isDirectory()) throw new InputError(`not a folder; ${LAYOUT}`, dir);
  const single = statOf(join(dir, 'support'))?.isDirectory() || statOf(join(dir, 'query'))?.isDirectory();
  const episodeDirs = single ? [dir] : list(dir).filter((e) => e.isDir).map((e) => e.path);
  if (episodeDirs.length === 0) throw new InputError(`no episode folders; ${LAYOUT}`, dir);
  if (episodeDirs.length > maxEpisodes) throw new InputError(`${episodeDirs.length} episode folders, more than the limit of ${maxEpisodes} (option maxEpisodes)`, dir);
  const plans: EpisodePlan[] = [];
  let images = 0;
  for (const d of episodeDirs) {
    const plan = planEpisode(d);
    plans.push(plan);
    images += plan.classes.length * (plan.shots + plan.queries);
    if (images > maxImages) throw new InputError(`the episodes hold more than ${maxImages} images (option maxImages)`, d);
  }
  const px = size * size;
  checkMemoryBudget([{ what: `episode images ${images} × ${size}×${size} × 8 bytes`, bytes: images * px * 8, elements: images * px }], memoryBudget, dir);
  let scratch = new Float64Array(0);
  const decode = (path: string, out: Float64Array, row: number): void => {
    const img = loadImage(path, { maxPixels, maxBytes, memoryBudget });
    const data = img.data;
    if (invert) for (let p = 0; p < data.length; p++) data[p] = 1 - data[p];
    if (scratch.length < img.height * size) scratch = new Float64Array(img.height * size);
    areaResize(data, img.width, img.height, size, size, out, row * px, scratch);
  };
  return plans.map((plan) => {
    const ways = plan.classes.length;
    const side = (files: Map<string, string[]>, perClass: number) => {
      const x = new Float64Array(ways * perClass * px);
      const y = new Int32Array(ways * perClass);
      plan.classes.forEach((name, label) => {
        (files.get(name) as string[]).forEach((path, k) => {
          decode(path, x, label * perClass + k);
          y[label * perClass + k] = label;
        });
      });
      return { x, y };
    };
    return { ways, shots: plan.shots, queries: plan.queries, size, support: side(plan.support, plan.shots), query: side(plan.query, plan.queries), classNames: plan.classes };
  });
}
