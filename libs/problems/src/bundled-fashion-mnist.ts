import { fileURLToPath } from 'node:url';

/**
 * Folder of the Fashion-MNIST subset bundled with the toolkit (libs/problems/data/fashion-mnist-small), laid out
 * like the official data: `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz` (the first 900 images of the
 * official training files) and `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz` (the first 200 of the
 * official test files); gzipped IDX, 481 kB in all. Fashion-MNIST © Zalando SE 2017, MIT license (see
 * data/LICENSE.md). Read it with `loadFashionMnist(bundledFashionMnistDir())`.
 */
export function bundledFashionMnistDir(): string {
  return fileURLToPath(new URL('../data/fashion-mnist-small', import.meta.url));
}
