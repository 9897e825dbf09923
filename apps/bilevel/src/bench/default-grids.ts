import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_CLEANING_STEPS } from '@bilevel/problems';
import { SOLVERS } from '@bilevel/solvers';
import type { GridInput } from './grid-spec';

/** Loop methods (T inner steps per outer step) are snapshotted this many times more often than single-loop ones. */
const LOOP_SOLVERS = ['amigo', 'stocbio', 'f2sa', 'sl-bamm', 'implicit-diff', 'shine'] as const;

/** The same snapshot period for every loop method of a row. */
function loopEvalEvery(k: number, solvers: readonly string[]): Record<string, { evalEvery: number }> {
  return Object.fromEntries(solvers.filter((s) => (LOOP_SOLVERS as readonly string[]).includes(s)).map((s) => [s, { evalEvery: k }]));
}

const DEFAULT_SOLVERS = ['soba', 'saba', 'srba', 'amigo', 'stocbio', 'f2sa'];

/**
 * The grid of `npm run bench` / `bilevel bench`: 2 problems × 6 solvers × 5 seeds = 60 runs, about 3.5 minutes of
 * wall time on this 2-core machine, evaluation included (measured in the report of issue 7).
 * - logreg-hpo: the bundled breast cancer data split 60/40 by seed 0, one shared L2 weight, batch 32, each solver's
 *   default steps (as `bilevel run`), 2 s of solver time; relative suboptimality against h* (L-BFGS, exact
 *   hypergradients).
 * - datacleaning: the bundled Fashion-MNIST subset (n = 700, m = 200, p = 0.5), batch 64 and the tuned steps of
 *   SABA (ρ = 0.02, γ = 100) for every solver, as the public benchmark uses one (ρ, γ) per problem; 4 s of solver
 *   time; test error at the solver's own z.
 */
export const DEFAULT_GRID: GridInput = {
  name: 'default',
  solvers: DEFAULT_SOLVERS,
  seeds: [0, 1, 2, 3, 4],
  problems: [
    {
      name: 'logreg-hpo',
      config: { reg: 'scalar', standardize: 'train', seed: 0 },
      batch: 32,
      maxSeconds: 2,
      evalEvery: 100,
      evaluation: 'exact',
      metric: 'suboptimality',
      tolerances: [1e-2, 1e-4, 1e-6],
      overrides: loopEvalEvery(5, DEFAULT_SOLVERS),
    },
    {
      name: 'datacleaning',
      config: { standardize: 'train', seed: 0 },
      batch: DATA_CLEANING_STEPS.batchSize,
      innerStep: DATA_CLEANING_STEPS.innerStep,
      outerStep: DATA_CLEANING_STEPS.outerStep,
      maxSeconds: 4,
      evalEvery: 10,
      evaluation: 'iterate',
      metric: 'testError',
      tolerances: [0.3, 0.25, 0.23],
      overrides: loopEvalEvery(2, DEFAULT_SOLVERS),
    },
  ],
};

/** ../shared/data/fashion-mnist beside the repository (see ../shared/data/README.md), or `FASHION_MNIST_DIR`. */
export function fashionMnistDir(): string {
  return process.env.FASHION_MNIST_DIR ?? fileURLToPath(new URL('../../../../../shared/data/fashion-mnist', import.meta.url));
}

/**
 * The complete grid (`--full`, about an hour): 10 seeds, more solvers (sl-bamm, implicit-diff, SHINE on the small
 * problems), larger budgets, the benchmark's quadratic (n = m = 1024, dims 100/100, μ = 0.1), and data cleaning on
 * the real Fashion-MNIST at n = 20,000, m = 5,000 when `dataDir` holds the four official files (else on the bundled
 * subset, labelled so).
 */
export function fullGrid(dataDir: string = fashionMnistDir()): GridInput {
  const solvers = [...DEFAULT_SOLVERS, 'sl-bamm', 'implicit-diff', 'shine'];
  const real = existsSync(join(dataDir, 'train-images-idx3-ubyte.gz'));
  return {
    name: 'full',
    solvers,
    seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    gridPoints: 80,
    problems: [
      {
        name: 'logreg-hpo',
        config: { reg: 'scalar', standardize: 'train', seed: 0 },
        batch: 32,
        maxSeconds: 10,
        evalEvery: 100,
        evaluation: 'exact',
        metric: 'suboptimality',
        tolerances: [1e-2, 1e-4, 1e-6, 1e-8],
        overrides: loopEvalEvery(5, solvers),
      },
      {
        name: 'quadratic',
        config: { standardize: 'train', seed: 0 },
        batch: 64,
        maxSeconds: 5,
        evalEvery: 20,
        evaluation: 'exact',
        metric: 'suboptimality',
        tolerances: [1e-2, 1e-4, 1e-6],
        overrides: loopEvalEvery(1, solvers),
      },
      {
        name: 'datacleaning',
        label: real ? 'datacleaning-20k' : 'datacleaning',
        config: real ? { data: dataDir, standardize: 'train', seed: 0 } : { standardize: 'train', seed: 0 },
        solvers: DEFAULT_SOLVERS,
        batch: DATA_CLEANING_STEPS.batchSize,
        innerStep: DATA_CLEANING_STEPS.innerStep,
        outerStep: DATA_CLEANING_STEPS.outerStep,
        maxSeconds: real ? 30 : 10,
        evalEvery: 10,
        evaluation: 'iterate',
        metric: 'testError',
        tolerances: real ? [0.2, 0.17, 0.15] : [0.3, 0.25, 0.23],
        overrides: loopEvalEvery(2, DEFAULT_SOLVERS),
      },
    ],
  };
}

/** {@link fullGrid} with the default data folder, resolved when this module loads. */
export const FULL_GRID: GridInput = fullGrid();

/** Every registered bilevel solver, in registry order (the other helpers' solvers join as they are registered). */
export function allBilevelSolvers(): string[] {
  return Object.values(SOLVERS)
    .filter((e) => e.bilevel !== false)
    .map((e) => e.name);
}

/**
 * Each solver's snapshot period on a row: the registry's `evalEvery` (loop methods, black-box searches: one evaluation
 * is already a solve) where it has one, else the row's.
 */
function registryEvalEvery(solvers: readonly string[]): Record<string, { evalEvery: number }> {
  return Object.fromEntries(solvers.flatMap((s) => (SOLVERS[s]?.evalEvery !== undefined ? [[s, { evalEvery: SOLVERS[s].evalEvery as number }]] : [])));
}

/** Per-solver steps of the all-solvers grid, by problem row: see {@link TUNED_STEPS}. */
export type TunedSteps = Readonly<Record<string, Readonly<Record<string, { readonly innerStep: number; readonly outerStep: number }>>>>;

/**
 * The steps of {@link allSolversGrid}, tuned by a small sweep ({@link stepSweepGrid}, {@link chooseSteps}): on the
 * default task, inner step ∈ {0.03, 0.1, 0.3} × outer step ∈ {0.03, 0.1, 0.3}, seeds 0–2, 1 s of solver time each,
 * the pair with the smallest median time to h − h* ≤ 1e-4·|h*| (reached by 2 of 3 seeds), else the smallest median
 * best suboptimality; on data cleaning (bundled subset), inner 0.02 (SABA's) × outer ∈ {1, 10, 100} (plus inner 0.01
 * × outer 1 for a first batch of solvers), seed 0, 2 s each, the smallest test error. dp-cd and noisy-sgd were left
 * out on data cleaning (a dp-cd step there outlasts the budget) and run at the row's steps. Measured on a shared
 * 2-core machine at load 10–17 (2026-12-07), so the times are noisy. A solver missing here runs at the row's steps.
 */
export const TUNED_STEPS: TunedSteps = {
  datacleaning: {
    amigo: { innerStep: 0.02, outerStep: 100 },
    'bo-rep': { innerStep: 0.02, outerStep: 1 },
    bome: { innerStep: 0.02, outerStep: 10 },
    bsa: { innerStep: 0.02, outerStep: 100 },
    esj: { innerStep: 0.01, outerStep: 1 },
    'esj-s': { innerStep: 0.01, outerStep: 1 },
    f2ba: { innerStep: 0.02, outerStep: 100 },
    f2sa: { innerStep: 0.02, outerStep: 100 },
    fsla: { innerStep: 0.02, outerStep: 10 },
    'implicit-diff': { innerStep: 0.01, outerStep: 1 },
    isgd: { innerStep: 0.02, outerStep: 100 },
    'ma-soba': { innerStep: 0.02, outerStep: 10 },
    maid: { innerStep: 0.01, outerStep: 1 },
    mrbo: { innerStep: 0.02, outerStep: 10 },
    saba: { innerStep: 0.02, outerStep: 10 },
    shine: { innerStep: 0.02, outerStep: 100 },
    'sl-bamm': { innerStep: 0.02, outerStep: 10 },
    soba: { innerStep: 0.02, outerStep: 100 },
    spaba: { innerStep: 0.02, outerStep: 10 },
    srba: { innerStep: 0.02, outerStep: 10 },
    stocbio: { innerStep: 0.02, outerStep: 100 },
    sustain: { innerStep: 0.02, outerStep: 10 },
    ttsa: { innerStep: 0.02, outerStep: 10 },
    vrbo: { innerStep: 0.02, outerStep: 1 },
  },
  'logreg-hpo': {
    amigo: { innerStep: 0.03, outerStep: 0.3 },
    'bo-rep': { innerStep: 0.3, outerStep: 0.03 },
    bome: { innerStep: 0.3, outerStep: 0.3 },
    bsa: { innerStep: 0.03, outerStep: 0.3 },
    'dp-cd': { innerStep: 0.03, outerStep: 0.3 },
    esj: { innerStep: 0.3, outerStep: 0.3 },
    'esj-s': { innerStep: 0.3, outerStep: 0.3 },
    f2ba: { innerStep: 0.03, outerStep: 0.3 },
    f2sa: { innerStep: 0.3, outerStep: 0.3 },
    fsla: { innerStep: 0.3, outerStep: 0.3 },
    'implicit-diff': { innerStep: 0.03, outerStep: 0.3 },
    isgd: { innerStep: 0.3, outerStep: 0.3 },
    'ma-soba': { innerStep: 0.3, outerStep: 0.3 },
    maid: { innerStep: 0.3, outerStep: 0.1 },
    mrbo: { innerStep: 0.3, outerStep: 0.3 },
    'noisy-sgd': { innerStep: 0.03, outerStep: 0.1 },
    saba: { innerStep: 0.1, outerStep: 0.3 },
    shine: { innerStep: 0.03, outerStep: 0.3 },
    'sl-bamm': { innerStep: 0.3, outerStep: 0.3 },
    soba: { innerStep: 0.3, outerStep: 0.3 },
    spaba: { innerStep: 0.1, outerStep: 0.3 },
    srba: { innerStep: 0.1, outerStep: 0.3 },
    stocbio: { innerStep: 0.3, outerStep: 0.3 },
    sustain: { innerStep: 0.03, outerStep: 0.3 },
    ttsa: { innerStep: 0.3, outerStep: 0.3 },
    vrbo: { innerStep: 0.03, outerStep: 0.3 },
  },
};

/** The row's per-solver overrides: the registry's snapshot period and the tuned steps. */
function allSolversOverrides(label: string, solvers: readonly string[]): Record<string, { evalEvery?: number; options?: Record<string, unknown> }> {
  const every = registryEvalEvery(solvers);
  const tuned = TUNED_STEPS[label] ?? {};
  const out: Record<string, { evalEvery?: number; options?: Record<string, unknown> }> = {};
  for (const s of solvers) {
    const o = { ...(every[s] ?? {}), ...(tuned[s] ? { options: { innerStep: tuned[s].innerStep, outerStep: tuned[s].outerStep } } : {}) };
    if (Object.keys(o).length) out[s] = o;
  }
  return out;
}

/**
 * `bilevel bench --grid all-solvers`: every registered bilevel solver (the new methods, the black-box baselines and
 * the other helpers' as they land) on the default task and on data cleaning, seeds 0–2, with each solver's steps from
 * {@link TUNED_STEPS}; 2 s (default task) and 4 s (data cleaning) of solver time per run as the default grid, so about
 * 2 × 28 × 3 runs in 15–25 minutes on this machine. `npm run bench`'s default grid is unchanged.
 */
export function allSolversGrid(): GridInput {
  const solvers = allBilevelSolvers();
  return {
    name: 'all-solvers',
    solvers,
    seeds: [0, 1, 2],
    problems: [
      { ...DEFAULT_GRID.problems[0], overrides: allSolversOverrides('logreg-hpo', solvers) },
      { ...DEFAULT_GRID.problems[1], overrides: allSolversOverrides('datacleaning', solvers) },
    ],
  };
}
