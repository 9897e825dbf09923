import { statSync } from 'node:fs';
import { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import { buildDeqProblem, DEQ_FLAGS } from './deq-setup';
import type { DeqCliOptions } from './deq-setup';
import { bundledDataPath, dataCleaning, imagingProblem, loadDataFile, loadMulticlassHpo, logregHpo, logregHpoAllocations, quadraticProblem, splitDataset } from '@bilevel/problems';
import { InputError } from '@bilevel/io';

/** The bilevel problems of `bilevel run --problem`. */
export const PROBLEMS = ['logreg-hpo', 'multiclass-hpo', 'datacleaning', 'denoise', 'deblur', 'quadratic', 'deq'] as const;
export type ProblemName = (typeof PROBLEMS)[number];

/** The problem part of the command line (the DEQ options: see {@link DeqCliOptions}). */
export interface ProblemConfig extends DeqCliOptions {
  readonly problem: ProblemName;
  readonly train?: string;
  readonly val?: string;
  /** multiclass-hpo: a test file (default: a split of --train when --val is not given). */
  readonly test?: string;
  /** multiclass-hpo: the label column of CSV files with a header of column names (default: the last column). */
  readonly label?: string;
  /** datacleaning: the Fashion-MNIST (or MNIST) folder; denoise/deblur: training images (file or folder). */
  readonly data?: string;
  /** denoise/deblur: held-out images (file or folder), or `none`. */
  readonly heldOut?: string;
  /** L2 weights: logreg-hpo scalar (default) | feature; multiclass-hpo class (default) | feature | scalar. */
  readonly reg?: 'scalar' | 'feature' | 'class';
  readonly standardize: 'train' | 'none';
  readonly seed: number;
  /** Format of --train/--val: by extension and content (`auto`, default), `uci-csv` or `libsvm`. */
  readonly format?: 'auto' | 'uci-csv' | 'libsvm';
  /** Oracles of logreg-hpo: analytic float64 kernels (default) or tfjs automatic differentiation (float32). */
  readonly oracles?: 'analytic' | 'autodiff' | 'tape';
  /** datacleaning: training samples n, validation samples m, corruption probability p, ridge C. */
  readonly trainSize?: number;
  readonly valSize?: number;
  readonly corruption?: number;
  readonly ridge?: number;
  /** denoise/deblur: the regularizer (default tv), the noise level σ (default 0.1), the patch side (default 32). */
  readonly regularizer?: 'tv' | 'foe';
  readonly noise?: number;
  readonly patchSize?: number;
  /**
   * Bytes the data files and the problem may allocate (`--memory-budget`), checked from the dimensions found before
   * allocating; default 2 GiB (DEFAULT_MEMORY_BUDGET of @bilevel/problems).
   */
  readonly memoryBudget?: number;
}

/** The fraction of the training file used for training when no validation file is given. */
export const TRAIN_FRACTION = 0.6;

/** Options that belong to some problems only: the option, and the problems it applies to. */
const ONLY: [keyof ProblemConfig, string, readonly ProblemName[]][] = [
  ['train', '--train', ['logreg-hpo', 'multiclass-hpo']],
  ['val', '--val', ['logreg-hpo', 'multiclass-hpo']],
  ['test', '--test', ['multiclass-hpo']],
  ['label', '--label', ['multiclass-hpo']],
  ['data', '--data', ['datacleaning', 'denoise', 'deblur', 'deq']],
  ['heldOut', '--held-out', ['denoise', 'deblur']],
  ['reg', '--reg', ['logreg-hpo', 'multiclass-hpo']],
  ['trainSize', '--train-size', ['datacleaning', 'deq']],
  ['valSize', '--val-size', ['datacleaning']],
  ['corruption', '--corruption', ['datacleaning']],
  ['ridge', '--ridge', ['datacleaning', 'denoise', 'deblur']],
  ['regularizer', '--regularizer', ['denoise', 'deblur']],
  ['noise', '--noise', ['denoise', 'deblur']],
  ['patchSize', '--patch-size', ['denoise', 'deblur']],
  ...DEQ_FLAGS.map(([key, flag]) => [key, flag, ['deq']] as [keyof ProblemConfig, string, readonly ProblemName[]]),
];

/** Refuses options given for a problem they do not apply to (one clear error rather than a silently ignored flag). */
function checkApplicable(config: ProblemConfig): void {
  for (const [key, flag, problems] of ONLY) {
    if (config[key] !== undefined && !problems.includes(config.problem)) {
      throw new InputError(`applies to --problem ${problems.join(' | ')} only`, `${flag} with --problem ${config.problem}`);
    }
  }
  if ((config.oracles === 'autodiff' || config.oracles === 'tape') && config.problem !== 'logreg-hpo') {
    throw new InputError(`--oracles ${config.oracles} applies to logreg-hpo only`, `--problem ${config.problem}`);
  }
  if (config.format !== undefined && config.format !== 'auto' && config.problem !== 'logreg-hpo') {
    throw new InputError('--format applies to logreg-hpo only (multiclass-hpo reads UCI-header or headerless CSV, recognized by content)', `--problem ${config.problem}`);
  }
  if (config.reg === 'class' && config.problem !== 'multiclass-hpo') {
    throw new InputError('one weight per class applies to multiclass-hpo; logreg-hpo takes scalar or feature', '--reg class');
  }
}

/**
 * Builds the problem named on the command line. Every data problem is an {@link InputError} naming the file and line.
 * - logreg-hpo: `--train` (default: the bundled breast cancer data) and `--val`; without `--val` the training file
 *   is split 60/40 by the seed.
 * - multiclass-hpo: `--train` (default: bundled UCI wine), `--val`, `--test`; see `loadMulticlassHpo`.
 * - datacleaning: `--data` (default: the bundled Fashion-MNIST subset), n, m, p, C.
 * - denoise / deblur: `--data` training images, `--held-out` images (default: the bundled crops), regularizer.
 * - deq: `--data` a Fashion-MNIST folder or a labelled CSV (default: the bundled Fashion-MNIST subset); see buildDeqProblem.
 */
export function buildProblem(config: ProblemConfig): BilevelProblem {
  checkApplicable(config);
  const budget = config.memoryBudget !== undefined ? { memoryBudget: config.memoryBudget } : {};
  switch (config.problem) {
    case 'quadratic':
      return quadraticProblem({ seed: config.seed });
    case 'deq':
      return buildDeqProblem(config);
    case 'multiclass-hpo':
      return loadMulticlassHpo({
        ...(config.train !== undefined ? { train: config.train } : {}),
        ...(config.val !== undefined ? { val: config.val } : {}),
        ...(config.test !== undefined ? { test: config.test } : {}),
        ...(config.label !== undefined ? { label: config.label } : {}),
        reg: (config.reg ?? 'class') as 'class' | 'feature' | 'scalar',
        standardize: config.standardize,
        seed: config.seed,
        ...budget,
      });
    case 'datacleaning':
      if (config.data !== undefined) checkFolder(config.data, '--data');
      return dataCleaning({
        ...(config.data !== undefined ? { dir: config.data } : {}),
        ...(config.trainSize !== undefined ? { n: config.trainSize } : {}),
        ...(config.valSize !== undefined ? { m: config.valSize } : {}),
        ...(config.corruption !== undefined ? { p: config.corruption } : {}),
        ...(config.ridge !== undefined ? { C: config.ridge } : {}),
        seed: config.seed,
        ...budget,
      });
    case 'denoise':
    case 'deblur':
      return imagingProblem({
        task: config.problem,
        regularizer: config.regularizer ?? 'tv',
        ...(config.data !== undefined ? { train: [config.data] } : {}),
        ...(config.heldOut !== undefined ? { heldOut: config.heldOut === 'none' ? [] : [config.heldOut] } : {}),
        ...(config.noise !== undefined ? { sigma: config.noise } : {}),
        ...(config.patchSize !== undefined ? { patchSize: config.patchSize } : {}),
        ...(config.ridge !== undefined ? { ridge: config.ridge } : {}),
        seed: config.seed,
        ...budget,
      });
    case 'logreg-hpo': {
      const trainPath = config.train ?? bundledDataPath('breast_cancer.csv');
      const format = config.format ?? 'auto';
      // the split's copy and the problem's arrays are checked with the file's dimensions, before its data is allocated
      const reserve = (n: number, d: number) => [
        ...(config.val ? [] : [{ what: `the train/validation split's copy ${n} × ${d} × 8 bytes`, bytes: n * d * 8 }]),
        ...logregHpoAllocations(n, d, { standardize: config.standardize }),
      ];
      const data = loadDataFile(trainPath, { format, ...budget, reserve });
      const split = config.val ? { train: data, val: loadDataFile(config.val, { format, like: data, ...budget }) } : splitDataset(data, TRAIN_FRACTION, Rng.fromSeed(config.seed));
      return logregHpo(split.train, split.val, { reg: (config.reg ?? 'scalar') as 'scalar' | 'feature', standardize: config.standardize, ...budget });
    }
  }
}

/** A folder option must name a folder: a file, a device or a pipe is refused in one line (never opened). */
function checkFolder(path: string, option: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no such folder' : `cannot read the folder (${code ?? (err as Error).message})`, `${option} ${path}`);
  }
  if (!isDir) throw new InputError('not a folder; expected the folder of the four Fashion-MNIST (or MNIST) files', `${option} ${path}`);
}

/** The starting x from `--x0`: one value broadcast to every coordinate, or exactly dimX values. */
export function startingX(x0: readonly number[] | undefined, dimX: number): Float64Array | undefined {
  if (x0 === undefined) return undefined;
  if (x0.length === 1) return new Float64Array(dimX).fill(x0[0]);
  if (x0.length !== dimX) {
    throw new InputError(`received ${x0.length} values, expected 1 (broadcast) or ${dimX} (one per coordinate of x)`, '--x0');
  }
  return Float64Array.from(x0);
}
