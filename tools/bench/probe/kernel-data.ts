import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildProblem } from '@bilevel/cli';
import type { Matrix } from '@bilevel/linalg';
import { BlockSampler, Rng } from '@bilevel/linalg';
import type { PixelRows, PixelScaling } from '@bilevel/problems';
import { dataCleaning, LogregHpo } from '@bilevel/problems';

/** The data the hot kernels run on in the real problems, with the real minibatches. */
export interface KernelData {
  /** logreg-hpo default task: the training matrix (341 × 30 standardized breast-cancer rows). */
  readonly logregA: Matrix;
  /** Every minibatch of its BlockSampler at batch 32 (11 blocks of 31 rows). */
  readonly logregBatches: readonly Int32Array[];
  /** datacleaning: training images as pixel rows, their scaling and every batch-64 block. */
  readonly pixels: PixelRows;
  readonly scaling: PixelScaling;
  readonly pixelBatches: readonly Int32Array[];
  /** Where the images came from. */
  readonly pixelSource: string;
}

/** The shared Fashion-MNIST folder (FASHION_MNIST_DIR or ../shared/data/fashion-mnist from the repository root). */
export function fashionMnistDir(): string | undefined {
  const dir = process.env.FASHION_MNIST_DIR ?? fileURLToPath(new URL('../../../../shared/data/fashion-mnist', import.meta.url));
  return existsSync(dir) ? dir : undefined;
}

function blocks(n: number, batch: number, seed: number): Int32Array[] {
  const sampler = new BlockSampler(n, batch, Rng.fromSeed(seed));
  return Array.from({ length: sampler.nBlocks }, (_, b) => sampler.block(b).indices);
}

/**
 * Builds the default logreg-hpo problem (seed 0) and a datacleaning problem with `pixelRowsCount` training images
 * (default 2,048: 32 blocks of exactly 64 real images; the kernels' cost depends on a batch's stored
 * pixels, not on n). Falls back to the bundled Fashion-MNIST subset (700 images) when the shared folder is absent.
 */
export function kernelData(pixelRowsCount = 2048): KernelData {
  const logreg = buildProblem({ problem: 'logreg-hpo', reg: 'scalar', standardize: 'train', seed: 0 });
  if (!(logreg instanceof LogregHpo)) throw new Error('kernelData: buildProblem(logreg-hpo) did not return a LogregHpo');
  const dir = fashionMnistDir();
  const cleaning = dir ? dataCleaning({ dir, n: pixelRowsCount, m: 200, seed: 0 }) : dataCleaning({ seed: 0 });
  return {
    logregA: logreg.A,
    logregBatches: blocks(logreg.nInner, 32, 1),
    pixels: cleaning.train,
    scaling: cleaning.scaling,
    pixelBatches: blocks(cleaning.nInner, 64, 2),
    pixelSource: dir ? `Fashion-MNIST training file, ${cleaning.nInner} images` : `bundled Fashion-MNIST subset, ${cleaning.nInner} images`,
  };
}
