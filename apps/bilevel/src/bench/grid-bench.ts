import { runGrid } from './run-grid';
import { defaultBenchDir, selectGrid } from './bench-command';
import { createProgress } from '@bilevel/telemetry';

/**
 * The grid as a benchmark of `npm run bench -- grid [--full 1] [--seeds n]`: runs {@link DEFAULT_GRID} (or the
 * full grid), writes its folder under bench-results/, and returns one row per (problem, solver) for the console
 * table: runs reached / total at each tolerance with the median solver time, the median best metric and µs per
 * iteration.
 */
export async function benchGrid(args: Record<string, number> = {}): Promise<{ rows: Record<string, unknown>[] } & Record<string, unknown>> {
  const grid = selectGrid({ full: args.full === 1, ...(args.seeds !== undefined ? { seeds: args.seeds } : {}) });
  let progress: ReturnType<typeof createProgress> | undefined;
  const { report, written } = await runGrid(grid, {
    out: defaultBenchDir(),
    onRunStart: (spec, i, total) => {
      progress ??= createProgress({ total, label: 'grid' });
      progress.update(i, { run: spec.id });
    },
  });
  progress?.stop();
  const rows = report.aggregate.flatMap((p) =>
    p.cells.map((c) => ({
      problem: p.problem,
      solver: c.solver,
      ...Object.fromEntries(c.crossings.map((x) => [`s to ≤ ${x.tolerance}`, `${x.medianSeconds === null ? '—' : x.medianSeconds.toPrecision(3)} (${x.reached}/${x.of})`])),
      best: c.finalMedian === null ? null : Number(c.finalMedian.toPrecision(3)),
      'µs/iter': c.microsPerIteration === null ? null : Number(c.microsPerIteration.toPrecision(3)),
      failed: c.runs - c.finished,
    })),
  );
  return { benchmark: 'grid', grid: report.grid.name, runs: report.results.length, wallSeconds: Number(report.wallSeconds.toFixed(1)), dir: written.dir, files: written.files, rows };
}
