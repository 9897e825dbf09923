import { checkOutDir, InputError } from '@bilevel/io';
import { InProcessExecutor } from '../sweep/in-process-executor';
import { runSweep } from '../sweep/sweep-engine';
import type { SweepExecutor } from '../sweep/sweep-types';
import type { RunResult } from './execute-run';
import type { RunSpec } from './expand-grid';
import { expandGrid } from './expand-grid';
import type { Grid } from './grid-spec';
import { parseGrid } from './grid-spec';
import { ProblemCache } from './problem-cache';
import type { BenchReport, WrittenReport } from './report';

/** Options of {@link runGrid}. */
export interface RunGridOptions {
  /** Output folder: must be new or empty; created only after every problem was built. */
  readonly out: string;
  /** Called before each run (index from 0: the order in which runs start) and after it with its result. */
  readonly onRunStart?: (spec: RunSpec, index: number, total: number) => void;
  readonly onRunEnd?: (result: RunResult, index: number, total: number) => void;
  /**
   * Where the runs execute. Default: this process, one run after another, sharing the problems built up front
   * (the solver timings of a benchmark do not compete for the cores). A {@link ProcessPool} runs them in parallel;
   * the caller closes it.
   */
  readonly executor?: SweepExecutor;
}

/** What a grid produced. */
export interface GridOutcome {
  readonly report: BenchReport;
  readonly written: WrittenReport;
}

/**
 * Runs a grid on the sweep engine ({@link runSweep}) into a new folder: validates it, builds each problem (and its
 * h*) once, so a bad data path is an InputError before anything is written, checks that the output folder is new
 * or empty, executes every run ({@link executeRun}: failures are recorded, not thrown; each result stored under
 * `<out>/runs/<key>/`), aggregates and writes the report ({@link writeReport}).
 */
export async function runGrid(gridInput: unknown, options: RunGridOptions): Promise<GridOutcome> {
  const grid: Grid = parseGrid(gridInput);
  const runs = expandGrid(grid);
  const cache = new ProblemCache();
  for (const spec of runs) {
    try {
      cache.get(spec);
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`cannot build the problem (${(err as Error).message})`, `grid problem ${spec.problem.label}`);
    }
  }
  checkOutDir(options.out);
  let started = 0;
  let ended = 0;
  const { report, written } = await runSweep(grid, {
    out: options.out,
    executor: options.executor ?? new InProcessExecutor(cache),
    onProgress: (p) => {
      if (p.event === 'start') options.onRunStart?.(p.job.spec, started++, p.total);
      else if (p.result) options.onRunEnd?.(p.result, ended++, p.total);
    },
  });
  return { report, written };
}
