import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@bilevel/io';
import { aggregate } from '../bench/aggregate';
import type { RunResult } from '../bench/execute-run';
import type { RunSpec } from '../bench/expand-grid';
import { countRuns, gridRuns } from '../bench/expand-grid';
import type { Grid } from '../bench/grid-spec';
import { parseGrid } from '../bench/grid-spec';
import { machineInfo } from '../bench/machine-info';
import { ProblemCache } from '../bench/problem-cache';
import type { BenchReport, WrittenReport } from '../bench/report';
import { writeReport } from '../bench/report';
import { buildProblem } from '../build-problem';
import { runKey } from './run-key';
import { GRID_FILE, RUNS_FOLDER, RunStore } from './run-store';
import type { SweepExecutor, SweepJob } from './sweep-types';

/**
 * Runs a sweep accepts unless told otherwise (`--max-runs`): a grid is a product of lists, and a few long lists
 * multiply into billions of runs; each run is a folder, a result and seconds of a core.
 */
export const DEFAULT_MAX_RUNS = 100_000;

/** Run ids named in the error of a sweep that could not finish (the rest are counted). */
const LISTED_IDS = 20;

/** A step of a sweep, for a progress display: a run started on a worker, or a run ended with its result. */
export interface SweepProgress {
  readonly event: 'start' | 'result';
  readonly job: SweepJob;
  /** The worker that took the run (`start`). */
  readonly worker?: string;
  /** The run's result (`result`). */
  readonly result?: RunResult;
  /** Runs of the grid, those already complete in the folder, and those this sweep executes. */
  readonly total: number;
  readonly skipped: number;
  readonly pending: number;
  /** Runs of this sweep that ended so far, and how many of them with status 'error'. */
  readonly ran: number;
  readonly failed: number;
}

/** Options of {@link runSweep}. */
export interface RunSweepOptions {
  /**
   * The sweep folder: new, empty, or one an earlier sweep wrote (then its complete runs are skipped). Nothing is
   * created before the grid and its problems were validated.
   */
  readonly out: string;
  /** Where the runs execute (e.g. a {@link ProcessPool}); the caller closes it. */
  readonly executor: SweepExecutor;
  /** Called when a run starts and when it ends (after its result was stored). */
  readonly onProgress?: (progress: SweepProgress) => void;
  /** Abort: no new run starts; the report covers the runs that have results. */
  readonly signal?: AbortSignal;
  /** Largest number of runs the grid may expand to [{@link DEFAULT_MAX_RUNS}]: more is an InputError. */
  readonly maxRuns?: number;
}

/** What a sweep did and wrote. */
export interface SweepOutcome {
  /** Runs of the grid. */
  readonly total: number;
  /** Complete before this sweep (status finished or diverged in the folder): not run again. */
  readonly skipped: number;
  /** Executed by this sweep. */
  readonly ran: number;
  /** Executed by this sweep and recorded with status 'error' (pending again for the next sweep). */
  readonly failed: number;
  /** Left without a result because the sweep was aborted. */
  readonly notRun: number;
  /** Absolute path of the sweep folder. */
  readonly dir: string;
  readonly report: BenchReport;
  readonly written: WrittenReport;
}

/**
 * A sweep: validates the grid ({@link parseGrid}: a GridSpecError lists every problem with its path), counts its
 * runs and refuses more than `maxRuns` ({@link checkRunCount}) before expanding anything, then walks the runs one at
 * a time ({@link sweepJobs}: each addressed by {@link runKey}), skipping those complete in `<out>/runs/`. Each
 * problem of a pending run that reads data is built once in this process, so a bad data path is an InputError
 * before anything is written (h* and the synthetic quadratic are left to the workers). The pending runs go to
 * `options.executor` lazily, as it takes them, and each result is stored as it arrives, with its spec
 * ({@link RunStore}); then every run of the grid found in the store is aggregated ({@link aggregate}) and
 * results.json, table.md and the plots are written into `<out>` ({@link writeReport}). Runs of other grids that
 * share the folder stay in `runs/` but are not in the report. When the executor fails (its Redis gone), the report
 * of the stored runs is written all the same and a {@link SweepIncompleteError} says why, what was stored and how
 * to resume.
 *
 * @example
 * const pool = new ProcessPool({ workers: 2 });
 * try { const o = await runSweep(grid, { out: 'sweep-results/g', executor: pool }); } finally { await pool.close(); }
 */
export async function runSweep(gridInput: unknown, options: RunSweepOptions): Promise<SweepOutcome> {
  if (options === null || typeof options !== 'object') throw new TypeError('runSweep: options must be an object with out and executor');
  if (typeof options.out !== 'string' || options.out.length === 0) throw new TypeError(`runSweep: options.out is ${JSON.stringify(options.out)}; expected a folder path`);
  if (!options.executor || typeof options.executor.execute !== 'function') throw new TypeError('runSweep: options.executor must be a SweepExecutor');
  const start = performance.now();
  const grid: Grid = parseGrid(gridInput);
  const total = checkRunCount(grid, options.maxRuns);
  checkSweepDir(options.out);
  const store = new RunStore(options.out);
  // first pass: count the pending runs and find the problems they use, keeping nothing per run
  let pendingCount = 0;
  const problems = new Map<string, RunSpec>();
  for (const job of sweepJobs(grid)) {
    if (store.complete(job.key)) continue;
    pendingCount++;
    const key = ProblemCache.keyOf(job.spec.problem);
    if (!problems.has(key)) problems.set(key, job.spec);
  }
  checkProblems(problems.values());

  createSweepDir(options.out, store.dir);
  store.writeGrid(grid);
  const skipped = total - pendingCount;
  let ran = 0;
  let failed = 0;
  const stored: string[] = [];
  const counts = () => ({ total, skipped, pending: pendingCount, ran, failed });
  // second pass, lazily: the executor takes the pending runs as it needs them; each run's folder (spec.json and
  // result.json) is written when its result arrives
  const pending: Iterable<SweepJob> = {
    *[Symbol.iterator]() {
      for (const job of sweepJobs(grid)) if (!store.complete(job.key)) yield job;
    },
  };
  let failure: unknown;
  if (pendingCount > 0 && !options.signal?.aborted) {
    try {
      await options.executor.execute(pending, {
        onStart: (job, worker) => options.onProgress?.({ event: 'start', job, worker, ...counts() }),
        onResult: (job, result) => {
          store.writeResult(job, result);
          ran++;
          if (result.status === 'error') failed++;
          if (stored.length < LISTED_IDS) stored.push(job.spec.id);
          options.onProgress?.({ event: 'result', job, result, ...counts() });
        },
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (err) {
      // the runs that ended are stored: report them before saying why the sweep stopped
      failure = err;
    }
  }

  const results: RunResult[] = [];
  for (const job of sweepJobs(grid)) {
    const r = store.read(job.key);
    if (r) results.push(r);
  }
  const tolerances = Object.fromEntries(grid.problems.map((p) => [p.label ?? p.name, p.tolerances]));
  const report: BenchReport = {
    grid,
    results,
    aggregate: aggregate(results, { tolerances, gridPoints: grid.gridPoints }),
    machine: machineInfo(results.map((r) => r.backend)),
    wallSeconds: (performance.now() - start) / 1000,
  };
  const written = await writeReport(store.dir, report);
  const outcome: SweepOutcome = { total, skipped, ran, failed, notRun: pendingCount - ran, dir: store.dir, report, written };
  if (failure !== undefined) throw new SweepIncompleteError(failure, outcome, stored);
  return outcome;
}

/** The runs of a validated grid as sweep jobs (each with its {@link runKey}), one at a time. */
export function* sweepJobs(grid: Grid): Generator<SweepJob> {
  for (const spec of gridRuns(grid)) yield { key: runKey(spec), spec };
}

/**
 * The number of runs of a grid, refused above `maxRuns` before anything is expanded: an InputError naming the
 * count, its factors and `--max-runs`, whatever the size (a 10⁹-run grid is refused in microseconds).
 */
export function checkRunCount(grid: Grid, maxRuns: number = DEFAULT_MAX_RUNS, where = 'the grid'): number {
  if (!Number.isSafeInteger(maxRuns) || maxRuns < 1) throw new InputError(`received ${maxRuns}; expected a positive integer`, '--max-runs');
  const total = countRuns(grid);
  if (total > maxRuns) {
    const widest = Math.max(...grid.problems.map((p) => (p.solvers ?? grid.solvers).length));
    const fmt = (n: number) => n.toLocaleString('en-US');
    throw new InputError(
      `expands to ${fmt(total)} runs (${fmt(grid.problems.length)} problem row${grid.problems.length === 1 ? '' : 's'} × up to ${widest} solver${widest === 1 ? '' : 's'} × ${fmt(grid.seeds.length)} seed${grid.seeds.length === 1 ? '' : 's'}), ` +
        `more than the limit of ${fmt(maxRuns)}; nothing was run or written. Shrink the grid, or raise the limit with --max-runs ${total} if you mean it`,
      where,
    );
  }
  return total;
}

/**
 * A sweep whose executor failed (Redis gone for longer than its timeout): the runs that ended are stored and the
 * report of the stored runs is written; the message says why, what was stored and how to resume.
 */
export class SweepIncompleteError extends Error {
  override readonly name = 'SweepIncompleteError';
  constructor(
    override readonly cause: unknown,
    readonly outcome: SweepOutcome,
    /** Ids of (at most 20 of) the runs this sweep stored. */
    readonly storedIds: readonly string[],
  ) {
    const { ran, notRun, dir, report } = outcome;
    const ids = storedIds.length ? `: ${storedIds.join(', ')}${ran > storedIds.length ? `, and ${ran - storedIds.length} more` : ''}` : '';
    super(
      `${cause instanceof Error ? cause.message : String(cause)}\n` +
        `stored ${ran} run${ran === 1 ? '' : 's'} of this sweep in ${dir}/runs${ids}; ${notRun} not run (pending: run the same command again to resume); ` +
        `results.json and table.md cover the ${report.results.length} stored run${report.results.length === 1 ? '' : 's'} of the grid`,
    );
  }
}

/**
 * Accepts a sweep folder that is absent, empty, or written by an earlier sweep (it has grid.json or runs/), so the
 * same command resumes; refuses a file or any other non-empty folder, whose files a report could overwrite.
 */
export function checkSweepDir(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new InputError('exists and is not a folder', `--out ${dir}`);
  const entries = readdirSync(dir);
  if (entries.length > 0 && !entries.includes(GRID_FILE) && !entries.includes(RUNS_FOLDER)) {
    throw new InputError(`folder is not empty and holds no earlier sweep (no ${GRID_FILE}); choose a new folder or an earlier sweep's`, `--out ${dir}`);
  }
}

function createSweepDir(dir: string, abs: string): void {
  try {
    mkdirSync(join(abs, RUNS_FOLDER), { recursive: true });
    accessSync(abs, constants.W_OK);
  } catch (err) {
    throw new InputError(`cannot create or write the sweep folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`, `--out ${dir}`);
  }
}

/**
 * Problems built from a seed alone (no file, no user data): their build cannot fail on input, and the quadratic's
 * takes seconds (n = m = 1024 samples of dimension 100), so {@link checkProblems} leaves them to the workers.
 */
const SYNTHETIC_PROBLEMS: ReadonlySet<string> = new Set(['quadratic']);

/**
 * Builds each distinct problem of the pending runs (one spec per problem) once with `buildProblem` (the workers' code path), so a
 * missing or malformed data file is an InputError naming the grid row before anything is written. The reference
 * h* is left to the workers (an L-BFGS solve that cannot fail on bad input), and so are the synthetic problems.
 */
function checkProblems(specs: Iterable<RunSpec>): void {
  for (const spec of specs) {
    if (SYNTHETIC_PROBLEMS.has(spec.problem.name)) continue;
    try {
      buildProblem({ problem: spec.problem.name, ...spec.problem.config, oracles: undefined });
    } catch (err) {
      if (err instanceof InputError) throw new InputError(err.message, `grid problem ${spec.problem.label}`);
      throw new InputError(`cannot build the problem (${(err as Error).message})`, `grid problem ${spec.problem.label}`);
    }
  }
}
