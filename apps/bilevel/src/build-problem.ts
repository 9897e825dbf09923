import { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import { bundledDataPath, InputError, loadDataFile, logregHpo, quadraticProblem, splitDataset } from '@bilevel/problems';

/** The problem part of the command line. */
export interface ProblemConfig {
  readonly problem: 'logreg-hpo' | 'quadratic';
  readonly train?: string;
  readonly val?: string;
  readonly reg: 'scalar' | 'feature';
  readonly standardize: 'train' | 'none';
  readonly seed: number;
  /** Format of --train/--val: by extension and content (`auto`, default), `uci-csv` or `libsvm`. */
  readonly format?: 'auto' | 'uci-csv' | 'libsvm';
  /** Oracles of logreg-hpo: analytic float64 kernels (default) or tfjs automatic differentiation (float32). */
  readonly oracles?: 'analytic' | 'autodiff';
}

/** The fraction of the training file used for training when no validation file is given. */
export const TRAIN_FRACTION = 0.6;

/**
 * Builds the problem named on the command line. logreg-hpo reads `--train` (default: the bundled breast cancer
 * data) and `--val`; without `--val` the training file is split 60/40 by the seed. Every data problem is an
 * {@link InputError} naming the file and line.
 */
export function buildProblem(config: ProblemConfig): BilevelProblem {
  if (config.problem === 'quadratic') {
    if (config.train || config.val) throw new InputError('--train and --val apply to logreg-hpo only', '--problem quadratic');
    if (config.oracles === 'autodiff') throw new InputError('--oracles autodiff applies to logreg-hpo only', '--problem quadratic');
    return quadraticProblem({ seed: config.seed });
  }
  const trainPath = config.train ?? bundledDataPath('breast_cancer.csv');
  const format = config.format ?? 'auto';
  const data = loadDataFile(trainPath, { format });
  let split;
  if (config.val) {
    split = { train: data, val: loadDataFile(config.val, { format, like: data }) };
  } else {
    split = splitDataset(data, TRAIN_FRACTION, Rng.fromSeed(config.seed));
  }
  return logregHpo(split.train, split.val, { reg: config.reg, standardize: config.standardize });
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
