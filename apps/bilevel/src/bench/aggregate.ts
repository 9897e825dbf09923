import type { EvalPoint, RunResult } from './execute-run';

/** Lower and upper quantiles of the band drawn around the median (as the public benchmark's plots). */
export const BAND_QUANTILES = [0.2, 0.8] as const;

/** Median and 20–80% band of the seeds' best-so-far metric on a common axis; `null` where no seed has a value yet. */
export interface QuantileBand {
  /** The axis: solver seconds or oracle calls, log-spaced. */
  readonly x: readonly number[];
  readonly median: readonly (number | null)[];
  readonly lower: readonly (number | null)[];
  readonly upper: readonly (number | null)[];
  /** Seeds with a value at each x. */
  readonly count: readonly number[];
}

/** Time and calls until the metric is ≤ `tolerance`, over the seeds that got there. */
export interface ToleranceCrossing {
  readonly tolerance: number;
  /** Seeds that reached it, out of `of` runs. */
  readonly reached: number;
  readonly of: number;
  /** Medians over the seeds that reached it; null when none did. */
  readonly medianSeconds: number | null;
  readonly medianCalls: number | null;
}

/** One (problem, solver) cell of the grid over its seeds. */
export interface CellAggregate {
  readonly problem: string;
  readonly solver: string;
  readonly metric: string;
  readonly runs: number;
  readonly finished: number;
  readonly diverged: number;
  readonly errors: number;
  /** Messages of the runs that failed (first few, distinct). */
  readonly errorMessages: readonly string[];
  readonly byTime: QuantileBand;
  readonly byCalls: QuantileBand;
  readonly crossings: readonly ToleranceCrossing[];
  /** Median over seeds of the best metric of the run; null when no run has a finite value. */
  readonly finalMedian: number | null;
  /** Median solver µs per outer iteration. */
  readonly microsPerIteration: number | null;
}

/** Per problem: the metric, its reference, the tolerances and the common axes. */
export interface ProblemAggregate {
  readonly problem: string;
  readonly metric: string;
  readonly hStar?: number;
  readonly tolerances: readonly number[];
  readonly seeds: number;
  readonly timeAxis: readonly number[];
  readonly callsAxis: readonly number[];
  readonly cells: readonly CellAggregate[];
}

/** Options of {@link aggregate}. */
export interface AggregateOptions {
  /** Tolerances of each problem label (default none). */
  readonly tolerances?: Readonly<Record<string, readonly number[]>>;
  /** Points of the log-spaced axes. Default 60. */
  readonly gridPoints?: number;
}

/**
 * The grid's runs summarized per (problem, solver), as the public benchmark (benchopt `benchmark_bilevel`) plots
 * them: each seed's best-so-far metric m̂(t) = min{ m_k : t_k ≤ t } is a step function of solver time (and of
 * oracle calls), read on a common log-spaced axis per problem from the smallest positive to the largest value seen
 * by any run of that problem; at each point the median and the 20% / 80% quantiles over the seeds that have a value
 * (linear interpolation between order statistics, numpy's default). A seed that stopped early keeps its last best
 * until the solver's longest run ends; the solver's curve ends there.
 * Tolerance crossings are read on the runs' own evaluations: the first t_k (and calls) with m_k ≤ tol.
 */
export function aggregate(results: readonly RunResult[], options: AggregateOptions = {}): ProblemAggregate[] {
  const gridPoints = options.gridPoints ?? 60;
  if (!Number.isInteger(gridPoints) || gridPoints < 2) throw new RangeError(`aggregate: options.gridPoints must be an integer ≥ 2, received ${gridPoints}`);
  const byProblem = groupBy(results, (r) => r.spec.problem.label);
  const out: ProblemAggregate[] = [];
  for (const [problem, runs] of byProblem) {
    const tolerances = [...(options.tolerances?.[problem] ?? [])].sort((a, b) => b - a);
    const timeAxis = logAxis(runs.flatMap((r) => r.points.map((p) => p.solverSeconds)), gridPoints);
    const callsAxis = logAxis(runs.flatMap((r) => r.points.map((p) => p.oracleCalls)), gridPoints);
    const cells = [...groupBy(runs, (r) => r.spec.solver)].map(([solver, cell]) => aggregateCell(problem, solver, cell, tolerances, timeAxis, callsAxis));
    const hStar = runs.find((r) => r.hStar !== undefined)?.hStar;
    out.push({
      problem,
      metric: runs[0].spec.metric,
      ...(hStar !== undefined ? { hStar } : {}),
      tolerances,
      seeds: new Set(runs.map((r) => r.spec.seed)).size,
      timeAxis,
      callsAxis,
      cells,
    });
  }
  return out;
}

function aggregateCell(problem: string, solver: string, runs: RunResult[], tolerances: readonly number[], timeAxis: number[], callsAxis: number[]): CellAggregate {
  const finite = (p: EvalPoint) => typeof p.metric === 'number' && Number.isFinite(p.metric);
  const crossings = tolerances.map((tolerance): ToleranceCrossing => {
    const hits = runs.map((r) => r.points.find((p) => finite(p) && p.metric <= tolerance)).filter((p): p is EvalPoint => p !== undefined);
    return {
      tolerance,
      reached: hits.length,
      of: runs.length,
      medianSeconds: quantile(hits.map((p) => p.solverSeconds), 0.5),
      medianCalls: quantile(hits.map((p) => p.oracleCalls), 0.5),
    };
  });
  const best = runs.map((r) => Math.min(...r.points.filter(finite).map((p) => p.metric))).filter(Number.isFinite);
  const micros = runs.filter((r) => r.iterations > 0).map((r) => (r.solverSeconds * 1e6) / r.iterations);
  const messages = [...new Set(runs.flatMap((r) => (r.error ? [`${r.error.name}: ${r.error.message}`] : [])))].slice(0, 3);
  return {
    problem,
    solver,
    metric: runs[0].spec.metric,
    runs: runs.length,
    finished: runs.filter((r) => r.status === 'finished').length,
    diverged: runs.filter((r) => r.status === 'diverged').length,
    errors: runs.filter((r) => r.status === 'error').length,
    errorMessages: messages,
    byTime: band(runs, timeAxis, (p) => p.solverSeconds),
    byCalls: band(runs, callsAxis, (p) => p.oracleCalls),
    crossings,
    finalMedian: quantile(best, 0.5),
    microsPerIteration: quantile(micros, 0.5),
  };
}

/**
 * Median and band over the runs of each run's best-so-far metric, read on `axis` up to the end of the cell's longest
 * run (its last evaluation): past it the cell has no value (null, count 0), so its line stops where its runs stopped
 * instead of running flat to the end of the axis, which the longest run of any solver sets.
 */
function band(runs: RunResult[], axis: number[], at: (p: EvalPoint) => number): QuantileBand {
  let end = -Infinity;
  for (const r of runs) for (const p of r.points) if (Number.isFinite(p.metric) && at(p) > end) end = at(p);
  const curves = runs.map((r) => bestSoFar(r.points, at, axis).map((m, i) => (axis[i]! <= end ? m : NaN)));
  const median: (number | null)[] = [];
  const lower: (number | null)[] = [];
  const upper: (number | null)[] = [];
  const count: number[] = [];
  for (let i = 0; i < axis.length; i++) {
    const values = curves.map((c) => c[i]).filter(Number.isFinite);
    median.push(quantile(values, 0.5));
    lower.push(quantile(values, BAND_QUANTILES[0]));
    upper.push(quantile(values, BAND_QUANTILES[1]));
    count.push(values.length);
  }
  return { x: axis, median, lower, upper, count };
}

/**
 * m̂(a) = min{ m_k : at(p_k) ≤ a } at each a of the increasing `axis` (NaN before the first finite point). The
 * points need not be sorted by `at` (solver time is, oracle calls are too); non-finite metrics are skipped.
 */
export function bestSoFar(points: readonly EvalPoint[], at: (p: EvalPoint) => number, axis: readonly number[]): number[] {
  const sorted = points.filter((p) => Number.isFinite(p.metric) && Number.isFinite(at(p))).sort((a, b) => at(a) - at(b));
  const out: number[] = [];
  let k = 0;
  let best = NaN;
  for (const a of axis) {
    while (k < sorted.length && at(sorted[k]) <= a) {
      const m = sorted[k++].metric;
      if (!(m >= best)) best = m;
    }
    out.push(best);
  }
  return out;
}

/**
 * The q-quantile of `values` by linear interpolation between order statistics (position q·(n − 1), numpy's
 * default): null for an empty list.
 */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (pos - lo) * (s[hi] - s[lo]);
}

/** `n` log-spaced points from the smallest positive to the largest finite value (one point if they coincide). */
export function logAxis(values: readonly number[], n: number): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || v <= 0) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return [];
  if (hi <= lo) return [lo];
  const a = Math.log(lo);
  const step = (Math.log(hi) - a) / (n - 1);
  // the ends exactly, so the last evaluation of the longest run is on the axis
  return Array.from({ length: n }, (_, i) => (i === 0 ? lo : i === n - 1 ? hi : Math.exp(a + i * step)));
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}
