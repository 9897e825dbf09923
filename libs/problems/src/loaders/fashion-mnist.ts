import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@bilevel/io';
import type { LabelledImages } from './labelled-idx';
import { loadLabelledIdx } from './labelled-idx';

/** Fashion-MNIST's ten classes, in label order (Xiao, Rasul and Vollgraf, Zalando Research, 2017). */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions {
  /** `train` (60,000 images, default) or `test` (the 10,000 images of the t10k files). */
  readonly split?: 'train' | 'test';
  /** Keep only the first `limit` images (the files are still inflated whole, ≈ 0.3 s for train). Default: all. */
  readonly limit?: number;
  /** Per-file memory budget (the option memoryBudget of loadIdx). Default 2 GiB. */
  readonly memoryBudget?: number;
}

/**
 * Reads Fashion-MNIST from a folder holding the official files `train-images-idx3-ubyte.gz`,
 * `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz` (or the same names without
 * `.gz`): 28 × 28 grayscale images, labels 0..9 named by {@link FASHION_MNIST_CLASSES}. Pixels stay bytes; see
 * {@link imagesToDataset} for features in [0, 1].
 *
 * @example loadFashionMnist('../shared/data/fashion-mnist', { split: 'test', limit: 500 }).count // 500
 */
export function loadFashionMnist(dir: string, options: FashionMnistOptions = {}): LabelledImages {
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new InputError(`options.split must be "train" or "test", received "${String(split)}"`, 'loadFashionMnist');
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const file = (kind: string): string => {
    const gz = join(dir, `${prefix}-${kind}-ubyte.gz`);
    const raw = join(dir, `${prefix}-${kind}-ubyte`);
    return !existsSync(gz) && existsSync(raw) ? raw : gz;
  };
  return loadLabelledIdx(file('images-idx3'), file('labels-idx1'), {
    classNames: FASHION_MNIST_CLASSES,
    limit: options.limit,
    ...(options.memoryBudget !== undefined ? { memoryBudget: options.memoryBudget } : {}),
  });
}
