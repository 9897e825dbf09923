import { statSync } from 'node:fs';
import { Rng } from '@bilevel/linalg';
import { bundledFashionMnistDir } from './bundled-fashion-mnist';
import { loadClassificationCsv } from './classification-csv';
import type { Dataset } from './dataset';
import { selectRows, splitDataset } from './dataset';
import { InputError } from '@bilevel/io';
import { imagesToDataset } from './loaders/images-to-dataset';
import { loadFashionMnist } from './loaders/fashion-mnist';

/** Options of {@link loadDeqData}, with their defaults. */
export interface DeqDataOptions {
  /**
   * A Fashion-MNIST (or MNIST) folder of the four official files, or a labelled CSV file (UCI header or headerless,
   * e.g. digits.csv.gz: 64 pixels then the label). Default: the bundled Fashion-MNIST subset (900 training, 200
   * test images).
   */
  readonly data?: string;
  /** Keep this many training samples (a seeded subset). Default all. */
  readonly trainSize?: number;
  /** Keep this many test samples (a seeded subset). Default all. */
  readonly testSize?: number;
  /** A CSV file is split into training and test samples by the seed; the test fraction. Default 0.2. */
  readonly testFraction?: number;
  /** Seed of the subsets and of the CSV split. Default 0. */
  readonly seed?: number;
  /** Per-file memory budget of the loaders (bytes). Default theirs (2 GiB). */
  readonly memoryBudget?: number;
}

/** Labelled samples for a classifier: training and test sets with features in [0, 1], and the image shape if any. */
export interface DeqDataSets {
  readonly train: Dataset;
  readonly test: Dataset;
  /** [C, H, W] of one sample when the samples are images (IDX files, or a CSV whose feature count is a square). */
  readonly imageShape?: readonly [number, number, number];
  readonly source: string;
}

function subset(data: Dataset, size: number | undefined, rng: Rng, field: string): Dataset {
  if (size === undefined) return data;
  if (!(Number.isInteger(size) && size >= 1)) throw new InputError(`must be a positive integer, received ${String(size)}`, field);
  const n = data.features.rows;
  if (size >= n) return data;
  const rows = rng.permutation(n).subarray(0, size).sort();
  return selectRows(data, rows, `${data.source} [${size} of ${n}]`);
}

/**
 * The training and test samples of a deep equilibrium classifier (`bilevel run --problem deq --data …`): a
 * Fashion-MNIST / MNIST folder (the IDX files' own train and t10k splits, pixels / 255), or a labelled CSV file split
 * by the seed (features divided by their largest absolute value when it exceeds 1: digits' 0…16 become 0…1); the
 * bundled Fashion-MNIST subset by default. Every defect of the data is an {@link InputError} naming the file.
 *
 * @example loadDeqData({ data: '../shared/data/fashion-mnist', trainSize: 10000 }).train.features.rows // 10000
 */
export function loadDeqData(options: DeqDataOptions = {}): DeqDataSets {
  const seed = options.seed ?? 0;
  const budget = options.memoryBudget !== undefined ? { memoryBudget: options.memoryBudget } : {};
  const path = options.data ?? bundledFashionMnistDir();
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no such file or folder' : `cannot read it (${code ?? (err as Error).message})`, path);
  }
  const rng = Rng.fromSeed(seed);
  if (isDir) {
    const train = imagesToDataset(loadFashionMnist(path, { split: 'train', ...budget }));
    const testImages = loadFashionMnist(path, { split: 'test', ...budget });
    const test = imagesToDataset(testImages);
    return {
      train: subset(train, options.trainSize, rng, '--train-size'),
      test: subset(test, options.testSize, rng, '--test-size'),
      imageShape: [1, testImages.height, testImages.width],
      source: path,
    };
  }
  const all = loadClassificationCsv(path, budget);
  const f = all.features.data;
  let max = 0;
  for (let i = 0; i < f.length; i++) max = Math.max(max, Math.abs(f[i]));
  if (max > 1) for (let i = 0; i < f.length; i++) f[i] /= max;
  const fraction = options.testFraction ?? 0.2;
  const { train, val: test } = splitDataset(all, 1 - fraction, rng);
  const p = all.features.cols;
  const side = Math.round(Math.sqrt(p));
  return {
    train: subset(train, options.trainSize, rng, '--train-size'),
    test: subset(test, options.testSize, rng, '--test-size'),
    ...(side * side === p ? { imageShape: [1, side, side] as const } : {}),
    source: path,
  };
}
