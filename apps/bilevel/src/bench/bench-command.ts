import { join } from 'node:path';
import { InputError } from '@bilevel/io';
import { createProgress } from '@bilevel/telemetry';
import { EXIT } from '../exit-codes';
import { allSolversGrid, DEFAULT_GRID, FULL_GRID } from './default-grids';
import type { GridInput } from './grid-spec';
import { GridSpecError } from './grid-spec';
import { MAX_POOL_WORKERS, ProcessPool } from '../sweep/process-pool';
import { runGrid } from './run-grid';

/** Options of `bilevel bench`. */
export interface BenchOptions {
  /** The complete grid ({@link FULL_GRID}) instead of {@link DEFAULT_GRID}. Default false. */
  readonly full?: boolean;
  /**
   * The grid by name: `default` ({@link DEFAULT_GRID}), `full` ({@link FULL_GRID}) or `all-solvers` (every registered
   * bilevel solver with tuned steps, {@link allSolversGrid}). Default: `full` when `full` is set, else `default`.
   */
  readonly grid?: string;
  /** Seeds 0…n−1 instead of the grid's. */
  readonly seeds?: number;
  /** Output folder, new or empty. Default `bench-results/grid-<time>/`. */
  readonly out?: string;
  /** Problem rows to keep (labels or names). Default all. */
  readonly problems?: readonly string[];
  /** Solvers to keep. Default all of the grid's. */
  readonly solvers?: readonly string[];
  /** Print the aggregate as JSON on the last stdout line instead of the table. Default false. */
  readonly json?: boolean;
  /**
   * Run on a pool of this many worker processes (the sweep engine's). Default: in this process, one run after
   * another, so the measured solver times do not compete for the cores.
   */
  readonly workers?: number;
}

/** Where `bilevel bench` writes. */
export interface BenchIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Draw a progress bar on stderr. Default: whether stderr is a terminal. */
  readonly progress?: boolean;
}

/** Largest number of seeds `--seeds` accepts. */
const MAX_SEEDS = 100;

/** The default output folder: bench-results/grid-<time>. */
export function defaultBenchDir(now: Date = new Date()): string {
  return join('bench-results', `grid-${now.toISOString().replace(/[:.]/g, '-')}`);
}

/**
 * The grid chosen by the options: `full` picks the complete grid, `seeds` replaces the seeds by 0…n−1, `problems`
 * and `solvers` keep only those rows and solvers (an unknown name is an InputError listing the known ones).
 */
export function selectGrid(options: BenchOptions): GridInput {
  const named: Record<string, () => GridInput> = { default: () => DEFAULT_GRID, full: () => FULL_GRID, 'all-solvers': allSolversGrid };
  const name = options.grid ?? (options.full ? 'full' : 'default');
  if (!Object.hasOwn(named, name)) throw new InputError(`unknown grid "${name}"; expected one of ${Object.keys(named).join(', ')}`, '--grid');
  if (options.full && name !== 'full') throw new InputError(`--full selects the full grid; it cannot be combined with --grid ${name}`, '--grid');
  const base = named[name]();
  let grid: GridInput = { ...base, problems: [...base.problems] };
  if (options.seeds !== undefined) {
    if (!Number.isInteger(options.seeds) || options.seeds < 1 || options.seeds > MAX_SEEDS) {
      throw new InputError(`received ${options.seeds}, expected an integer from 1 to ${MAX_SEEDS}`, '--seeds');
    }
    grid = { ...grid, seeds: Array.from({ length: options.seeds }, (_, i) => i) };
  }
  if (options.problems?.length) {
    const labels = grid.problems.map((p) => p.label ?? p.name);
    const unknown = options.problems.filter((n) => !labels.includes(n) && !grid.problems.some((p) => p.name === n));
    if (unknown.length) throw new InputError(`unknown problem ${unknown.map((u) => `"${u}"`).join(', ')}; the ${grid.name} grid has ${labels.join(', ')}`, '--problems');
    grid = { ...grid, problems: grid.problems.filter((p) => options.problems!.includes(p.label ?? p.name) || options.problems!.includes(p.name)) };
  }
  if (options.solvers?.length) {
    const all = [...new Set([...grid.solvers, ...grid.problems.flatMap((p) => p.solvers ?? [])])];
    const unknown = options.solvers.filter((s) => !all.includes(s));
    if (unknown.length) throw new InputError(`unknown solver ${unknown.map((u) => `"${u}"`).join(', ')}; the ${grid.name} grid runs ${all.join(', ')}`, '--solvers');
    const keep = (list: readonly string[]) => list.filter((s) => options.solvers!.includes(s));
    grid = {
      ...grid,
      solvers: keep(grid.solvers),
      problems: grid.problems
        .map((p) => ({
          ...p,
          ...(p.solvers ? { solvers: keep(p.solvers) } : {}),
          ...(p.overrides ? { overrides: Object.fromEntries(Object.entries(p.overrides).filter(([s]) => options.solvers!.includes(s))) } : {}),
        }))
        .filter((p) => (p.solvers ?? grid.solvers).length > 0),
    };
    if (grid.problems.length === 0) {
      throw new InputError(`none of the solvers ${options.solvers.join(', ')} runs on the selected problems`, '--solvers');
    }
  }
  return grid;
}

/**
 * `bilevel bench`: runs the benchmark grid (solver × problem × seed) on the sweep engine, in this process one run
 * after another (or on a pool of `workers` processes), each result stored under `<out>/runs/<key>/`, and
 * writes results.json, table.md and a two-panel plot per problem (SVG and PNG) into the output folder; prints the
 * Markdown table (or, with `json`, the aggregate) and where the files are. Bad options are one InputError;
 * failed runs are recorded in the results, not thrown. Returns the exit code.
 */
export async function benchCommand(options: BenchOptions, io: BenchIo): Promise<number> {
  let grid: GridInput;
  try {
    grid = selectGrid(options);
  } catch (err) {
    if (err instanceof GridSpecError) throw new InputError(err.issues.join('; '), 'bench grid');
    throw err;
  }
  if (options.workers !== undefined && (!Number.isInteger(options.workers) || options.workers < 1 || options.workers > MAX_POOL_WORKERS)) {
    throw new InputError(`received ${options.workers}, expected an integer from 1 to ${MAX_POOL_WORKERS}`, '--workers');
  }
  const enabled = io.progress ?? Boolean((io.stderr as { isTTY?: boolean }).isTTY);
  let progress: ReturnType<typeof createProgress> | undefined;
  let outcome;
  let ended = 0;
  const pool = options.workers !== undefined ? new ProcessPool({ workers: options.workers }) : undefined;
  try {
    outcome = await runGrid(grid, {
      out: options.out ?? defaultBenchDir(),
      ...(pool ? { executor: pool } : {}),
      onRunStart: (spec, _i, total) => {
        progress ??= createProgress({ total, enabled, label: 'bench', stream: io.stderr });
        progress.update(ended, { run: spec.id });
      },
      onRunEnd: (r) => progress?.update(++ended, { run: r.id, status: r.status }),
    });
  } catch (err) {
    if (err instanceof GridSpecError) throw new InputError(err.issues.join('; '), 'bench grid');
    throw err;
  } finally {
    progress?.stop();
    await pool?.close();
  }
  const { report, written } = outcome;
  const failed = report.results.filter((r) => r.status !== 'finished').length;
  if (options.json) {
    const cells = report.aggregate.map((p) => ({ ...p, timeAxis: undefined, callsAxis: undefined, cells: p.cells.map((c) => ({ ...c, byTime: undefined, byCalls: undefined })) }));
    io.stdout.write(JSON.stringify({ dir: written.dir, files: written.files, runs: report.results.length, failed, wallSeconds: report.wallSeconds, machine: report.machine, aggregate: cells }) + '\n');
  } else {
    io.stdout.write(written.markdown + '\n');
    for (const e of written.plotErrors) io.stderr.write(`bilevel bench: could not draw ${e}\n`);
    io.stdout.write(`${report.results.length} runs (${failed} did not finish) in ${report.wallSeconds.toFixed(1)} s; wrote ${written.dir}/{${written.files.join(',')}}\n`);
  }
  return EXIT.ok;
}
