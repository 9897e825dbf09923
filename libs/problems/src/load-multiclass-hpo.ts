import { Rng } from '@bilevel/linalg';
import type { Dataset } from './dataset';
import { splitDataset } from './dataset';
import { InputError } from '@bilevel/io';
import { loadClassificationCsv } from './classification-csv';
import { multiclassDataPath } from './multiclass-data-path';
import { MulticlassHpo, multiclassHpoAllocations } from './multiclass-hpo';
import type { MulticlassHpoOptions } from './multiclass-hpo';
import { splitTrainValTest } from './split-train-val-test';

/** Options of {@link loadMulticlassHpo} (the command line's `--problem multiclass-hpo`), with their defaults. */
export interface LoadMulticlassHpoOptions {
  /** Training data file (UCI-header or headerless CSV, plain or gzip). Default: the bundled wine_data.csv. */
  readonly train?: string;
  /** Validation data file. Default: a split of `train`. */
  readonly val?: string;
  /** Test data file. Default: a split of `train` when `val` is not given, otherwise none (no test error). */
  readonly test?: string;
  /** Files with a header of column names: the label column's name (default: the last column). */
  readonly label?: string;
  /** L2 weights: per class (default), per feature, or one shared scalar. */
  readonly reg?: MulticlassHpoOptions['reg'];
  /** Standardize with the training split's moments (default) or not. */
  readonly standardize?: MulticlassHpoOptions['standardize'];
  /** Seed of the random split. Default 0. */
  readonly seed?: number;
  /** Fractions of `train` for training and validation when splitting (test: the rest). Default 0.5 and 0.25. */
  readonly trainFraction?: number;
  readonly valFraction?: number;
  /** Bytes the loaders and the problem may allocate, each checked before allocating. Default 2 GiB. */
  readonly memoryBudget?: number;
}

/**
 * Builds {@link MulticlassHpo} from files, as the command line does:
 * - `train` only (or nothing: bundled wine): split 50/25/25 into train/val/test by the seed, stratified by class;
 * - `train` + `test`: `train` split 2:1 (the same 50:25 ratio) into train/val, by the seed (not stratified);
 * - `train` + `val` [+ `test`]: the files as given, no split.
 * Every data problem is an {@link InputError} naming the file and line.
 *
 * @example const p = loadMulticlassHpo({ train: '../shared/data/uci/digits.csv.gz', reg: 'class', seed: 1 });
 */
export function loadMulticlassHpo(options: LoadMulticlassHpoOptions = {}): MulticlassHpo {
  const keys = ['train', 'val', 'test', 'label', 'reg', 'standardize', 'seed', 'trainFraction', 'valFraction', 'memoryBudget'];
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) throw new InputError(`unknown option "${key}"; expected one of ${keys.join(', ')}`, 'loadMulticlassHpo');
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new InputError(`seed must be a safe integer, received ${seed}`, 'loadMulticlassHpo');
  const fTrain = options.trainFraction ?? 0.5;
  const fVal = options.valFraction ?? 0.25;
  const budget = options.memoryBudget !== undefined ? { memoryBudget: options.memoryBudget } : {};
  /** What the CSV reader takes: the budget, and the label column of files with a header of names. */
  const read = { ...budget, ...(options.label !== undefined ? { label: options.label } : {}) };
  // checked with the training file's dimensions before its data is allocated: the split's copy (without --val) and
  // the problem's arrays for at least two classes (the constructor checks again with the classes found)
  const reserve = (n: number, d: number) => [
    ...(options.val ? [] : [{ what: `the split's copy ${n} × ${d} × 8 bytes`, bytes: n * d * 8 }]),
    ...multiclassHpoAllocations(n, d, 2, { ...(options.standardize !== undefined ? { standardize: options.standardize } : {}) }),
  ];
  const data = loadClassificationCsv(options.train ?? multiclassDataPath(), { ...read, reserve });
  let train: Dataset;
  let val: Dataset;
  let test: Dataset | undefined;
  if (options.val) {
    train = data;
    val = loadClassificationCsv(options.val, read);
    test = options.test ? loadClassificationCsv(options.test, read) : undefined;
  } else if (options.test) {
    test = loadClassificationCsv(options.test, read);
    // train/val in the ratio fTrain : fVal (a plain random split, not stratified)
    ({ train, val } = splitDataset(data, fTrain / (fTrain + fVal), Rng.fromSeed(seed)));
  } else {
    ({ train, val, test } = splitTrainValTest(data, Rng.fromSeed(seed), { train: fTrain, val: fVal }));
  }
  return new MulticlassHpo(train, val, {
    ...(options.reg !== undefined ? { reg: options.reg } : {}),
    ...(options.standardize !== undefined ? { standardize: options.standardize } : {}),
    ...(test ? { test } : {}),
    ...budget,
  });
}
