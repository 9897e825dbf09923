import type { VegaLiteSpec } from './vega-lite-spec';
import { describeValue } from './describe-value';
import { renderVegaLiteSvg } from './render-vega-lite-svg';

/** One point of a run, as written to the trace. */
export interface ConvergenceRecord {
  /** Outer iteration. */
  iter: number;
  /** Time spent in the solver so far, in seconds (excluding evaluation and I/O). */
  solverSeconds: number;
  /** Outer objective h(x) = f(x, y*(x)) (an estimate). */
  value: number;
  /** Norm of the hypergradient estimate ‖∇h(x)‖. */
  hypergradNorm: number;
}

/** Options of {@link convergencePlotSvg}. */
export interface ConvergencePlotOptions {
  /** Plot title, e.g. the problem and solver. Required. */
  title: string;
  /**
   * Reference minimum h*. When given, the left panel shows the relative suboptimality (h − h*)/|h*| on a log
   * axis (h − h* when h* = 0); otherwise it shows h(x) on a linear axis. Default: none.
   */
  hStar?: number;
  /** Horizontal axis of both panels. Default `'solverSeconds'`. */
  xAxis?: 'solverSeconds' | 'iter';
  /** Records drawn per panel at most; longer runs are thinned evenly, keeping first and last. Default `2000`. */
  maxPoints?: number;
  /** Width of each panel in pixels. Default `420`. */
  width?: number;
  /** Height of each panel in pixels. Default `300`. */
  height?: number;
}

/** Values at or below zero are drawn at this floor on log axes (a log axis cannot show them). */
export const LOG_FLOOR = 1e-16;

/**
 * Log-axis labels at powers of ten only (vega also ticks 2…9 × 10^k): plain between 0.001 and 1000, else `1e-6`.
 */
const LOG_LABEL =
  "abs(log(datum.value) / LN10 - round(log(datum.value) / LN10)) > 1e-6 ? '' : " +
  "datum.value >= 1e-3 && datum.value <= 1e3 ? format(datum.value, '~g') : replace(format(datum.value, '.0e'), 'e+', 'e')";

const FIELDS = ['iter', 'solverSeconds', 'value', 'hypergradNorm'] as const;

/**
 * Convergence plot of a run as an SVG string: two panels side by side against solver time (or iterations),
 * (a) the relative suboptimality (h − h*)/|h*| on a log axis when `hStar` is given, else h(x), and (b) the
 * hypergradient norm ‖∇h(x)‖ on a log axis. Built as a Vega-Lite spec, compiled to Vega and rendered headless
 * (`renderer: 'none'`), so no browser or canvas is needed.
 *
 * Data handling, decided so that a diverging run still gets a plot:
 * - an empty `records` array, or a record whose fields are not numbers, is an error;
 * - non-finite values (NaN, ±Infinity) are left out of the panel they belong to, and the subtitle says how many;
 * - values ≤ 0 on a log axis are drawn at {@link LOG_FLOOR} = 1e-16, and the axis title says so;
 * - if no record has a single finite point to draw, that is an error.
 *
 * @example
 * const svg = await convergencePlotSvg(records, { title: 'logreg-hpo · SOBA', hStar: 0.3132 });
 * writeFileAtomic('runs/soba-1/convergence.svg', svg);
 */
export async function convergencePlotSvg(records: readonly ConvergenceRecord[], options: ConvergencePlotOptions): Promise<string> {
  return renderVegaLiteSvg(convergencePlotSpec(records, options), 'convergencePlotSvg');
}

/** The Vega-Lite spec behind {@link convergencePlotSvg}, exposed for tests and for custom rendering. */
export function convergencePlotSpec(records: readonly ConvergenceRecord[], options: ConvergencePlotOptions): VegaLiteSpec {
  const opts = validate(records, options);
  const { hStar, xAxis } = opts;
  const x = (r: ConvergenceRecord) => r[xAxis];

  const objective =
    hStar === undefined
      ? (r: ConvergenceRecord) => r.value
      : hStar === 0
        ? (r: ConvergenceRecord) => r.value - hStar
        : (r: ConvergenceRecord) => (r.value - hStar) / Math.abs(hStar);
  const left = panelData(records, x, objective, hStar !== undefined, opts.maxPoints);
  const right = panelData(records, x, (r) => r.hypergradNorm, true, opts.maxPoints);
  if (left.points.length === 0 && right.points.length === 0) {
    throw new RangeError(
      `convergencePlotSvg: none of the ${records.length} records has a finite ${xAxis} together with a finite value or hypergradNorm; expected at least one plottable record`,
    );
  }

  const xTitle = xAxis === 'solverSeconds' ? 'solver time (s)' : 'outer iteration';
  const clampNote = (n: number) => (n > 0 ? `; ${n} value${n === 1 ? '' : 's'} ≤ 0 drawn at 1e-16` : '');
  const leftTitle =
    hStar === undefined
      ? { panel: 'objective', axis: 'h(x)' }
      : { panel: 'relative suboptimality', axis: `${hStar === 0 ? 'h − h*' : '(h − h*)/|h*|'} (log${clampNote(left.clamped)})` };

  const subtitle: string[] = [];
  if (hStar !== undefined) subtitle.push(`h* = ${Number(hStar.toPrecision(6))}`);
  const n = records.length;
  if (left.dropped > 0 && left.dropped === right.dropped) subtitle.push(`not shown (non-finite): ${left.dropped} of ${n} records`);
  else if (left.dropped > 0 || right.dropped > 0) {
    const parts = [
      ...(left.dropped > 0 ? [`${left.dropped} of ${n} ${hStar === undefined ? 'h(x)' : 'suboptimality'} values`] : []),
      ...(right.dropped > 0 ? [`${right.dropped} of ${n} ‖∇h‖ values`] : []),
    ];
    subtitle.push(`not shown (non-finite): ${parts.join(', ')}`);
  }
  const shown = Math.max(left.points.length, right.points.length);
  if (left.thinned || right.thinned) subtitle.push(`${shown} of ${n} records drawn`);

  const panel = (title: string, data: PanelData, yTitle: string, log: boolean) => ({
    title,
    width: opts.width,
    height: opts.height,
    data: { values: data.points },
    mark: { type: 'line' as const, point: data.points.length <= 60, strokeWidth: 1.5, clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative' as const, title: xTitle },
      y: {
        field: 'y',
        type: 'quantitative' as const,
        title: yTitle,
        scale: log ? { type: 'log' as const } : { zero: false },
        ...(log ? { axis: { labelExpr: LOG_LABEL } } : {}),
      },
    },
  });

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: opts.title, ...(subtitle.length ? { subtitle: subtitle.join(' · ') } : {}), anchor: 'start' },
    background: 'white',
    config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 15, subtitleFontSize: 12 } },
    spacing: 40,
    resolve: { scale: { x: 'shared' } },
    hconcat: [
      panel(leftTitle.panel, left, leftTitle.axis, hStar !== undefined),
      panel('hypergradient norm', right, `‖∇h(x)‖ (log${clampNote(right.clamped)})`, true),
    ],
  };
}

interface PanelData {
  points: { x: number; y: number }[];
  /** Records left out because x or y was not finite. */
  dropped: number;
  /** Points raised to {@link LOG_FLOOR}. */
  clamped: number;
  /** Whether the points were thinned to `maxPoints`. */
  thinned: boolean;
}

function panelData(
  records: readonly ConvergenceRecord[],
  x: (r: ConvergenceRecord) => number,
  y: (r: ConvergenceRecord) => number,
  log: boolean,
  maxPoints: number,
): PanelData {
  let points: { x: number; y: number }[] = [];
  let dropped = 0;
  let clamped = 0;
  for (const r of records) {
    const px = x(r);
    let py = y(r);
    if (!Number.isFinite(px) || !Number.isFinite(py)) {
      dropped++;
      continue;
    }
    if (log && py < LOG_FLOOR) {
      if (py <= 0) clamped++;
      py = LOG_FLOOR;
    }
    points.push({ x: px, y: py });
  }
  const thinned = points.length > maxPoints;
  if (thinned) {
    const n = points.length;
    const all = points;
    points = Array.from({ length: maxPoints }, (_, i) => all[Math.round((i * (n - 1)) / (maxPoints - 1))]);
  }
  return { points, dropped, clamped, thinned };
}

interface ValidOptions {
  title: string;
  hStar: number | undefined;
  xAxis: 'solverSeconds' | 'iter';
  maxPoints: number;
  width: number;
  height: number;
}

function validate(records: readonly ConvergenceRecord[], options: ConvergencePlotOptions): ValidOptions {
  const fn = 'convergencePlotSvg';
  if (!Array.isArray(records)) throw new TypeError(`${fn}: records is ${describeValue(records)}; expected an array of records`);
  if (records.length === 0) throw new RangeError(`${fn}: records is an empty array; expected at least one record to plot`);
  records.forEach((r, i) => {
    if (r === null || typeof r !== 'object') throw new TypeError(`${fn}: records[${i}] is ${describeValue(r)}; expected an object`);
    for (const f of FIELDS) {
      if (typeof r[f] !== 'number') {
        throw new TypeError(`${fn}: records[${i}].${f} is ${describeValue(r[f])}; expected a number (NaN and ±Infinity are allowed and not drawn)`);
      }
    }
  });
  if (options === null || typeof options !== 'object') throw new TypeError(`${fn}: options is ${describeValue(options)}; expected an object with a title`);
  const { title, hStar, xAxis = 'solverSeconds', maxPoints = 2000, width = 420, height = 300 } = options;
  if (typeof title !== 'string' || title.trim().length === 0) {
    throw new TypeError(`${fn}: options.title is ${describeValue(title)}; expected a non-empty string`);
  }
  if (hStar !== undefined && (typeof hStar !== 'number' || !Number.isFinite(hStar))) {
    throw new RangeError(`${fn}: options.hStar is ${describeValue(hStar)}; expected a finite number or undefined`);
  }
  if (xAxis !== 'solverSeconds' && xAxis !== 'iter') {
    throw new RangeError(`${fn}: options.xAxis is ${describeValue(xAxis)}; expected 'solverSeconds' or 'iter'`);
  }
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new RangeError(`${fn}: options.maxPoints is ${describeValue(maxPoints)}; expected an integer >= 2`);
  }
  for (const [field, v] of [['width', width], ['height', height]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 50) {
      throw new RangeError(`${fn}: options.${field} is ${describeValue(v)}; expected a number of pixels >= 50`);
    }
  }
  return { title, hStar, xAxis, maxPoints, width, height };
}
