import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@bilevel/problems';
import { aggregate } from '../bench/aggregate';
import type { RunResult } from '../bench/execute-run';
import { expandGrid } from '../bench/expand-grid';
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
 * A sweep: validates the grid ({@link parseGrid}: a GridSpecError lists every problem with its path), expands it
 * into runs, each addressed by {@link runKey}, and skips those complete in `<out>/runs/`. Each problem of a pending
 * run that reads data is built once in this process, so a bad data path is an InputError before anything is
 * written (h* and the synthetic quadratic are left to the workers). The pending runs execute on
 * `options.executor`, each result stored as it arrives ({@link RunStore}); then every run of the grid found in the
 * store is aggregated ({@link aggregate}) and results.json, table.md and the plots are written into `<out>`
 * ({@link writeReport}). Runs of other grids that share the folder stay in `runs/` but are not in the report.
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
  const jobs: SweepJob[] = expandGrid(grid).map((spec) => ({ key: runKey(spec), spec }));
  checkSweepDir(options.out);
  const store = new RunStore(options.out);
  const pending = jobs.filter((j) => !store.complete(j.key));
  checkProblems(pending);

  createSweepDir(options.out, store.dir);
  store.writeGrid(grid);
  for (const job of pending) store.writeSpec(job);
  const total = jobs.length;
  const skipped = total - pending.length;
  let ran = 0;
  let failed = 0;
  const counts = () => ({ total, skipped, pending: pending.length, ran, failed });
  if (pending.length > 0 && !options.signal?.aborted) {
    await options.executor.execute(pending, {
      onStart: (job, worker) => options.onProgress?.({ event: 'start', job, worker, ...counts() }),
      onResult: (job, result) => {
        store.writeResult(job, result);
        ran++;
        if (result.status === 'error') failed++;
        options.onProgress?.({ event: 'result', job, result, ...counts() });
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  const results = jobs.map((j) => store.read(j.key)).filter((r): r is RunResult => r !== undefined);
  const tolerances = Object.fromEntries(grid.problems.map((p) => [p.label ?? p.name, p.tolerances]));
  const report: BenchReport = {
    grid,
    results,
    aggregate: aggregate(results, { tolerances, gridPoints: grid.gridPoints }),
    machine: machineInfo(results.map((r) => r.backend)),
    wallSeconds: (performance.now() - start) / 1000,
  };
  const written = await writeReport(store.dir, report);
  return { total, skipped, ran, failed, notRun: pending.length - ran, dir: store.dir, report, written };
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
 * Builds each distinct problem of the pending runs once with `buildProblem` (the workers' code path), so a
 * missing or malformed data file is an InputError naming the grid row before anything is written. The reference
 * h* is left to the workers (an L-BFGS solve that cannot fail on bad input), and so are the synthetic problems.
 */
function checkProblems(pending: readonly SweepJob[]): void {
  const seen = new Set<string>();
  for (const { spec } of pending) {
    const key = ProblemCache.keyOf(spec.problem);
    if (seen.has(key) || SYNTHETIC_PROBLEMS.has(spec.problem.name)) continue;
    seen.add(key);
    try {
      buildProblem({ problem: spec.problem.name, ...spec.problem.config, oracles: undefined });
    } catch (err) {
      if (err instanceof InputError) throw new InputError(err.message, `grid problem ${spec.problem.label}`);
      throw new InputError(`cannot build the problem (${(err as Error).message})`, `grid problem ${spec.problem.label}`);
    }
  }
}
