import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildProblem } from '@bilevel/cli';
import type { DataCleaning, LogregHpo } from '@bilevel/problems';
import { DATA_CLEANING_STEPS, dataCleaning, referenceSolution } from '@bilevel/problems';
import type { PeerSteps } from './export-problem';

/** One problem of the peer comparison: the problem, SABA's settings, the run length and what "reached" means. */
export interface PeerTask {
  readonly name: 'logreg-hpo' | 'datacleaning';
  readonly description: string;
  readonly problem: LogregHpo | DataCleaning;
  readonly steps: PeerSteps;
  /** Outer iterations of every run (both sides run the same number). */
  readonly maxIter: number;
  /** Evaluate every this many iterations (the same checkpoints on both sides). */
  readonly every: number;
  /** Iterations of the untimed warm-up of our two drivers (lets the JIT settle). */
  readonly warmupIter: number;
  readonly metricName: string;
  /** The evaluation, identical for both sides: a function of the iterate (x, z); lower is better. */
  readonly metric: (x: Float64Array, z: Float64Array) => number;
  /** A run reaches target τ at the first checkpoint with metric ≤ τ. The first target is the headline one. */
  readonly targets: readonly number[];
  readonly info: Readonly<Record<string, unknown>>;
}

/** The SABA steps of `bilevel run` on logreg-hpo: batch 32, the solver's default ρ = γ = 0.1 (apps/bilevel/src/problem-defaults.ts). */
export const LOGREG_STEPS: PeerSteps = { batchSize: 32, innerStep: 0.1, outerStep: 0.1 };

/** Options of {@link logregTask}. */
export interface LogregTaskOptions {
  readonly maxIter: number;
  readonly every: number;
  readonly targets: readonly number[];
}

/**
 * The default task of `bilevel run`: bundled breast cancer split 60/40 by seed 0, standardized on the training
 * split, scalar L2 weight e^x, SABA batch 32, ρ = γ = 0.1. Metric: the relative suboptimality (h(x_t) − h*)/h*, h
 * from an exact inner solve (Newton to ‖∇G‖ ≤ 1e-10) and h* from full-batch L-BFGS on exact hypergradients, the same
 * evaluation as `bilevel run` and `npm run bench -- solvers`.
 */
export function logregTask(options: LogregTaskOptions): PeerTask {
  const problem = buildProblem({ problem: 'logreg-hpo', reg: 'scalar', standardize: 'train', seed: 0 }) as LogregHpo;
  const ref = referenceSolution(problem);
  return {
    name: 'logreg-hpo',
    description: `breast cancer ${problem.nInner}/${problem.nOuter}, d ${problem.dimZ}, scalar reg, SABA batch 32, ρ = γ = 0.1`,
    problem,
    steps: LOGREG_STEPS,
    maxIter: options.maxIter,
    every: options.every,
    warmupIter: 5_000,
    metricName: '(h − h*)/h*',
    metric: (x) => (problem.hypergradient(x).value - ref.value) / ref.value,
    targets: options.targets,
    info: { hStar: ref.value, xStar: ref.x[0], referenceMethod: ref.method },
  };
}

/** The Fashion-MNIST folder of the shared data (`FASHION_MNIST_DIR` overrides), or undefined when it is missing. */
export function fashionMnistDir(): string | undefined {
  const dir = process.env.FASHION_MNIST_DIR ?? fileURLToPath(new URL('../../../../shared/data/fashion-mnist', import.meta.url));
  return existsSync(dir) ? dir : undefined;
}

/** Options of {@link dataCleaningTask}. */
export interface DataCleaningTaskOptions {
  /** Fashion-MNIST folder; undefined: the bundled subset (n = 700, m = 200). */
  readonly dir: string | undefined;
  readonly maxIter: number;
  readonly every: number;
  readonly targets: readonly number[];
}

/**
 * Data hyper-cleaning as `bilevel run --problem datacleaning`: n = 20,000, m = 5,000 (bundled subset: 700, 200),
 * p = 0.5, C = 0.01, data seed 0; SABA batch 64, ρ = 0.02, γ = 100 ({@link DATA_CLEANING_STEPS}).
 *
 * Metric: the validation loss at the iterate, F(z_t) = (1/m) Σ CE(z_tᵀb_j, y_j), full batch. Why not h(x_t) =
 * F(z*(x_t)): one exact inner solve at n = 20,000 takes 50–100 s here, so a curve of them would dwarf the runs; F(z_t)
 * is what `bilevel run` traces for this problem (`--evaluate iterate`), it costs one pass over the 5,000 validation
 * rows (~0.1 s), both implementations produce a z_t, and it decreases steadily along SABA's run (2.30 at z = 0, ≈ 0.63
 * after 1,000 iterations, ≈ 0.52 after 2,000, ≈ 0.43 after 7,000 on the full data), so a level both reach in a few
 * thousand iterations is a fair "same tolerance".
 */
export function dataCleaningTask(options: DataCleaningTaskOptions): PeerTask {
  const problem = options.dir ? dataCleaning({ dir: options.dir }) : dataCleaning({});
  const source = options.dir ? `Fashion-MNIST (${options.dir})` : 'bundled Fashion-MNIST subset (the shared data folder is missing)';
  return {
    name: 'datacleaning',
    description: `${source}, n ${problem.nInner}, m ${problem.nOuter}, p 0.5, C ${problem.C}, SABA batch ${DATA_CLEANING_STEPS.batchSize}, ρ ${DATA_CLEANING_STEPS.innerStep}, γ ${DATA_CLEANING_STEPS.outerStep}`,
    problem,
    steps: DATA_CLEANING_STEPS,
    maxIter: options.maxIter,
    every: options.every,
    warmupIter: 200,
    metricName: 'F(z_t), validation loss at the iterate',
    metric: (x, z) => problem.outerValue(z, x, problem.fullOuter),
    targets: options.targets,
    info: { bundledSubset: !options.dir, wrongLabels: problem.corruptedCount },
  };
}
