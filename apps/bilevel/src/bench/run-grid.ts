import { InputError, prepareOutDir } from '@bilevel/problems';
import { aggregate } from './aggregate';
import type { RunResult } from './execute-run';
import { executeRun } from './execute-run';
import type { RunSpec } from './expand-grid';
import { expandGrid } from './expand-grid';
import type { Grid } from './grid-spec';
import { parseGrid } from './grid-spec';
import { machineInfo } from './machine-info';
import { ProblemCache } from './problem-cache';
import type { BenchReport, WrittenReport } from './report';
import { writeReport } from './report';

/** Options of {@link runGrid}. */
export interface RunGridOptions {
  /** Output folder: must be new or empty; created only after every problem was built. */
  readonly out: string;
  /** Called before each run (index from 0) and after it with its result. */
  readonly onRunStart?: (spec: RunSpec, index: number, total: number) => void;
  readonly onRunEnd?: (result: RunResult, index: number, total: number) => void;
}

/** What a grid produced. */
export interface GridOutcome {
  readonly report: BenchReport;
  readonly written: WrittenReport;
}

/**
 * Runs a grid in this process, one run after another: validates it, builds each problem (and its h*) once, so a
 * bad data path is an InputError before anything is written, creates the output folder, executes every run
 * ({@link executeRun}: failures are recorded, not thrown), aggregates and writes the report ({@link writeReport}).
 */
export async function runGrid(gridInput: unknown, options: RunGridOptions): Promise<GridOutcome> {
  const start = performance.now();
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
  const dir = prepareOutDir(options.out);
  const results: RunResult[] = [];
  for (const [i, spec] of runs.entries()) {
    options.onRunStart?.(spec, i, runs.length);
    const result = await executeRun(spec, { cache });
    results.push(result);
    options.onRunEnd?.(result, i, runs.length);
  }
  const tolerances = Object.fromEntries(grid.problems.map((p) => [p.label ?? p.name, p.tolerances]));
  const report: BenchReport = {
    grid,
    results,
    aggregate: aggregate(results, { tolerances, gridPoints: grid.gridPoints }),
    machine: machineInfo(results.map((r) => r.backend)),
    wallSeconds: (performance.now() - start) / 1000,
  };
  const written = await writeReport(dir, report);
  return { report, written };
}
