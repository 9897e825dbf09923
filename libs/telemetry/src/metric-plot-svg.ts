import type { TopLevelSpec } from 'vega-lite';
import type { VegaLiteSpec } from './vega-lite-spec';
import { renderVegaLiteSvg } from './render-vega-lite-svg';

/** One evaluation point of a series: x (e.g. solver seconds), the metric's mean and its interval half-width. */
export interface MetricPoint {
  readonly x: number;
  readonly mean: number;
  /** Half-width of the interval drawn around the mean (e.g. 1.96·sd/√n); 0 or absent draws none. */
  readonly halfWidth?: number;
}

/** A line of the plot: a method (or run) and its points. */
export interface MetricSeries {
  readonly label: string;
  readonly points: readonly MetricPoint[];
}

/** Options of {@link metricPlotSvg}. */
export interface MetricPlotOptions {
  /** Title, required. */
  readonly title: string;
  /** Axis titles, e.g. `solver time (s)` and `meta-test accuracy (%)`. */
  readonly xTitle: string;
  readonly yTitle: string;
  /** Draw y on a log axis (e.g. a mean squared error). Default false. */
  readonly logY?: boolean;
  /** A horizontal reference line and its label, e.g. a published figure. */
  readonly reference?: { readonly y: number; readonly label: string };
  /** Width and height in pixels. Defaults 520 × 320. */
  readonly width?: number;
  readonly height?: number;
}

/** The Vega-Lite spec behind {@link metricPlotSvg} (for tests and custom rendering). */
export function metricPlotSpec(series: readonly MetricSeries[], options: MetricPlotOptions): VegaLiteSpec {
  const fn = 'metricPlotSvg';
  if (!Array.isArray(series) || series.length === 0) throw new RangeError(`${fn}: series must be a non-empty array of { label, points }`);
  if (typeof options?.title !== 'string' || options.title === '') throw new TypeError(`${fn}: options.title must be a non-empty string`);
  const logY = options.logY ?? false;
  const rows: { series: string; x: number; y: number; lo: number; hi: number }[] = [];
  let dropped = 0;
  for (const s of series) {
    if (typeof s?.label !== 'string' || !Array.isArray(s.points)) throw new TypeError(`${fn}: each series must be { label: string, points: MetricPoint[] }`);
    for (const p of s.points) {
      const h = p.halfWidth ?? 0;
      if (!Number.isFinite(p.x) || !Number.isFinite(p.mean) || !Number.isFinite(h) || (logY && p.mean <= 0)) {
        dropped++;
        continue;
      }
      const lo = logY ? Math.max(p.mean - h, p.mean / 10) : p.mean - h;
      rows.push({ series: s.label, x: p.x, y: p.mean, lo, hi: p.mean + h });
    }
  }
  if (rows.length === 0) throw new RangeError(`${fn}: no point of the ${series.length} series has a finite x and mean${logY ? ' > 0' : ''}`);
  const width = options.width ?? 520;
  const height = options.height ?? 320;
  const y = { type: 'quantitative' as const, scale: logY ? { type: 'log' as const } : { zero: false } };
  const colour = { field: 'series', type: 'nominal' as const, title: null };
  const layers: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = [
    {
      mark: { type: 'area', opacity: 0.2 },
      encoding: { x: { field: 'x', type: 'quantitative', title: options.xTitle }, y: { field: 'lo', ...y, title: options.yTitle }, y2: { field: 'hi' }, color: colour },
    },
    {
      mark: { type: 'line', point: rows.length <= 80, strokeWidth: 1.8 },
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', ...y }, color: colour },
    },
  ];
  if (options.reference && Number.isFinite(options.reference.y)) {
    layers.push({
      data: { values: [{ ref: options.reference.y, label: options.reference.label }] },
      layer: [
        { mark: { type: 'rule', strokeDash: [6, 4], color: 'gray' }, encoding: { y: { field: 'ref', type: 'quantitative' } } },
        { mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: 'gray' }, encoding: { y: { field: 'ref', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } } },
      ],
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title, ...(dropped ? { subtitle: `${dropped} non-finite point(s) not shown` } : {}), anchor: 'start' },
    background: 'white',
    config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 15, subtitleFontSize: 12 } },
    width,
    height,
    data: { values: rows },
    layer: layers,
  } as TopLevelSpec;
}

/**
 * A metric against time (or iterations) for one or more series as an SVG string: each series a line with its
 * interval as a band (e.g. meta-test accuracy with its 95% interval against solver time, one line per method), and
 * an optional dashed reference line (a published figure). Rendered headless as {@link convergencePlotSvg} is.
 *
 * @example await metricPlotSvg([{ label: 'imaml', points: [{ x: 12.5, mean: 91.2, halfWidth: 0.8 }] }], { title: '5-way 1-shot', xTitle: 'solver time (s)', yTitle: 'accuracy (%)' })
 */
export async function metricPlotSvg(series: readonly MetricSeries[], options: MetricPlotOptions): Promise<string> {
  return renderVegaLiteSvg(metricPlotSpec(series, options), 'metricPlotSvg');
}
