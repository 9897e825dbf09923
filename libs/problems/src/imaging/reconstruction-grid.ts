import { writeFileSync } from 'node:fs';
import { InputError } from '@bilevel/io';
import { encodeGrayPng } from './encode-gray-png';
import type { ImagingProblem } from './imaging-problem';
import { psnr } from './psnr';

/** Options of {@link reconstructionGrid}. */
export interface ReconstructionGridOptions {
  /** Which images: `heldout` (default when the problem has held-out images) or `train`. */
  readonly set?: 'heldout' | 'train';
  /** At most this many images (rows), evenly spaced through the set. Default 6. */
  readonly maxImages?: number;
  /** Integer magnification (nearest neighbour). Default 2. */
  readonly scale?: number;
}

/** A {@link reconstructionGrid}: the picture and the PSNR of each row. */
export interface ReconstructionGrid {
  readonly width: number;
  readonly height: number;
  /** Values in [0, 1] (clipped), row-major. */
  readonly data: Float64Array;
  /** Per row: the image's label, PSNR of the measurement and of the reconstruction (dB). */
  readonly rows: readonly { readonly label: string; readonly psnrObserved: number; readonly psnrReconstructed: number }[];
}

const GAP = 4;

/**
 * A picture for a person to look at: one row per image, three columns (clean | measured, i.e. noisy or blurred
 * and noisy | reconstructed at θ = x), on a white background with 4-pixel gaps, magnified `scale` times. The
 * reconstructions are the exact lower-level solutions at x (held-out images: {@link ImagingProblem.reconstructHeldOut};
 * training images: {@link ImagingProblem.solveInner} to 1e-8).
 *
 * @example writeReconstructionGrid('runs/denoise/grid.png', problem, x)
 */
export function reconstructionGrid(problem: ImagingProblem, x: Float64Array, options: ReconstructionGridOptions = {}): ReconstructionGrid {
  const fn = 'reconstructionGrid';
  const which = options.set ?? (problem.heldOut ? 'heldout' : 'train');
  const maxImages = options.maxImages ?? 6;
  const scale = options.scale ?? 2;
  if (which !== 'heldout' && which !== 'train') throw new InputError(`set must be "heldout" or "train", received "${String(which)}"`, fn);
  if (!(Number.isInteger(maxImages) && maxImages >= 1)) throw new InputError(`maxImages must be a positive integer, received ${String(maxImages)}`, fn);
  if (!(Number.isInteger(scale) && scale >= 1 && scale <= 16)) throw new InputError(`scale must be an integer in 1…16, received ${String(scale)}`, fn);
  if (x.length !== problem.dimX) throw new InputError(`x has ${x.length} entries; the problem has ${problem.dimX} parameters`, fn);
  const set = which === 'heldout' ? problem.heldOut : problem.train;
  if (!set) throw new InputError('the problem has no held-out images; use set "train"', fn);
  const recon = which === 'heldout' ? problem.reconstructHeldOut(x) : problem.solveInner(x, { tol: 1e-8 }).z;
  const count = Math.min(maxImages, set.count);
  const picks = Array.from({ length: count }, (_, i) => Math.floor((i * set.count) / count));
  const P = set.width * set.height;
  const tileW = set.width * scale;
  const tileH = set.height * scale;
  const width = 3 * tileW + 4 * GAP;
  const height = count * tileH + (count + 1) * GAP;
  const data = new Float64Array(width * height).fill(1);
  const sources = [set.clean, set.observed, recon];
  const rows = picks.map((j, row) => {
    sources.forEach((src, col) => {
      const x0 = GAP + col * (tileW + GAP);
      const y0 = GAP + row * (tileH + GAP);
      for (let r = 0; r < tileH; r++) {
        for (let c = 0; c < tileW; c++) {
          const v = src[j * P + Math.floor(r / scale) * set.width + Math.floor(c / scale)];
          data[(y0 + r) * width + x0 + c] = Math.min(1, Math.max(0, v));
        }
      }
    });
    return {
      label: set.labels[j],
      psnrObserved: psnr(set.observed, j * P, set.clean, j * P, P),
      psnrReconstructed: psnr(recon, j * P, set.clean, j * P, P),
    };
  });
  return { width, height, data, rows };
}

/** Writes {@link reconstructionGrid} as an 8-bit grayscale PNG at `path` and returns the grid's rows (PSNRs). */
export function writeReconstructionGrid(path: string, problem: ImagingProblem, x: Float64Array, options: ReconstructionGridOptions = {}): ReconstructionGrid['rows'] {
  const grid = reconstructionGrid(problem, x, options);
  writeFileSync(path, encodeGrayPng(grid.width, grid.height, grid.data));
  return grid.rows;
}
