import type { TopLevelSpec } from 'vega-lite';
import type { VegaLiteSpec } from './vega-lite-spec';
import { certificatePlotContour, validateBox, validateGrid } from './certificate-plot-contour';
import type { CertificatePlotBox, CertificatePlotGrid } from './certificate-plot-contour';
import { describeValue } from './describe-value';
import { renderVegaLiteSvg } from './render-vega-lite-svg';

/** 2-D points: an array of [x₁, x₂] pairs, or a Float64Array packed [x₁, x₂, x₁, x₂, …]. */
export type CertificatePlotPoints = readonly (readonly [number, number])[] | Float64Array;

/** A set in the plane: a closed ball (drawn as a polygon of `ballPoints` vertices) or a simple polygon. */
export type CertificatePlotRegion =
  | { kind: 'ball'; centre: readonly [number, number]; radius: number }
  | { kind: 'polygon'; points: CertificatePlotPoints };

/** One closed-loop trajectory x₀, x₁, …, x_T (at least two states). */
export interface CertificatePlotTrajectory {
  points: CertificatePlotPoints;
  /** Whether the trajectory enters the unsafe set (decided by the caller); drawn in the warning colour. */
  entersUnsafe: boolean;
}

/** The certificate B sampled on a grid over the state box, with the level to draw. */
export interface CertificatePlotCertificate extends CertificatePlotGrid {
  /** Level c of the drawn set {B(x) = c}. Default `0` (the barrier's zero level set). */
  level?: number;
  /** Legend label of the level set. Default `'B(x) = 0'` (with the level when it is not 0). */
  label?: string;
}

/** What {@link certificatePlotSvg} draws. */
export interface CertificatePlotInput {
  /** The state box; it sets the axis limits, and the certificate grid spans it. */
  box: CertificatePlotBox;
  /** Names of the two plotted state variables, used as axis titles, e.g. `['x₁', 'x₂']` or `['φ', 'φ̇']`. */
  stateNames: readonly [string, string];
  /** The initial set: one region or a non-empty array of regions (their union). */
  initialSet: CertificatePlotRegion | readonly CertificatePlotRegion[];
  /** The unsafe set: one region or an array of regions (their union); absent or `[]` for a stability-only system. */
  unsafeSet?: CertificatePlotRegion | readonly CertificatePlotRegion[];
  /** The state domain when it is smaller than the box (e.g. a ball), drawn as a dashed outline. Default: none. */
  domain?: CertificatePlotRegion;
  /** The certificate B on a grid over `box`; its level set is extracted by marching squares. Default: not drawn. */
  certificate?: CertificatePlotCertificate;
  /** Closed-loop trajectories, at least one. */
  trajectories: readonly CertificatePlotTrajectory[];
  /** Counterexample states from the verifier (a "not certified" result), drawn as crosses. Default: none. */
  counterexamples?: CertificatePlotPoints;
}

/** Options of {@link certificatePlotSvg}. */
export interface CertificatePlotOptions {
  /** Plot title, e.g. `'PJ · polynomial track · seed 1'`. Required. */
  title: string;
  /** Subtitle line(s), e.g. `'certified: true, c* = 0, verifier: verified (1,093 boxes)'`. Default: none. */
  subtitle?: string | readonly string[];
  /** Width of the plotting area in pixels. Default `420`. */
  width?: number;
  /**
   * Height of the plotting area in pixels. Default: equal scales on both axes, `width·(u₂ − ℓ₂)/(u₁ − ℓ₁)`, kept
   * within [width/4, 4·width] (so balls look round unless the box is very elongated).
   */
  height?: number;
  /** Vertices of the polygon that draws a ball. Default `128`. */
  ballPoints?: number;
}

/** Colours: green initial set, red unsafe set, blue level set, dark grey trajectories, orange warning. */
export const CERTIFICATE_PLOT_COLOURS = {
  initial: '#54a24b',
  unsafe: '#e45756',
  certificate: '#1f4e9c',
  trajectory: '#404040',
  warning: '#f58518',
  counterexample: '#9e0142',
  domain: '#888888',
} as const;

const FN = 'certificatePlotSvg';

/**
 * Phase-plane picture of a certified controller as an SVG string: the state box (the axis limits), the initial and
 * unsafe sets as translucent filled regions, the certificate's level set {B(x) = 0} as line segments, and the
 * closed-loop trajectories as thin lines with a dot at each start; trajectories that enter the unsafe set are drawn
 * in orange, on top; the verifier's counterexample states, if any, as dark red crosses. The conditions pictured are
 * those of a barrier certificate (Wang, Zhan, Wang, Huang, Wang, Yang, Zhu, "Joint differentiable optimization and
 * verification for certified reinforcement learning", ICCPS 2023): B ≤ 0 on the initial set, B > 0 on the unsafe set,
 * so the curve B = 0 should separate the green region from the red one and no trajectory should cross it.
 *
 * The picture is 2-D: for states of dimension > 2 the caller passes a 2-D projection (the box, sets, certificate grid
 * and trajectories all in the same two coordinates, e.g. a slice of B through the other coordinates held fixed) and
 * says so in the subtitle. Built as a Vega-Lite spec ({@link certificatePlotSpec}) rendered headless by Vega
 * (`renderer: 'none'`); turn it into PNG with {@link svgToPng}.
 *
 * Inputs are validated up front: non-finite coordinates or grid values, a grid whose size is not nx·ny, an empty
 * initial set, a trajectory with fewer than two states, or no trajectory at all are errors naming the field.
 *
 * @example
 * const svg = await certificatePlotSvg(
 *   { box, stateNames: ['x₁', 'x₂'], initialSet: { kind: 'ball', centre: [1.5, 0], radius: 0.5 },
 *     unsafeSet: { kind: 'ball', centre: [-0.8, -1], radius: 0.5 }, certificate: { nx: 101, ny: 101, values },
 *     trajectories },
 *   { title: 'PJ · polynomial track', subtitle: 'certified: true, c* = 0, verifier: verified (1,093 boxes)' },
 * );
 * writeFileAtomic('runs/pj/picture.svg', svg);
 * writeFileAtomic('runs/pj/picture.png', svgToPng(svg));
 */
export async function certificatePlotSvg(input: CertificatePlotInput, options: CertificatePlotOptions): Promise<string> {
  return renderVegaLiteSvg(certificatePlotSpec(input, options), FN);
}

/**
 * The Vega-Lite spec behind {@link certificatePlotSvg}, pure, exposed for tests and custom rendering. Its layers are
 * named (`domain`, `regions`, `regionOutlines`, `contour`, `trajectories`, `unsafeTrajectories`, `starts`,
 * `unsafeStarts`, `counterexamples`); Vega writes `<name>_marks` into the class of each layer's SVG group.
 */
export function certificatePlotSpec(input: CertificatePlotInput, options: CertificatePlotOptions): VegaLiteSpec {
  const v = validate(input, options);
  const { box, stateNames } = v;
  const C = CERTIFICATE_PLOT_COLOURS;

  // Regions as closed polygons: `k` orders the vertices, `id` separates the polygons.
  type Vertex = { x: number; y: number; k: number; id: string; kind: string };
  const polygons: Vertex[] = [];
  const outlines: Vertex[] = [];
  const addRegion = (pts: Float64Array, id: string, kind: string) => {
    const n = pts.length / 2;
    for (let k = 0; k <= n; k++) {
      const vtx = { x: pts[2 * (k % n)], y: pts[2 * (k % n) + 1], k, id, kind };
      if (k < n) polygons.push(vtx);
      outlines.push(vtx);
    }
  };
  const initialLabel = 'initial set';
  const unsafeLabel = 'unsafe set';
  v.initialSet.forEach((p, r) => addRegion(p, `initial-${r}`, initialLabel));
  v.unsafeSet.forEach((p, r) => addRegion(p, `unsafe-${r}`, unsafeLabel));

  const domainPoints: Vertex[] = [];
  if (v.domain) {
    const n = v.domain.length / 2;
    for (let k = 0; k <= n; k++) domainPoints.push({ x: v.domain[2 * (k % n)], y: v.domain[2 * (k % n) + 1], k, id: 'domain', kind: 'domain' });
  }

  let contourLabel = '';
  const segments: { x: number; y: number; x2: number; y2: number; kind: string }[] = [];
  if (v.certificate) {
    const { level, label } = v.certificate;
    const packed = certificatePlotContour(v.certificate, box, level);
    const empty = packed.length === 0;
    contourLabel = `${label}${empty ? ' (not in the box)' : ''}`;
    for (let s = 0; s < packed.length; s += 4) {
      segments.push({ x: packed[s], y: packed[s + 1], x2: packed[s + 2], y2: packed[s + 3], kind: contourLabel });
    }
  }

  const safe = v.trajectories.filter((t) => !t.entersUnsafe);
  const unsafe = v.trajectories.filter((t) => t.entersUnsafe);
  const safeLabel = `trajectory (${safe.length}; dot = start)`;
  const unsafeTrajLabel = `enters the unsafe set (${unsafe.length})`;
  const trajectoryRows = (list: ValidTrajectory[], kind: string) =>
    list.flatMap((t) => Array.from({ length: t.points.length / 2 }, (_, k) => ({ x: t.points[2 * k], y: t.points[2 * k + 1], k, id: t.index, kind })));
  const counterLabel = `counterexample (${v.counterexamples.length / 2})`;
  const counterRows = Array.from({ length: v.counterexamples.length / 2 }, (_, k) => ({ x: v.counterexamples[2 * k], y: v.counterexamples[2 * k + 1], kind: counterLabel }));
  const startRows = (list: ValidTrajectory[]) => list.map((t) => ({ x: t.points[0], y: t.points[1], id: t.index }));

  // One colour scale shared by the layers that have a legend entry; entries without marks are left out.
  const legend: [string, string][] = [[initialLabel, C.initial]];
  if (v.unsafeSet.length > 0) legend.push([unsafeLabel, C.unsafe]);
  if (v.certificate) legend.push([contourLabel, C.certificate]);
  if (safe.length > 0) legend.push([safeLabel, C.trajectory]);
  if (unsafe.length > 0) legend.push([unsafeTrajLabel, C.warning]);
  if (counterRows.length > 0) legend.push([counterLabel, C.counterexample]);
  const color = {
    field: 'kind',
    type: 'nominal' as const,
    scale: { domain: legend.map((e) => e[0]), range: legend.map((e) => e[1]) },
    legend: { title: null, orient: 'right' as const, symbolStrokeWidth: 2, labelLimit: 320 },
  };
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: stateNames[0],
    scale: { domain: [box.lower[0], box.upper[0]], nice: false, zero: false },
  };
  const y = {
    field: 'y',
    type: 'quantitative' as const,
    title: stateNames[1],
    scale: { domain: [box.lower[1], box.upper[1]], nice: false, zero: false },
  };
  const path = (name: string, values: object[], mark: object, extra: object = {}) => ({
    name,
    data: { values },
    mark: { type: 'line' as const, clip: true, interpolate: 'linear' as const, ...mark },
    encoding: { x, y, order: { field: 'k', type: 'quantitative' as const }, detail: { field: 'id', type: 'nominal' as const }, ...extra },
  });
  const dots = (name: string, values: object[], fill: string) => ({
    name,
    data: { values },
    mark: { type: 'point' as const, filled: true, size: 22, clip: true, opacity: 1, fill, stroke: 'white', strokeWidth: 0.6 },
    encoding: { x, y },
  });

  const layer: object[] = [];
  if (domainPoints.length > 0) layer.push(path('domain', domainPoints, { stroke: C.domain, strokeWidth: 1, strokeDash: [5, 4] }));
  layer.push(path('regions', polygons, { filled: true, fillOpacity: 0.28 }, { color }));
  layer.push(path('regionOutlines', outlines, { strokeWidth: 1.2 }, { color }));
  if (v.certificate) {
    layer.push({
      name: 'contour',
      data: { values: segments },
      mark: { type: 'rule' as const, clip: true, strokeWidth: 2, strokeCap: 'round' as const, aria: false },
      encoding: { x, y, x2: { field: 'x2' }, y2: { field: 'y2' }, color },
    });
  }
  if (safe.length > 0) {
    layer.push(path('trajectories', trajectoryRows(safe, safeLabel), { strokeWidth: 0.9, opacity: 0.85 }, { color }));
    layer.push(dots('starts', startRows(safe), C.trajectory));
  }
  if (unsafe.length > 0) {
    layer.push(path('unsafeTrajectories', trajectoryRows(unsafe, unsafeTrajLabel), { strokeWidth: 1.3 }, { color }));
    layer.push(dots('unsafeStarts', startRows(unsafe), C.warning));
  }
  if (counterRows.length > 0) {
    layer.push({
      name: 'counterexamples',
      data: { values: counterRows },
      mark: { type: 'point' as const, shape: 'M-1,-1L1,1M-1,1L1,-1', size: 70, strokeWidth: 2.2, opacity: 1, filled: false, clip: true },
      encoding: { x, y, color },
    });
  }

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: v.title, ...(v.subtitle.length ? { subtitle: v.subtitle } : {}), anchor: 'start' },
    background: 'white',
    width: v.width,
    height: v.height,
    config: {
      font: 'sans-serif',
      axis: { labelFontSize: 11, titleFontSize: 13, gridColor: '#eeeeee' },
      title: { fontSize: 15, subtitleFontSize: 12 },
      legend: { labelFontSize: 11 },
    },
    layer,
  } as TopLevelSpec;
}

interface ValidTrajectory {
  points: Float64Array;
  entersUnsafe: boolean;
  index: number;
}

interface Valid {
  box: CertificatePlotBox;
  stateNames: readonly [string, string];
  initialSet: Float64Array[];
  unsafeSet: Float64Array[];
  domain: Float64Array | undefined;
  certificate: (CertificatePlotGrid & { level: number; label: string }) | undefined;
  trajectories: ValidTrajectory[];
  counterexamples: Float64Array;
  title: string;
  subtitle: string[];
  width: number;
  height: number;
}

/** Packs points into [x₁, x₂, …], checking that there are at least `min` of them and that all are finite. */
function packPoints(field: string, points: CertificatePlotPoints, min: number): Float64Array {
  if (points instanceof Float64Array) {
    if (points.length % 2 !== 0) throw new RangeError(`${FN}: ${field} is a Float64Array of odd length ${points.length}; expected packed [x₁, x₂] pairs`);
    if (points.length < 2 * min) throw new RangeError(`${FN}: ${field} has ${points.length / 2} points; expected at least ${min}`);
    points.forEach((v, k) => {
      if (!Number.isFinite(v)) throw new RangeError(`${FN}: ${field}[${k}] (point ${k >> 1}) is ${describeValue(v)}; expected a finite number`);
    });
    return points;
  }
  if (!Array.isArray(points)) throw new TypeError(`${FN}: ${field} is ${describeValue(points)}; expected an array of [x₁, x₂] pairs or a packed Float64Array`);
  if (points.length < min) throw new RangeError(`${FN}: ${field} has ${points.length} points; expected at least ${min}`);
  const out = new Float64Array(2 * points.length);
  points.forEach((p, k) => {
    if (!Array.isArray(p) || p.length !== 2) throw new TypeError(`${FN}: ${field}[${k}] is ${describeValue(p)}; expected an [x₁, x₂] pair`);
    for (const c of [0, 1]) {
      if (typeof p[c] !== 'number' || !Number.isFinite(p[c])) {
        throw new RangeError(`${FN}: ${field}[${k}][${c}] is ${describeValue(p[c])}; expected a finite number`);
      }
      out[2 * k + c] = p[c];
    }
  });
  return out;
}

/** A region as a packed polygon; a ball becomes `ballPoints` vertices on its boundary. */
function regionPolygon(field: string, region: CertificatePlotRegion, ballPoints: number): Float64Array {
  if (region === null || typeof region !== 'object') throw new TypeError(`${FN}: ${field} is ${describeValue(region)}; expected a ball or polygon region`);
  if (region.kind === 'ball') {
    const { centre, radius } = region;
    if (!Array.isArray(centre) || centre.length !== 2 || !centre.every((c) => typeof c === 'number' && Number.isFinite(c))) {
      throw new RangeError(`${FN}: ${field}.centre is ${describeValue(centre)}${Array.isArray(centre) ? ` [${centre.join(', ')}]` : ''}; expected 2 finite numbers`);
    }
    if (typeof radius !== 'number' || !Number.isFinite(radius) || radius <= 0) {
      throw new RangeError(`${FN}: ${field}.radius is ${describeValue(radius)}; expected a finite number > 0`);
    }
    const out = new Float64Array(2 * ballPoints);
    for (let k = 0; k < ballPoints; k++) {
      const a = (2 * Math.PI * k) / ballPoints;
      out[2 * k] = centre[0] + radius * Math.cos(a);
      out[2 * k + 1] = centre[1] + radius * Math.sin(a);
    }
    return out;
  }
  if (region.kind === 'polygon') return packPoints(`${field}.points`, region.points, 3);
  throw new RangeError(`${FN}: ${field}.kind is ${describeValue((region as { kind: unknown }).kind)}; expected 'ball' or 'polygon'`);
}

function regionList(field: string, regions: CertificatePlotRegion | readonly CertificatePlotRegion[] | undefined, ballPoints: number): Float64Array[] {
  if (regions === undefined) return [];
  if (Array.isArray(regions)) return regions.map((r, k) => regionPolygon(`${field}[${k}]`, r, ballPoints));
  return [regionPolygon(field, regions as CertificatePlotRegion, ballPoints)];
}

function validate(input: CertificatePlotInput, options: CertificatePlotOptions): Valid {
  if (options === null || typeof options !== 'object') throw new TypeError(`${FN}: options is ${describeValue(options)}; expected an object with a title`);
  const { title, subtitle = [], width = 420, height, ballPoints = 128 } = options;
  if (typeof title !== 'string' || title.trim().length === 0) throw new TypeError(`${FN}: options.title is ${describeValue(title)}; expected a non-empty string`);
  const subtitles = typeof subtitle === 'string' ? [subtitle] : subtitle;
  if (!Array.isArray(subtitles) || subtitles.some((s) => typeof s !== 'string')) {
    throw new TypeError(`${FN}: options.subtitle is ${describeValue(subtitle)}; expected a string or an array of strings`);
  }
  if (typeof width !== 'number' || !Number.isFinite(width) || width < 50) throw new RangeError(`${FN}: options.width is ${describeValue(width)}; expected a number of pixels >= 50`);
  if (height !== undefined && (typeof height !== 'number' || !Number.isFinite(height) || height < 50)) {
    throw new RangeError(`${FN}: options.height is ${describeValue(height)}; expected a number of pixels >= 50`);
  }
  if (!Number.isInteger(ballPoints) || ballPoints < 8 || ballPoints > 4096) {
    throw new RangeError(`${FN}: options.ballPoints is ${describeValue(ballPoints)}; expected an integer in [8, 4096]`);
  }

  if (input === null || typeof input !== 'object') throw new TypeError(`${FN}: input is ${describeValue(input)}; expected { box, stateNames, initialSet, trajectories, … }`);
  validateBox(FN, 'input.box', input.box);
  const { box } = input;
  const names = input.stateNames;
  if (!Array.isArray(names) || names.length !== 2 || names.some((s) => typeof s !== 'string' || s.trim().length === 0)) {
    throw new TypeError(`${FN}: input.stateNames is ${describeValue(names)}; expected two non-empty strings (for more than 2 states, pass a 2-D projection)`);
  }

  const initialSet = regionList('input.initialSet', input.initialSet, ballPoints);
  if (input.initialSet === undefined || initialSet.length === 0) {
    throw new RangeError(`${FN}: input.initialSet is ${describeValue(input.initialSet)}; expected a region or a non-empty array of regions`);
  }
  const unsafeSet = regionList('input.unsafeSet', input.unsafeSet, ballPoints);
  const domain = input.domain === undefined ? undefined : regionPolygon('input.domain', input.domain, ballPoints);

  let certificate: Valid['certificate'];
  if (input.certificate !== undefined) {
    validateGrid(FN, 'input.certificate', input.certificate);
    const { level = 0, label } = input.certificate;
    if (typeof level !== 'number' || !Number.isFinite(level)) throw new RangeError(`${FN}: input.certificate.level is ${describeValue(level)}; expected a finite number`);
    if (label !== undefined && (typeof label !== 'string' || label.trim().length === 0)) {
      throw new TypeError(`${FN}: input.certificate.label is ${describeValue(label)}; expected a non-empty string`);
    }
    certificate = { ...input.certificate, level, label: label ?? `B(x) = ${level}` };
  }

  const list = input.trajectories;
  if (!Array.isArray(list) || list.length === 0) {
    throw new RangeError(`${FN}: input.trajectories is ${describeValue(list)}; expected a non-empty array of trajectories`);
  }
  const trajectories = list.map((t: CertificatePlotTrajectory, index) => {
    const field = `input.trajectories[${index}]`;
    if (t === null || typeof t !== 'object') throw new TypeError(`${FN}: ${field} is ${describeValue(t)}; expected { points, entersUnsafe }`);
    if (typeof t.entersUnsafe !== 'boolean') throw new TypeError(`${FN}: ${field}.entersUnsafe is ${describeValue(t.entersUnsafe)}; expected true or false`);
    return { points: packPoints(`${field}.points`, t.points, 2), entersUnsafe: t.entersUnsafe, index };
  });

  const counterexamples = input.counterexamples === undefined ? new Float64Array(0) : packPoints('input.counterexamples', input.counterexamples, 0);

  const aspect = (box.upper[1] - box.lower[1]) / (box.upper[0] - box.lower[0]);
  const h = height ?? Math.round(width * Math.min(4, Math.max(0.25, aspect)));
  return { box, stateNames: names, initialSet, unsafeSet, domain, certificate, trajectories, counterexamples, title, subtitle: [...subtitles], width, height: h };
}
