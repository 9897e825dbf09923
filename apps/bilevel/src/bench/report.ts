import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { renderVegaLiteSvg, svgToPng, writeFileAtomic } from '@bilevel/telemetry';
import type { ProblemAggregate } from './aggregate';
import { benchPlotSpec } from './bench-plot-spec';
import { toBenchoptCsv } from './benchopt-csv';
import { formatBenchTable } from './bench-table';
import type { RunResult } from './execute-run';
import type { Grid } from './grid-spec';
import type { MachineInfo } from './machine-info';

/** Everything a finished grid writes. */
export interface BenchReport {
  readonly grid: Grid;
  readonly results: readonly RunResult[];
  readonly aggregate: readonly ProblemAggregate[];
  readonly machine: MachineInfo;
  /** Wall time of the whole grid, evaluation and problem building included. */
  readonly wallSeconds: number;
}

/** What {@link writeReport} wrote. */
export interface WrittenReport {
  readonly dir: string;
  /** File names inside `dir`. */
  readonly files: readonly string[];
  /** The Markdown of table.md. */
  readonly markdown: string;
  /** Plots that could not be drawn, with the reason (the other files are written anyway). */
  readonly plotErrors: readonly string[];
}

/** The budget of each problem row, as the table states it. */
export function budgetsOf(grid: Grid): Record<string, string> {
  return Object.fromEntries(
    grid.problems.map((p) => {
      const parts = [...(p.maxSeconds !== undefined ? [`${p.maxSeconds} s of solver time`] : []), ...(p.maxIter !== undefined ? [`≤ ${p.maxIter} iterations`] : [])];
      return [p.label ?? p.name, `batch ${p.batch}, ${parts.join(' or ')} per run`];
    }),
  );
}

/**
 * Writes a grid's results into `dir` (created if needed), each file atomically ({@link writeFileAtomic}):
 * - `results.json`: the grid, the machine, every run (spec, status, evaluated points) and the aggregate;
 * - `results.csv`: every evaluated point in the public benchmark's (benchopt's) column layout ({@link toBenchoptCsv});
 * - `table.md`: the machine line and {@link formatBenchTable};
 * - `<problem>.svg` and `<problem>.png`: the two-panel chart of {@link benchPlotSpec}, rendered headless by vega.
 */
export async function writeReport(dir: string, report: BenchReport): Promise<WrittenReport> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const plotErrors: string[] = [];
  const write = (name: string, data: string | Uint8Array) => {
    writeFileAtomic(join(dir, name), data);
    files.push(name);
  };
  write('results.json', JSON.stringify(report, null, 1) + '\n');
  write('results.csv', toBenchoptCsv(report.results));
  const plots: string[] = [];
  for (const agg of report.aggregate) {
    if (agg.timeAxis.length === 0 && agg.callsAxis.length === 0) {
      plotErrors.push(`${agg.problem}: no run has an evaluated point with positive time`);
      continue;
    }
    try {
      const svg = await renderVegaLiteSvg(benchPlotSpec(agg), 'writeReport');
      write(`${agg.problem}.svg`, svg);
      write(`${agg.problem}.png`, svgToPng(svg));
      plots.push(agg.problem);
    } catch (err) {
      plotErrors.push(`${agg.problem}: ${(err as Error).message}`);
    }
  }
  const m = report.machine;
  const markdown = [
    `## Benchmark grid "${report.grid.name}"`,
    '',
    `${m.cpu}, ${m.cores} cores, ${m.totalMemoryGiB} GiB · Node ${m.node} · ${m.os} · ${m.backend} · ${m.date}${m.gitCommit ? ` · ${m.gitCommit.slice(0, 10)}` : ''}`,
    '',
    `${report.results.length} runs in ${report.wallSeconds.toFixed(0)} s of wall time. Time is solver time (evaluation excluded); ` +
      'calls count every oracle call of the three streams; medians over the seeds that reached the tolerance (k/n reached).',
    '',
    formatBenchTable(report.aggregate, budgetsOf(report.grid)),
    ...plots.map((p) => `![${p}](${p}.svg)`),
    '',
  ].join('\n');
  write('table.md', markdown);
  return { dir, files, markdown, plotErrors };
}

