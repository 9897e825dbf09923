import { join } from 'node:path';
import { Rng } from '@bilevel/linalg';
import { bundledDataPath, featureMoments, loadUciCsv, splitDataset, standardize } from '@bilevel/problems';
import type { FractionalProblem } from '@bilevel/solvers';
import { fractionalCd } from '@bilevel/solvers';
import type { Logger } from '@bilevel/telemetry';
import { formatSummaryTable, TraceWriter, writeFileAtomic } from '@bilevel/telemetry';
import { TRAIN_FRACTION } from './build-problem';
import { EXIT } from './exit-codes';

/** ρ of the fractional task. */
export const FRACTIONAL_L1 = 0.01;

/**
 * The fractional task of `--problem fractional`: on the (standardized) training data with ±1 labels y,
 *   min_z F(z) = (½ mean_j (a_jᵀz − y_j)² + ρ‖z‖₁ + 1) / (wᵀz),   w = (1/n) Σ_j y_j a_j,
 * a sparse direction that fits the labels while keeping a large correlation wᵀz with them (f convex quadratic,
 * h = ρ‖·‖₁, g linear and positive on the domain). Solved by fractional coordinate descent from z₀ = w/‖w‖².
 */
export function fractionalTask(trainPath: string | undefined, seed: number): { problem: FractionalProblem; z0: Float64Array; info: Record<string, string | number> } {
  const path = trainPath ?? bundledDataPath('breast_cancer.csv');
  const data = loadUciCsv(path);
  const { train } = splitDataset(data, TRAIN_FRACTION, Rng.fromSeed(seed));
  const std = standardize(train, featureMoments(train.features));
  const { rows: n, cols: d, data: a } = std.features;
  const negative = Math.min(...train.labels);
  const y = Float64Array.from(train.labels, (l) => (l === negative ? -1 : 1));
  const w = new Float64Array(d);
  const c = new Float64Array(d);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < d; k++) {
      w[k] += (y[j] * a[j * d + k]) / n;
      c[k] += (a[j * d + k] * a[j * d + k]) / n;
    }
  }
  const r = new Float64Array(n);
  const residuals = (z: Float64Array) => {
    for (let j = 0; j < n; j++) {
      let s = -y[j];
      for (let k = 0; k < d; k++) s += a[j * d + k] * z[k];
      r[j] = s;
    }
  };
  let ww = 0;
  for (let k = 0; k < d; k++) ww += w[k] * w[k];
  const z0 = Float64Array.from(w, (v) => v / ww);
  const problem: FractionalProblem = {
    dim: d,
    f(z) {
      residuals(z);
      let s = 0;
      for (let j = 0; j < n; j++) s += r[j] * r[j];
      return 0.5 * (s / n) + 1;
    },
    partial(z, i) {
      residuals(z);
      let s = 0;
      for (let j = 0; j < n; j++) s += r[j] * a[j * d + i];
      return s / n;
    },
    coordinateLipschitz: c,
    l1: FRACTIONAL_L1,
    denominator: { linear: w },
  };
  return { problem, z0, info: { data: path, nTrain: n, features: d, l1: FRACTIONAL_L1 } };
}

/** `bilevel run --problem fractional --solver fractional-cd`: sweeps, trace and summary (no bilevel structure). */
export function runFractional(
  config: { train?: string; seed: number; maxIter: number; json: boolean },
  outDir: string,
  io: { stdout: NodeJS.WritableStream; log: Logger },
): number {
  const task = fractionalTask(config.train, config.seed);
  const t0 = performance.now();
  const res = fractionalCd(task.problem, { x0: task.z0, maxSweeps: Math.max(1, config.maxIter) });
  const seconds = (performance.now() - t0) / 1000;
  const trace = TraceWriter.open(join(outDir, 'trace.jsonl'));
  res.history.forEach((value, sweep) => trace.write({ iter: sweep, value }));
  trace.close();
  let nonzero = 0;
  for (const v of res.x) if (v !== 0) nonzero++;
  const summary = {
    problem: 'fractional',
    solver: 'fractional-cd',
    status: 'finished',
    iterations: res.sweeps,
    solverSeconds: seconds,
    x: Array.from(res.x),
    value: res.objective,
    converged: res.converged,
    nonzeros: nonzero,
    hypergradNorm: null,
    backend: 'float64 (analytic Float64Array kernels)',
    problemInfo: task.info,
    outDir,
  };
  writeFileAtomic(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  io.log.info({ sweeps: res.sweeps, F: res.objective, converged: res.converged, nonzeros: nonzero, outDir }, 'fractional coordinate descent ended');
  io.stdout.write((config.json ? JSON.stringify(summary) : formatSummaryTable(summary)) + '\n');
  return EXIT.ok;
}
