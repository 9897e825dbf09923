import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { nrm2, Rng } from '@bilevel/linalg';
import type { BilevelProblem, Hypergradient, InnerSolution, InnerSolveOptions } from '../bilevel-problem';
import { fullBatch } from '../bilevel-problem';
import { InputError } from '@bilevel/io';
import { checkMemoryBudget, memoryBudgetOf } from '../memory-budget';
import type { ImageLoadOptions } from '../loaders/png-jpeg';
import { loadImage } from '../loaders/png-jpeg';
import { bundledImagePaths } from './bundled-images';
import { fieldOfExperts } from './field-of-experts';
import type { ForwardOperator } from './forward-operator';
import { gaussianBlur, identityOperator } from './forward-operator';
import { ImageKernels } from './image-kernels';
import type { ObservedPatchSet } from './patch-set';
import { cutPatches, observe } from './patch-set';
import { meanPsnr } from './psnr';
import type { Regularizer } from './regularizer';
import { smoothedTv } from './smoothed-tv';

/** The parts of an {@link ImagingProblem}, already built ({@link imagingProblem} builds them from files). */
export interface ImagingParts {
  /** `denoise` (A = I) or `deblur` (A a blur): the problem's name. */
  readonly task: 'denoise' | 'deblur';
  readonly regularizer: Regularizer;
  /** The training images (patches) and their measurements. */
  readonly train: ObservedPatchSet;
  /** The forward operator on the training geometry. */
  readonly operator: ForwardOperator;
  /** Held-out images and their operator, for the held-out PSNR metric. */
  readonly heldOut?: { readonly set: ObservedPatchSet; readonly operator: ForwardOperator };
  /** Fixed ridge γ ≥ 0 of the lower level (strong convexity when A is not injective). */
  readonly ridge: number;
  /** Facts for logs and summaries (sources, seed…). */
  readonly info?: Readonly<Record<string, string | number | boolean>>;
}

/** Per-image tolerance of the held-out solves made by {@link ImagingProblem.metrics} (PSNR is exact to ≪ 1e-6 dB). */
const HELD_OUT_TOL = 1e-8;

/**
 * Bilevel learning of a regularizer for imaging (Salehi, Mukherjee, Roberts, Ehrhardt: MAID, SIMODS 2025, and
 * "Bilevel learning with inexact stochastic gradients", SSVM 2025). With n training images (patches) c_j and
 * measurements y_j = A c_j + σε_j, z = (z_1 … z_n) all reconstructions back to back (dimZ = n·P), x = θ:
 *
 *   inner  G(z, θ) = (1/n) Σ_j g_j,   g_j = ½‖A z_j − y_j‖² + ½γ‖z_j‖² + R_θ(z_j)     (one sample = one image)
 *   outer  F(z, θ) = (1/n) Σ_j ‖z_j − c_j‖²                                             (paired with inner sample j)
 *
 * so z*(θ) = (x̂_1(θ) … x̂_n(θ)) and h(θ) = (1/n) Σ_j ‖x̂_j(θ) − c_j‖². The lower level separates over images: a
 * batch B touches only the blocks of its images, and with m = n, v*_j = −[∇²g_j]⁻¹ 2(z_j − c_j) and
 * ∇h = (1/n) Σ_j ∇²_θz g_j·v*_j. Oracles are the batch means of the analytic per-image kernels of the
 * regularizer ({@link Regularizer}); ∇_x F = 0.
 *
 * Evaluation: `solveInner` runs warm-started strongly convex FISTA image by image (default start: the
 * measurements) until ‖∇g_j‖ ≤ tol·√n for every j, which gives ‖∇G‖ ≤ tol; `hypergradient` solves each image's
 * linear system by CG to relative residual 1e-12. Metrics: `psnrTrain` (mean PSNR of z over the training images)
 * and `psnrHeldOut` (mean PSNR of the held-out reconstructions at θ, solved here to ‖∇g_j‖ ≤ 1e-8, warm-started
 * from the previous call).
 */
export class ImagingProblem implements BilevelProblem {
  readonly name: 'denoise' | 'deblur';
  readonly precision = 'float64' as const;
  readonly dimZ: number;
  readonly dimX: number;
  readonly nInner: number;
  readonly nOuter: number;
  readonly fullInner: Int32Array;
  readonly fullOuter: Int32Array;
  readonly info: Readonly<Record<string, string | number | boolean>>;
  readonly regularizer: Regularizer;
  readonly train: ObservedPatchSet;
  readonly heldOut?: ObservedPatchSet;
  /** Pixels per training image. */
  readonly P: number;
  private readonly kernels: ImageKernels;
  private readonly heldOutKernels?: ImageKernels;
  private heldOutWarm?: Float64Array;

  constructor(parts: ImagingParts) {
    const { train, regularizer } = parts;
    if (!(parts.ridge >= 0 && Number.isFinite(parts.ridge))) throw new InputError(`ridge must be a non-negative number, received ${String(parts.ridge)}`, 'imagingProblem');
    if (parts.ridge === 0 && parts.operator.minEigenvalueBound === 0) {
      throw new InputError(`the ${parts.operator.name} operator is not injective: the lower level needs a positive ridge for strong convexity`, 'imagingProblem');
    }
    this.name = parts.task;
    this.regularizer = regularizer;
    this.train = train;
    this.P = train.width * train.height;
    this.dimZ = train.count * this.P;
    this.dimX = regularizer.dimTheta;
    this.nInner = train.count;
    this.nOuter = train.count;
    this.fullInner = fullBatch(this.nInner);
    this.fullOuter = fullBatch(this.nOuter);
    this.kernels = new ImageKernels(parts.operator, regularizer, parts.ridge, train);
    if (parts.heldOut && parts.heldOut.set.count > 0) {
      this.heldOut = parts.heldOut.set;
      this.heldOutKernels = new ImageKernels(parts.heldOut.operator, regularizer, parts.ridge, parts.heldOut.set);
    }
    this.info = {
      task: parts.task,
      operator: parts.operator.name,
      ...regularizer.info,
      trainImages: train.count,
      trainSize: `${train.width}x${train.height}`,
      heldOutImages: this.heldOut?.count ?? 0,
      ...(this.heldOut ? { heldOutSize: `${this.heldOut.width}x${this.heldOut.height}` } : {}),
      sigma: train.sigma,
      ridge: parts.ridge,
      psnrTrainObserved: +meanPsnr(train.observed, train.clean, this.P, train.count).toFixed(4),
      ...(this.heldOut ? { psnrHeldOutObserved: +meanPsnr(this.heldOut.observed, this.heldOut.clean, this.heldOut.width * this.heldOut.height, this.heldOut.count).toFixed(4) } : {}),
      ...parts.info,
    };
  }

  /** The starting θ of training: the regularizer's (TV: (−5, −5)). */
  startingPoint(): Float64Array {
    return this.regularizer.initialTheta();
  }

  innerValue(z: Float64Array, x: Float64Array, batch: Int32Array): number {
    let s = 0;
    for (let k = 0; k < batch.length; k++) s += this.kernels.value(x, z, batch[k] * this.P, batch[k]);
    return s / batch.length;
  }

  outerValue(z: Float64Array, _x: Float64Array, batch: Int32Array): number {
    const { P } = this;
    const c = this.train.clean;
    let s = 0;
    for (let k = 0; k < batch.length; k++) {
      const o = batch[k] * P;
      for (let p = 0; p < P; p++) s += (z[o + p] - c[o + p]) ** 2;
    }
    return s / batch.length;
  }

  innerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    out.fill(0);
    const scale = 1 / batch.length;
    for (let k = 0; k < batch.length; k++) {
      const o = batch[k] * this.P;
      this.kernels.grad(x, z, o, batch[k], out, o, scale);
    }
  }

  innerHvp(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    out.fill(0);
    const scale = 1 / batch.length;
    for (let k = 0; k < batch.length; k++) {
      const o = batch[k] * this.P;
      this.kernels.hvp(x, z, o, v, o, out, o, scale);
    }
  }

  innerCross(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    out.fill(0, 0, this.dimX);
    const scale = 1 / batch.length;
    for (let k = 0; k < batch.length; k++) {
      const o = batch[k] * this.P;
      this.kernels.reg.cross(x, z, o, v, o, out, scale);
    }
  }

  /** ∇_x g_B = mean over the batch of ∇_θ R_θ(z_j) (the data term does not depend on θ). */
  innerGradX(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    out.fill(0, 0, this.dimX);
    const scale = 1 / batch.length;
    for (let k = 0; k < batch.length; k++) this.kernels.reg.gradTheta(x, z, batch[k] * this.P, out, scale);
  }

  outerGradZ(z: Float64Array, _x: Float64Array, batch: Int32Array, out: Float64Array): void {
    out.fill(0);
    const { P } = this;
    const c = this.train.clean;
    const scale = 2 / batch.length;
    for (let k = 0; k < batch.length; k++) {
      const o = batch[k] * P;
      for (let p = 0; p < P; p++) out[o + p] += scale * (z[o + p] - c[o + p]);
    }
  }

  outerGradX(_z: Float64Array, _x: Float64Array, _batch: Int32Array, out: Float64Array): void {
    out.fill(0, 0, this.dimX);
  }

  /** ∇²_zz f_B·v = (2/|B|) v on the batch's blocks. */
  outerHvp(_z: Float64Array, _x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    out.fill(0);
    const { P } = this;
    const scale = 2 / batch.length;
    for (let k = 0; k < batch.length; k++) {
      const o = batch[k] * P;
      for (let p = 0; p < P; p++) out[o + p] += scale * v[o + p];
    }
  }

  outerCross(_z: Float64Array, _x: Float64Array, _v: Float64Array, _batch: Int32Array, out: Float64Array): void {
    out.fill(0, 0, this.dimX);
  }

  /**
   * μ and L of G = (1/n) Σ g_j: the per-image bounds divided by n (the Hessian of G is block diagonal with blocks
   * ∇²g_j / n); LMaxSample is the per-image L.
   */
  innerConstants(x: Float64Array): { L: number; mu: number; LMaxSample: number } {
    const L = this.kernels.lipschitz(x);
    return { L: L / this.nInner, mu: this.kernels.strongConvexity / this.nInner, LMaxSample: L };
  }

  solveInner(x: Float64Array, options: InnerSolveOptions = {}): InnerSolution {
    const tol = options.tol ?? 1e-10;
    const z = options.z0 ? Float64Array.from(options.z0) : Float64Array.from(this.train.observed);
    const res = this.kernels.solve(x, z, tol * Math.sqrt(this.nInner), options.maxIter ?? 20_000);
    const g = new Float64Array(this.dimZ);
    this.innerGradZ(z, x, this.fullInner, g);
    const gradNorm = nrm2(g);
    return { z, gradNorm, iterations: res.iterations, converged: gradNorm <= tol, tol };
  }

  hypergradient(x: Float64Array, options: InnerSolveOptions = {}): Hypergradient {
    const inner = this.solveInner(x, options);
    const { z } = inner;
    const c = this.train.clean;
    // v_j solves ∇²g_j v_j = −2(z_j − c_j) (m = n: the 1/n of G and of F cancel)
    const b = new Float64Array(this.dimZ);
    for (let i = 0; i < this.dimZ; i++) b[i] = -2 * (z[i] - c[i]);
    const v = new Float64Array(this.dimZ);
    this.kernels.solveLinear(x, z, b, v, 1e-12);
    const grad = new Float64Array(this.dimX);
    this.innerCross(z, x, v, this.fullInner, grad);
    return { value: this.outerValue(z, x, this.fullOuter), grad, z, v, innerGradNorm: inner.gradNorm, innerConverged: inner.converged, innerTol: inner.tol };
  }

  /** Mean PSNR (dB) of the reconstructions z (all training images back to back) against the clean images. */
  trainPsnr(z: Float64Array): number {
    return meanPsnr(z, this.train.clean, this.P, this.train.count);
  }

  /**
   * The held-out reconstructions x̂_j(θ), solved to ‖∇g_j‖ ≤ `tol` per image (default 1e-8), warm-started from
   * the last held-out solve. Throws if the problem has no held-out images.
   */
  reconstructHeldOut(x: Float64Array, tol = HELD_OUT_TOL): Float64Array {
    const kernels = this.heldOutKernels;
    const set = this.heldOut;
    if (!kernels || !set) throw new InputError('this problem has no held-out images', 'reconstructHeldOut');
    const z = Float64Array.from(this.heldOutWarm ?? set.observed);
    kernels.solve(x, z, tol, 50_000);
    this.heldOutWarm = z;
    return Float64Array.from(z);
  }

  /** Mean PSNR (dB) of the held-out reconstructions at θ = x. */
  heldOutPsnr(x: Float64Array): number {
    const set = this.heldOut;
    if (!set) throw new InputError('this problem has no held-out images', 'heldOutPsnr');
    return meanPsnr(this.reconstructHeldOut(x), set.clean, set.width * set.height, set.count);
  }

  metrics(x: Float64Array, z: Float64Array): Readonly<Record<string, number>> {
    return { psnrTrain: this.trainPsnr(z), ...(this.heldOut ? { psnrHeldOut: this.heldOutPsnr(x) } : {}) };
  }
}

/** Options of {@link imagingProblem}, with their defaults. */
export interface ImagingOptions {
  /** `denoise` (A = I) or `deblur` (5 × 5 Gaussian blur, σ_blur = 1, reflect boundary). Default `denoise`. */
  readonly task?: 'denoise' | 'deblur';
  /** `tv` (smoothed total variation, 2 parameters), `foe` (Field of Experts) or a built {@link Regularizer}. Default `tv`. */
  readonly regularizer?: 'tv' | 'foe' | Regularizer;
  /** Training images: PNG/JPEG files or folders of them (read in name order). Default: the bundled training crops. */
  readonly train?: readonly string[];
  /** Held-out images (files or folders), kept whole; `[]` for none. Default: the bundled held-out crops. */
  readonly heldOut?: readonly string[];
  /** Side of the square training patches cut from the training images; 0 keeps them whole. Default 32. */
  readonly patchSize?: number;
  /** At most this many patches per training image (row by row from the top left). Default: all. */
  readonly patchesPerImage?: number;
  /** Noise level σ of the measurements (images in [0, 1]). Default 0.1. */
  readonly sigma?: number;
  /** Seed of the noise (training and held-out noise come from two splits of it). Default 0. */
  readonly seed?: number;
  /** Fixed ridge γ of the lower level. Default 0 for denoising, 1e-3 for deblurring (the blur is not injective). */
  readonly ridge?: number;
  /** Field of Experts: number of filters. Default 8. */
  readonly filters?: number;
  /** Field of Experts: filter side, 5 or 7. Default 5. */
  readonly filterSize?: number;
  /** Limits of the image loader. */
  readonly load?: ImageLoadOptions;
  /**
   * Bytes the images and the problem may allocate: the images are decoded one after the other within what is left
   * of it (each refused by the size its header announces), then the training and held-out sets (clean and measured,
   * float64) are checked before they are cut. Default 2 GiB ({@link DEFAULT_MEMORY_BUDGET}).
   */
  readonly memoryBudget?: number;
}

const IMAGE_FILE = /\.(png|jpe?g)$/i;

/** Files as given, folders expanded to their PNG/JPEG files in name order. */
function imageFiles(paths: readonly string[], option: string): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      files.push(path); // the loader reports the missing file
      continue;
    }
    if (!isDir) {
      files.push(path);
      continue;
    }
    const inside = readdirSync(path).filter((f) => IMAGE_FILE.test(f)).sort();
    if (inside.length === 0) throw new InputError('the folder holds no .png, .jpg or .jpeg file', path);
    files.push(...inside.map((f) => join(path, f)));
  }
  if (files.length === 0) throw new InputError('no image given; expected at least one PNG or JPEG file or folder', option);
  return files;
}

/**
 * Builds a bilevel imaging problem ({@link ImagingProblem}) from image files: loads the training images (default:
 * the six bundled 96 × 96 training crops of camera, coins, text, brick, grass and gravel), cuts them into
 * `patchSize` tiles (default 32: 54 patches), measures them with the task's operator and Gaussian noise of level σ
 * (seeded), and does the same with the held-out images (default: the six bundled held-out crops, whole). Every
 * problem with the files or options is an {@link InputError}.
 *
 * @example const problem = imagingProblem({ task: 'denoise', regularizer: 'tv' }); problem.startingPoint() // (−5, −5)
 */
export function imagingProblem(options: ImagingOptions = {}): ImagingProblem {
  const fn = 'imagingProblem';
  const task = options.task ?? 'denoise';
  if (task !== 'denoise' && task !== 'deblur') throw new InputError(`task must be "denoise" or "deblur", received "${String(task)}"`, fn);
  const sigma = options.sigma ?? 0.1;
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw new InputError(`sigma must be a non-negative number, received ${String(sigma)}`, fn);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new InputError(`seed must be an integer, received ${String(seed)}`, fn);
  const patchSize = options.patchSize ?? 32;
  const ridge = options.ridge ?? (task === 'deblur' ? 1e-3 : 0);
  let regularizer: Regularizer;
  const reg = options.regularizer ?? 'tv';
  if (reg === 'tv') regularizer = smoothedTv();
  else if (reg === 'foe') regularizer = fieldOfExperts({ filters: options.filters, size: options.filterSize });
  else if (typeof reg === 'object' && reg !== null && typeof reg.bind === 'function') regularizer = reg;
  else throw new InputError(`regularizer must be "tv" or "foe", received "${String(reg)}"`, fn);
  if (reg !== 'foe' && (options.filters !== undefined || options.filterSize !== undefined)) {
    throw new InputError('filters and filterSize apply to the Field of Experts (regularizer "foe") only', fn);
  }
  const trainFiles = imageFiles(options.train ?? bundledImagePaths('train'), 'train');
  const heldOutFiles = options.heldOut && options.heldOut.length === 0 ? [] : imageFiles(options.heldOut ?? bundledImagePaths('heldout'), 'heldOut');
  const budget = memoryBudgetOf(options.memoryBudget, fn);
  // decoded one after the other: each within the budget by the size its header announces, all of them together
  // (gray float64) within it too, checked as each one arrives
  let decoded = 0;
  const loadWithin = (file: string, k: number) => {
    const image = loadImage(file, { ...options.load, memoryBudget: budget });
    decoded += image.width * image.height;
    checkMemoryBudget([{ what: `${k + 1} decoded images of ${decoded} pixels × 8 bytes in all`, bytes: decoded * 8 }], budget, file);
    return image;
  };
  const trainImages = trainFiles.map(loadWithin);
  const heldOutImages = heldOutFiles.map((f, k) => loadWithin(f, trainFiles.length + k));
  // the sets cut from them, clean and measured: at most every pixel of every image, twice
  checkMemoryBudget(
    [
      { what: `the decoded images, ${decoded} pixels × 8 bytes`, bytes: decoded * 8 },
      { what: 'the clean and measured sets cut from them (at most twice as much)', bytes: decoded * 16 },
    ],
    budget,
    fn,
    `${trainImages.length + heldOutImages.length} images`,
  );
  const trainSet = cutPatches(trainImages, patchSize, options.patchesPerImage ?? Infinity);
  const heldOutSet = heldOutImages.length > 0 ? cutPatches(heldOutImages, 0) : undefined;
  const operatorFor = (w: number, h: number) => (task === 'denoise' ? identityOperator(w, h) : gaussianBlur(w, h, { size: 5, sigma: 1 }));
  const rng = Rng.fromSeed(seed);
  const trainRng = rng.split();
  const heldOutRng = rng.split();
  const operator = operatorFor(trainSet.width, trainSet.height);
  const train = observe(trainSet, operator, sigma, trainRng);
  let heldOut: ImagingParts['heldOut'];
  if (heldOutSet) {
    const op = operatorFor(heldOutSet.width, heldOutSet.height);
    heldOut = { set: observe(heldOutSet, op, sigma, heldOutRng), operator: op };
  }
  return new ImagingProblem({
    task,
    regularizer,
    train,
    operator,
    heldOut,
    ridge,
    info: {
      trainFiles: options.train ? trainFiles.join(',') : 'bundled training crops',
      heldOutFiles: options.heldOut ? heldOutFiles.join(',') : 'bundled held-out crops',
      patchSize,
      seed,
    },
  });
}
