import type { TopLevelSpec } from 'vega-lite';
import { LOG_FLOOR } from '@bilevel/telemetry';
import type { ProblemAggregate, QuantileBand } from './aggregate';
import { BAND_QUANTILES } from './aggregate';
import { SUBOPTIMALITY } from './grid-spec';

/** Options of {@link benchPlotSpec}. */
export interface BenchPlotOptions {
  /** Width and height of each panel in pixels. Default 420 × 300. */
  readonly width?: number;
  readonly height?: number;
}

/** One drawn point of a band: the solver, the panel's axis value and the median and quantiles there. */
interface PlotRow {
  solver: string;
  x: number;
  median: number;
  lower: number;
  upper: number;
}

/** Axis title of a metric. */
export function metricTitle(metric: string): string {
  if (metric === SUBOPTIMALITY) return '(h − h*)/|h*|';
  return metric.replace(/([A-Z])/g, ' $1').toLowerCase();
}

/**
 * The Vega-Lite spec of a problem's two-panel chart in the style of the public benchmark: the metric against
 * solver time (left) and against oracle calls (right), log–log, one colour per solver, the median over seeds as a
 * line and the 20–80% quantiles as a translucent band (one area per solver and panel). Values ≤ 0 (an evaluation
 * at or below h* within rounding) are drawn at {@link LOG_FLOOR}.
 */
export function benchPlotSpec(agg: ProblemAggregate, options: BenchPlotOptions = {}): TopLevelSpec {
  const width = options.width ?? 420;
  const height = options.height ?? 300;
  const solvers = agg.cells.map((c) => c.solver);
  const rows = (pick: (c: ProblemAggregate['cells'][number]) => QuantileBand) => agg.cells.flatMap((c) => bandRows(c.solver, pick(c)));
  const yTitle = `${metricTitle(agg.metric)} (median, ${BAND_QUANTILES[0] * 100}–${BAND_QUANTILES[1] * 100}% over seeds)`;
  // one legend for both layers: drawn as strokes at full opacity, like the median lines
  const color = { field: 'solver', type: 'nominal' as const, scale: { domain: solvers }, legend: { title: 'solver', symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 } };
  const panel = (values: PlotRow[], xTitle: string) => ({
    width,
    height,
    data: { values },
    layer: [
      {
        mark: { type: 'area' as const, opacity: 0.18, clip: true, interpolate: 'step-after' as const },
        encoding: {
          x: { field: 'x', type: 'quantitative' as const, title: xTitle, scale: { type: 'log' as const } },
          y: { field: 'lower', type: 'quantitative' as const, title: yTitle, scale: { type: 'log' as const } },
          y2: { field: 'upper' },
          color,
        },
      },
      {
        mark: { type: 'line' as const, strokeWidth: 1.8, clip: true, interpolate: 'step-after' as const },
        encoding: {
          x: { field: 'x', type: 'quantitative' as const },
          y: { field: 'median', type: 'quantitative' as const },
          color,
        },
      },
    ],
  });
  const subtitle = [
    `${agg.seeds} seed${agg.seeds === 1 ? '' : 's'}`,
    ...(agg.hStar !== undefined ? [`h* = ${Number(agg.hStar.toPrecision(8))}`] : []),
    'solver time excludes evaluation',
  ].join(' · ');
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: agg.problem, subtitle, anchor: 'start' },
    background: 'white',
    config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 15, subtitleFontSize: 12 } },
    spacing: 40,
    resolve: { scale: { y: 'shared' } },
    hconcat: [panel(rows((c) => c.byTime), 'solver time (s)'), panel(rows((c) => c.byCalls), 'oracle calls')],
  };
}

/** The drawable points of a band: finite, the median known, values ≤ 0 at the log floor. */
function bandRows(solver: string, b: QuantileBand): PlotRow[] {
  const rows: PlotRow[] = [];
  const floor = (v: number) => Math.max(v, LOG_FLOOR);
  for (let i = 0; i < b.x.length; i++) {
    const m = b.median[i];
    const lo = b.lower[i];
    const hi = b.upper[i];
    if (m === null || lo === null || hi === null || !(b.x[i] > 0)) continue;
    rows.push({ solver, x: b.x[i], median: floor(m), lower: floor(lo), upper: floor(hi) });
  }
  return rows;
}
