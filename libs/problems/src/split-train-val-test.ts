import type { Rng } from '@bilevel/linalg';
import type { Dataset } from './dataset';
import { selectRows } from './dataset';
import { InputError } from '@bilevel/io';

/** Options of {@link splitTrainValTest}, with their defaults. */
export interface SplitTrainValTestOptions {
  /** Fraction of the rows for training. Default 0.5. */
  readonly train?: number;
  /** Fraction for validation; the test split gets the rest. Default 0.25. */
  readonly val?: number;
  /**
   * Split each class separately in these proportions (`true`, default), so every split holds every class in about the
   * proportions of the whole; otherwise one random permutation of all rows is cut.
   */
  readonly stratify?: boolean;
}

/**
 * Splits a data set three ways by a seeded random permutation: training, validation and test rows (default
 * 50/25/25, stratified by class). With stratification, class c's n_c rows (in random order) give round(train·n_c)
 * training rows, round(val·n_c) validation rows and the rest to test; each split is then shuffled. Throws an
 * {@link InputError} when a split would be empty.
 *
 * @example const { train, val, test } = splitTrainValTest(data, Rng.fromSeed(0));
 */
export function splitTrainValTest(data: Dataset, rng: Rng, options: SplitTrainValTestOptions = {}): { train: Dataset; val: Dataset; test: Dataset } {
  const where = 'splitTrainValTest';
  const fTrain = options.train ?? 0.5;
  const fVal = options.val ?? 0.25;
  const stratify = options.stratify ?? true;
  if (!(fTrain > 0 && fTrain < 1)) throw new InputError(`train fraction must be in (0, 1), received ${fTrain}`, where);
  if (!(fVal > 0 && fVal < 1)) throw new InputError(`val fraction must be in (0, 1), received ${fVal}`, where);
  if (!(fTrain + fVal < 1)) throw new InputError(`train + val fractions must be below 1 to leave test rows, received ${fTrain} + ${fVal}`, where);
  const n = data.features.rows;
  const perm = rng.permutation(n);
  const parts: number[][] = [[], [], []];
  const groups = new Map<number, number[]>();
  for (const row of perm) {
    const key = stratify ? data.labels[row] : 0;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(row);
  }
  for (const rows of groups.values()) {
    const nTrain = Math.round(fTrain * rows.length);
    const nVal = Math.round(fVal * rows.length);
    rows.forEach((row, k) => parts[k < nTrain ? 0 : k < nTrain + nVal ? 1 : 2].push(row));
  }
  const names = ['train', 'val', 'test'] as const;
  const sets = parts.map((rows, s) => {
    if (rows.length === 0) {
      throw new InputError(`cannot split ${n} rows ${fTrain}/${fVal}/${+(1 - fTrain - fVal).toFixed(12)} with a non-empty ${names[s]} part`, data.source);
    }
    const order = rng.shuffle(Int32Array.from(rows));
    return selectRows(data, order, `${data.source} [${names[s]} ${rows.length}/${n}]`);
  });
  return { train: sets[0], val: sets[1], test: sets[2] };
}
