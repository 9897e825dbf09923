import type { Dataset } from '../dataset';
import type { LabelledImages } from './labelled-idx';

/**
 * Labelled images as a {@link Dataset}: one row per image, its pixels scaled to [0, 1] (byte / 255) as float64
 * features, row-major. `rows` picks (and orders) the images to keep, e.g. a seeded subset; default: all. Pixels are
 * only converted for the rows kept (60,000 Fashion-MNIST images as float64 would take 376 MB).
 */
export function imagesToDataset(images: LabelledImages, rows?: Int32Array): Dataset {
  const size = images.height * images.width;
  const n = rows ? rows.length : images.count;
  const features = new Float64Array(n * size);
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = rows ? rows[k] : k;
    if (!(Number.isInteger(i) && i >= 0 && i < images.count)) {
      throw new RangeError(`imagesToDataset: rows[${k}] = ${i} is not an image index in 0..${images.count - 1}`);
    }
    const off = i * size;
    for (let j = 0; j < size; j++) features[k * size + j] = images.pixels[off + j] / 255;
    labels[k] = images.labels[i];
  }
  const source = rows ? `${images.source} [${n} selected]` : images.source;
  return { features: { rows: n, cols: size, data: features }, labels, classNames: images.classNames, source };
}
