import type { Rng } from '@bilevel/linalg';
import { InputError } from '@bilevel/io';
import type { GrayImage } from '../loaders/png-jpeg';
import type { ForwardOperator } from './forward-operator';

/** Equally sized grayscale images stored back to back: image j is `clean[j·P … (j+1)·P)`, P = width·height. */
export interface PatchSet {
  readonly width: number;
  readonly height: number;
  readonly count: number;
  /** The ground truth, values in [0, 1]. */
  readonly clean: Float64Array;
  /** A label per image (source and position), for messages and grids. */
  readonly labels: readonly string[];
}

/** A {@link PatchSet} with its measurements y_j = A·clean_j + σ·noise_j. */
export interface ObservedPatchSet extends PatchSet {
  readonly observed: Float64Array;
  /** The noise level σ. */
  readonly sigma: number;
}

/**
 * Cuts every image into non-overlapping `size × size` tiles, row by row from the top-left corner (a remainder
 * narrower than `size` is dropped), keeping at most `perImage` tiles per image (default: all). `size` 0 keeps the
 * images whole (they must then all have the same size).
 *
 * @example cutPatches([camera96], 32).count // 9
 */
export function cutPatches(images: readonly GrayImage[], size: number, perImage = Infinity): PatchSet {
  const fn = 'cutPatches';
  if (images.length === 0) throw new InputError('no images given; expected at least one', fn);
  if (!(Number.isInteger(size) && size >= 0)) throw new InputError(`patch size must be a non-negative integer, received ${String(size)}`, fn);
  if (!(perImage >= 1)) throw new InputError(`patches per image must be at least 1, received ${String(perImage)}`, fn);
  if (size === 0) {
    const { width, height } = images[0];
    for (const im of images) {
      if (im.width !== width || im.height !== height) {
        throw new InputError(`image of ${im.width}×${im.height}; whole images must all have the size of the first, ${width}×${height} (or cut patches)`, im.source);
      }
    }
    const clean = new Float64Array(images.length * width * height);
    images.forEach((im, j) => clean.set(im.data, j * width * height));
    return { width, height, count: images.length, clean, labels: images.map((im) => im.source) };
  }
  const tiles: { image: GrayImage; r: number; c: number }[] = [];
  for (const image of images) {
    if (image.width < size || image.height < size) {
      throw new InputError(`image of ${image.width}×${image.height} is smaller than one ${size}×${size} patch`, image.source);
    }
    let taken = 0;
    for (let r = 0; r + size <= image.height && taken < perImage; r += size) {
      for (let c = 0; c + size <= image.width && taken < perImage; c += size) {
        tiles.push({ image, r, c });
        taken++;
      }
    }
  }
  const P = size * size;
  const clean = new Float64Array(tiles.length * P);
  tiles.forEach(({ image, r, c }, j) => {
    for (let a = 0; a < size; a++) clean.set(image.data.subarray((r + a) * image.width + c, (r + a) * image.width + c + size), j * P + a * size);
  });
  return { width: size, height: size, count: tiles.length, clean, labels: tiles.map(({ image, r, c }) => `${image.source}@(${c},${r})`) };
}

/**
 * Measurements y_j = A·clean_j + σ·ε_j with ε standard normal from `rng` (image after image, pixel after pixel),
 * so a seed fixes the noise.
 */
export function observe(set: PatchSet, operator: ForwardOperator, sigma: number, rng: Rng): ObservedPatchSet {
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw new InputError(`noise level must be a non-negative number, received ${String(sigma)}`, 'observe');
  if (operator.width !== set.width || operator.height !== set.height) {
    throw new InputError(`operator for ${operator.width}×${operator.height} images applied to ${set.width}×${set.height} images`, 'observe');
  }
  const P = set.width * set.height;
  const observed = new Float64Array(set.count * P);
  for (let j = 0; j < set.count; j++) {
    operator.apply(set.clean, j * P, observed, j * P);
    for (let p = 0; p < P; p++) observed[j * P + p] += sigma * rng.normal();
  }
  return { ...set, observed, sigma };
}
