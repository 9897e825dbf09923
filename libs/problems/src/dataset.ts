import type { Matrix, Rng } from '@bilevel/linalg';
import { InputError } from '@bilevel/io';

/** A labelled data set: features row-major `n × d`, one integer class label per row. */
export interface Dataset {
  readonly features: Matrix;
  /** Class index of each row, 0-based into `classNames`. */
  readonly labels: Int32Array;
  readonly classNames: readonly string[];
  /** Where it came from (file path or description), for messages and summaries. */
  readonly source: string;
}

/** The rows `rows` of a data set, copied. */
export function selectRows(data: Dataset, rows: Int32Array, source = data.source): Dataset {
  const d = data.features.cols;
  const out = new Float64Array(rows.length * d);
  const labels = new Int32Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    out.set(data.features.data.subarray(rows[k] * d, rows[k] * d + d), k * d);
    labels[k] = data.labels[rows[k]];
  }
  return { features: { rows: rows.length, cols: d, data: out }, labels, classNames: data.classNames, source };
}

/** Splits into a training part of `round(fraction·n)` rows and the rest, by a seeded random permutation. */
export function splitDataset(data: Dataset, fraction: number, rng: Rng): { train: Dataset; val: Dataset } {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`splitDataset: fraction must be in (0, 1), received ${fraction}`);
  const n = data.features.rows;
  const nTrain = Math.round(fraction * n);
  if (nTrain < 1 || nTrain > n - 1) {
    throw new InputError(`cannot split ${n} rows into two non-empty parts (fraction ${fraction})`, data.source);
  }
  const perm = rng.permutation(n);
  return {
    train: selectRows(data, perm.subarray(0, nTrain), `${data.source} [train ${nTrain}/${n}]`),
    val: selectRows(data, perm.subarray(nTrain), `${data.source} [val ${n - nTrain}/${n}]`),
  };
}

/** Per-feature mean and standard deviation (population, divisor n) of a feature matrix. */
export function featureMoments(features: Matrix): { mean: Float64Array; std: Float64Array } {
  const { rows: n, cols: d, data } = features;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = data[i * d + j] - mean[j];
      std[j] += c * c;
    }
  }
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j] / n);
  return { mean, std };
}

/**
 * Standardizes features with the given moments, `(a − mean) / std`, in a copy. A constant feature (std 0) is only
 * centred, so it stays finite.
 */
export function standardize(data: Dataset, moments: { mean: Float64Array; std: Float64Array }): Dataset {
  const { rows: n, cols: d } = data.features;
  const out = Float64Array.from(data.features.data);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const s = moments.std[j] > 0 ? moments.std[j] : 1;
      out[i * d + j] = (out[i * d + j] - moments.mean[j]) / s;
    }
  }
  return { ...data, features: { rows: n, cols: d, data: out } };
}
