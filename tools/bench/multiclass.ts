import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Rng } from '@bilevel/linalg';
import { gridSearchShared, lbfgsOnHypergradient, loadClassificationCsv, multiclassHpo, splitTrainValTest } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { DivergenceError, runLoop } from '@bilevel/streams';

const UCI = fileURLToPath(new URL('../../../shared/data/uci/', import.meta.url));
const DATASETS = ['digits.csv.gz', 'wine_data.csv', 'iris.csv'] as const;

/** The shared-weight grid: x = t·1 for t = 4, 3.6, …, −12 (41 values, e^x from 55 down to 6e-6). */
export const MULTICLASS_GRID = Array.from({ length: 41 }, (_, k) => +(4 - 0.4 * k).toFixed(10));

const pct = (e: number | undefined) => (e === undefined || Number.isNaN(e) ? '—' : +(100 * e).toFixed(2));
const verdict = (hpo: number, grid: number) => (hpo < grid ? 'beats' : hpo === grid ? 'ties' : 'loses');

/** One data set × split seed of {@link benchMulticlass}. */
export interface MulticlassComparison {
  readonly dataset: string;
  readonly seed: number;
  readonly gridT: number;
  readonly gridValLoss: number;
  readonly gridTestError: number;
  readonly hpoValLoss: number;
  readonly hpoTestError: number;
  readonly hpoX: Float64Array;
  readonly hpoSeconds: number;
  readonly sabaValLoss: number;
  readonly sabaTestError: number;
  readonly sabaIterations: number;
}

/**
 * The comparison behind the figure, for one data set and split seed: 50/25/25 stratified split; the
 * single-shared-weight baseline = the grid {@link MULTICLASS_GRID} on x = t·1 picked by validation loss (exact h);
 * per-class HPO (`reg: 'class'`) from that grid point by
 *   (1) L-BFGS on exact hypergradients (`lbfgsOnHypergradient`: warm-started Newton inner solve + Cholesky implicit
 *       differentiation), to ‖∇h‖ ≤ 1e-6 or 100 steps, and
 *   (2) SABA (registered stochastic solver, batch 64) warm-started at (z*, v*, x) of the grid point, steps
 *       ρ = 1/(3·L_max) (the per-sample curvature bound of `innerConstants`), γ = ρ·outerRatio (default 0.1; with 1,
 *       SABA diverged on one of five wine splits), for `sabaSeconds` (default 10) of solver time; a divergence is
 *       reported as NaN.
 * Test error is measured at the exact inner solution z*(x) of the final x.
 */
export function compareMulticlass(path: string, seed: number, options: { sabaSeconds?: number; outerRatio?: number } = {}): MulticlassComparison {
  const data = loadClassificationCsv(path);
  const { train, val, test } = splitTrainValTest(data, Rng.fromSeed(seed));
  const problem = multiclassHpo(train, val, { reg: 'class', test });
  const grid = gridSearchShared(problem, MULTICLASS_GRID);
  const t0 = performance.now();
  const hpo = lbfgsOnHypergradient(problem, { x0: grid.x, z0: grid.z, gtol: 1e-6, maxIter: 100 });
  const hpoSeconds = (performance.now() - t0) / 1000;
  const rho = 1 / (3 * problem.innerConstants(grid.x).LMaxSample);
  let sabaValLoss = NaN;
  let sabaTestError = NaN;
  let sabaIterations = 0;
  try {
    const last = runLoop(problem, saba({ batchSize: 64, innerStep: rho, outerStep: rho * (options.outerRatio ?? 0.1) }), {
      seed,
      maxIter: 1e9,
      maxSeconds: options.sabaSeconds ?? 10,
      sampleEvery: 1e9,
      z0: grid.z,
      v0: grid.v,
      x0: grid.x,
    });
    const h = problem.hypergradient(last.x, { z0: grid.z });
    sabaValLoss = h.value;
    sabaTestError = problem.metrics(last.x, h.z).testError;
    sabaIterations = last.iteration;
  } catch (err) {
    if (!(err instanceof DivergenceError)) throw err;
  }
  return {
    dataset: path.split('/').pop() ?? path,
    seed,
    gridT: grid.t,
    gridValLoss: grid.value,
    gridTestError: grid.metrics?.testError ?? NaN,
    hpoValLoss: hpo.value,
    hpoTestError: problem.metrics(hpo.x, hpo.z).testError,
    hpoX: hpo.x,
    hpoSeconds,
    sabaValLoss,
    sabaTestError,
    sabaIterations,
  };
}

/**
 * `npm run bench -- multiclass`: per-class L2 hyperparameter optimization against the best single shared weight of a
 * 41-value grid, on digits, wine and iris from ../shared/data/uci, for `seeds` split seeds (default 5): one row per
 * data set and seed (grid-best and HPO test error in %, both validation losses), then a summary row per data set
 * (mean test errors, and how often HPO beats / ties / loses against the grid).
 */
export async function benchMulticlass(args: { seeds?: number; sabaSeconds?: number; outerRatio?: number } = {}) {
  if (!existsSync(UCI)) throw new Error(`bench multiclass: ${UCI} not found (the shared data sets)`);
  const seeds = args.seeds ?? 5;
  const rows: Record<string, unknown>[] = [];
  const summary: Record<string, unknown>[] = [];
  for (const name of DATASETS) {
    const results: MulticlassComparison[] = [];
    for (let seed = 0; seed < seeds; seed++) {
      const r = compareMulticlass(UCI + name, seed, args);
      results.push(r);
      rows.push({
        'data set': r.dataset,
        seed,
        'grid x': r.gridT,
        'grid val loss': +r.gridValLoss.toFixed(4),
        'grid test err %': pct(r.gridTestError),
        'HPO val loss': +r.hpoValLoss.toFixed(4),
        'HPO test err %': pct(r.hpoTestError),
        'HPO vs grid': verdict(r.hpoTestError, r.gridTestError),
        'HPO s': +r.hpoSeconds.toFixed(1),
        'SABA val loss': Number.isNaN(r.sabaValLoss) ? 'diverged' : +r.sabaValLoss.toFixed(4),
        'SABA test err %': pct(r.sabaTestError),
        'SABA iterations': r.sabaIterations,
      });
    }
    const mean = (f: (r: MulticlassComparison) => number) => results.reduce((s, r) => s + f(r), 0) / results.length;
    const count = (v: string) => results.filter((r) => verdict(r.hpoTestError, r.gridTestError) === v).length;
    const sabaOk = results.filter((r) => !Number.isNaN(r.sabaTestError));
    summary.push({
      'data set': name,
      seeds,
      'grid test err % (mean)': pct(mean((r) => r.gridTestError)),
      'HPO test err % (mean)': pct(mean((r) => r.hpoTestError)),
      'HPO beats/ties/loses': `${count('beats')}/${count('ties')}/${count('loses')}`,
      'grid val loss (mean)': +mean((r) => r.gridValLoss).toFixed(4),
      'HPO val loss (mean)': +mean((r) => r.hpoValLoss).toFixed(4),
      'SABA test err % (mean)': sabaOk.length ? pct(sabaOk.reduce((s, r) => s + r.sabaTestError, 0) / sabaOk.length) : '—',
      'SABA diverged': results.length - sabaOk.length,
    });
  }
  return {
    benchmark: 'multiclass',
    task: '50/25/25 stratified splits; grid: x = t·1, t ∈ {4, 3.6, …, −12} by validation loss; HPO: per-class weights by L-BFGS on exact hypergradients from the grid point; SABA: batch 64, ρ = 1/(3 L_max), from the grid point',
    sabaSeconds: args.sabaSeconds ?? 10,
    summary,
    rows: [...rows, ...summary],
  };
}
