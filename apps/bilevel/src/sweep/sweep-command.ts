import { createHash } from 'node:crypto';
import { basename, extname, join } from 'node:path';
import { InputError, readJsonFile } from '@bilevel/io';
import type { Progress } from '@bilevel/telemetry';
import { createProgress } from '@bilevel/telemetry';
import { EXIT } from '../exit-codes';
import type { Grid } from '../bench/grid-spec';
import { GridSpecError, parseGrid } from '../bench/grid-spec';
import { canonicalJson } from './canonical-json';
import { ExecutorUnavailableError } from './executor-unavailable-error';
import { MAX_POOL_WORKERS, ProcessPool } from './process-pool';
import type { SweepOutcome } from './sweep-engine';
import { checkRunCount, DEFAULT_MAX_RUNS, runSweep, SweepIncompleteError } from './sweep-engine';
import type { SweepExecutor } from './sweep-types';
import type { SweepDashboardRequest } from '../dashboard/sweep-dashboard';

/** Largest grid file `bilevel sweep` reads. */
export const MAX_GRID_BYTES = 10 * 2 ** 20;

/** Options of `bilevel sweep GRID.json`. */
export interface SweepOptions {
  /** The grid file (JSON, see {@link parseGrid}). Required. */
  readonly grid: string;
  /** The sweep folder. Default {@link defaultSweepDir}: the same command resumes in the same folder. */
  readonly out?: string;
  /** Worker processes. Default: the machine's cores (`os.availableParallelism()`). */
  readonly workers?: number;
  /** Print the counts and the aggregate as JSON on the last stdout line instead of the table. Default false. */
  readonly json?: boolean;
  /** Largest number of runs the grid may expand to [{@link DEFAULT_MAX_RUNS}] (`--max-runs`). */
  readonly maxRuns?: number;
}

/** Where `bilevel sweep` writes, and what it runs on. */
export interface SweepIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Draw a progress bar over the runs (with an ETA) on stderr. Default: whether stderr is a terminal. */
  readonly progress?: boolean;
  /** Abort (SIGINT): no new run starts; the report covers the runs that ended. */
  readonly signal?: AbortSignal;
  /** The executor (the Redis queue, a test double). Default a {@link ProcessPool} of `workers`, closed at the end. */
  readonly executor?: SweepExecutor;
  /**
   * Opens the executor once the grid was read and its runs counted (so a refused grid never connects to Redis);
   * the command closes it at the end. Used when `executor` is not given.
   */
  readonly openExecutor?: () => Promise<SweepExecutor>;
  /** `--dashboard`: a page of the grid's runs, opened once the grid is read (see dashboard/sweep-dashboard.ts). */
  readonly dashboard?: SweepDashboardRequest;
}

/**
 * Reads and validates a grid file: a missing or unreadable file, JSON syntax (with line and column) and every
 * problem of the grid (with its path, e.g. `problems.0.batch`) are one {@link InputError} naming the file.
 */
export function readGridFile(path: string): Grid {
  const raw = readJsonFile(path, { what: 'grid file', maxBytes: MAX_GRID_BYTES });
  try {
    return parseGrid(raw);
  } catch (err) {
    if (err instanceof GridSpecError) {
      throw new InputError(`the grid is invalid (${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}):\n  ${err.issues.join('\n  ')}`, path);
    }
    throw err;
  }
}

/**
 * The default sweep folder of a grid file: `sweep-results/<file name without .json>-<first 8 hex digits of the
 * SHA-256 of the validated grid's canonical JSON>`. The same grid (whatever its formatting or key order) maps to
 * the same folder, so re-running the command resumes; an edited grid gets a new folder.
 */
export function defaultSweepDir(file: string, grid: Grid): string {
  const hash8 = createHash('sha256').update(canonicalJson(grid)).digest('hex').slice(0, 8);
  return join('sweep-results', `${basename(file, extname(file))}-${hash8}`);
}

/**
 * `bilevel sweep GRID.json`: every run of the grid (problem × solver × seed, each through {@link executeRun}, the
 * code path of `bilevel run`) on a pool of worker processes, each result stored under `<out>/runs/<key>/` as it
 * arrives; runs already complete in the folder are skipped, so an interrupted sweep resumes. Writes results.json,
 * table.md and the plots of the whole grid into the folder, prints the table (or, with `json`, the aggregate as
 * the last stdout line) and `N runs: k skipped (complete), m ran, f failed; wrote DIR/{…}`. Runs that fail are
 * recorded with their error (exit 0); bad input is an InputError before anything is written (exit 2 in main), a
 * grid of more than `maxRuns` runs included (refused before it is expanded); aborted: exit 130. When the executor
 * gives up (its Redis unreachable past the timeout), the report of the stored runs is printed and written all the
 * same, then the reason, what was stored and how to resume, on stderr: exit {@link EXIT.unavailable}.
 */
export async function sweepCommand(options: SweepOptions, io: SweepIo): Promise<number> {
  if (typeof options.grid !== 'string' || options.grid.length === 0) throw new InputError('a grid file is required', 'GRID.json');
  if (options.workers !== undefined && (!Number.isInteger(options.workers) || options.workers < 1 || options.workers > MAX_POOL_WORKERS)) {
    throw new InputError(`received ${options.workers}, expected an integer from 1 to ${MAX_POOL_WORKERS}`, '--workers');
  }
  const grid = readGridFile(options.grid);
  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  checkRunCount(grid, maxRuns, options.grid);
  const out = options.out ?? defaultSweepDir(options.grid, grid);
  const dash = await io.dashboard?.start({ gridFile: options.grid, grid, out });
  const executor = io.executor ?? (io.openExecutor ? await io.openExecutor() : new ProcessPool(options.workers !== undefined ? { workers: options.workers } : {}));
  const enabled = io.progress ?? Boolean((io.stderr as { isTTY?: boolean }).isTTY);
  let progress: Progress | undefined;
  let outcome: SweepOutcome;
  let incomplete: SweepIncompleteError | undefined;
  try {
    outcome = await runSweep(grid, {
      out,
      executor,
      maxRuns,
      ...(io.signal ? { signal: io.signal } : {}),
      onProgress: (p) => {
        dash?.progress(p);
        progress ??= createProgress({ total: p.pending, enabled, label: 'sweep', stream: io.stderr });
        const run = p.event === 'start' ? p.job.spec.id : `${p.job.spec.id} ${p.result?.status ?? ''}`;
        progress.update(p.ran, { failed: p.failed, run });
      },
    });
  } catch (err) {
    if (!(err instanceof SweepIncompleteError && err.cause instanceof ExecutorUnavailableError)) throw err;
    incomplete = err;
    outcome = err.outcome;
  } finally {
    progress?.stop();
    if (!io.executor) await executor.close();
  }
  const { total, skipped, ran, failed, notRun, written, report } = outcome;
  if (options.json) {
    const cells = report.aggregate.map((p) => ({ ...p, timeAxis: undefined, callsAxis: undefined, cells: p.cells.map((c) => ({ ...c, byTime: undefined, byCalls: undefined })) }));
    io.stdout.write(
      JSON.stringify({ dir: written.dir, files: written.files, executor: executor.description, total, skipped, ran, failed, notRun, wallSeconds: report.wallSeconds, machine: report.machine, aggregate: cells }) + '\n',
    );
  } else {
    io.stdout.write(written.markdown + '\n');
    for (const e of written.plotErrors) io.stderr.write(`bilevel sweep: could not draw ${e}\n`);
    io.stdout.write(
      `${total} runs: ${skipped} skipped (complete), ${ran} ran, ${failed} failed${notRun ? `, ${notRun} not run (${incomplete ? 'the queue became unreachable' : 'interrupted'})` : ''}; ` +
        `wrote ${written.dir}/{${written.files.join(',')}}\n`,
    );
  }
  if (incomplete) {
    io.stderr.write(`bilevel sweep: error: ${incomplete.message}\n`);
    return EXIT.unavailable;
  }
  return io.signal?.aborted ? EXIT.interrupted : EXIT.ok;
}
