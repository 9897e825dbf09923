import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { certificatePlotContour } from './certificate-plot-contour';
import { CERTIFICATE_PLOT_COLOURS, certificatePlotSpec, certificatePlotSvg } from './certificate-plot-svg';
import type { CertificatePlotInput, CertificatePlotTrajectory } from './certificate-plot-svg';
import { svgToPng } from './svg-to-png';

const BOX = { lower: [-2, -2] as const, upper: [2, 2] as const };
const N = 41;
/** Grid spacing of the 41-point certificate grid over [−2, 2]. */
const H = 4 / (N - 1);
/** Vega writes SVG coordinates rounded to 3 decimals: 1e-3 px, i.e. below 1e-4 state units at 420 px for 4 units. */
const PIXEL_ROUNDING = 1e-3;

/** B = x₁² + x₂² − 1 on an N × N grid over BOX: its zero level set is the unit circle. */
function circleCertificate() {
  const values = new Float64Array(N * N);
  for (let j = 0; j < N; j++) for (let i = 0; i < N; i++) values[j * N + i] = (-2 + i * H) ** 2 + (-2 + j * H) ** 2 - 1;
  return { nx: N, ny: N, values };
}

/** `count` spirals x_{t+1} = 0.9 R(0.3) x_t from points around the initial ball; the first `unsafe` are flagged. */
function spirals(count: number, unsafe: number, steps = 40): CertificatePlotTrajectory[] {
  return Array.from({ length: count }, (_, r) => {
    const a0 = (2 * Math.PI * r) / count;
    let x = 1.5 + 0.3 * Math.cos(a0);
    let y = 0.3 * Math.sin(a0);
    const points: [number, number][] = [];
    for (let t = 0; t < steps; t++) {
      points.push([x, y]);
      [x, y] = [0.9 * (Math.cos(0.3) * x - Math.sin(0.3) * y), 0.9 * (Math.sin(0.3) * x + Math.cos(0.3) * y)];
    }
    return { points, entersUnsafe: r < unsafe };
  });
}

function input(trajectories = spirals(7, 2)): CertificatePlotInput {
  return {
    box: { lower: [...BOX.lower], upper: [...BOX.upper] },
    stateNames: ['x₁', 'x₂'],
    initialSet: { kind: 'ball', centre: [1.5, 0], radius: 0.4 },
    unsafeSet: [
      { kind: 'ball', centre: [-0.8, -1], radius: 0.5 },
      { kind: 'polygon', points: Float64Array.from([-2, 1.5, -1.5, 1.5, -1.5, 2, -2, 2]) },
    ],
    certificate: circleCertificate(),
    trajectories,
  };
}
const OPTIONS = { title: 'PJ · polynomial track', subtitle: 'certified: true, c* = 0, verifier: verified (1,093 boxes)' };

/** The leaf elements (`<path`, `<line`) inside the SVG groups of the named Vega-Lite layer. */
function marks(svg: string, layer: string): string[] {
  const groups = [...svg.matchAll(new RegExp(`<g class="mark-\\w+ role-mark ${layer}_marks"[^>]*>(.*?)</g>`, 'g'))];
  return groups.flatMap((g) => g[1].match(/<(path|line)\b[^>]*>/g) ?? []);
}

interface Layer {
  name: string;
  data: { values: Record<string, number | string>[] };
  encoding: { x: { scale: { domain: number[] } }; y: { scale: { domain: number[] } }; color?: { scale: { domain: string[]; range: string[] } } };
}
const layers = (spec: object) => (spec as { layer: Layer[] }).layer;
const layer = (spec: object, name: string) => layers(spec).find((l) => l.name === name);

test('the SVG shows the title, subtitle, axis names and legend, and one path per trajectory in its colour', async () => {
  const svg = await certificatePlotSvg(input(), OPTIONS);

  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  for (const text of [OPTIONS.title, OPTIONS.subtitle, 'x₁', 'x₂', 'initial set', 'unsafe set', 'B(x) = 0', 'trajectory (5; dot = start)', 'enters the unsafe set (2)']) {
    assert.ok(svg.includes(text), `missing text: ${text}`);
  }
  const safe = marks(svg, 'trajectories');
  const unsafe = marks(svg, 'unsafeTrajectories');
  assert.equal(safe.length, 5);
  assert.equal(unsafe.length, 2);
  assert.ok(safe.every((p) => p.includes(`stroke="${CERTIFICATE_PLOT_COLOURS.trajectory}"`)));
  assert.ok(unsafe.every((p) => p.includes(`stroke="${CERTIFICATE_PLOT_COLOURS.warning}"`)));
  assert.equal(marks(svg, 'starts').length, 5);
  assert.equal(marks(svg, 'unsafeStarts').length, 2);
  // One filled polygon per region: the initial ball, the unsafe ball and the unsafe square.
  const fills = marks(svg, 'regions');
  assert.equal(fills.length, 3);
  assert.equal(fills.filter((p) => p.includes(`fill="${CERTIFICATE_PLOT_COLOURS.unsafe}"`)).length, 2);
});

test('the contour in the SVG is one <line> per marching-squares segment, within one grid cell of the unit circle', async () => {
  const width = 420;
  const expected = certificatePlotContour(circleCertificate(), BOX).length / 4;

  const svg = await certificatePlotSvg(input(), { ...OPTIONS, width });

  const lines = marks(svg, 'contour');
  assert.equal(lines.length, expected);
  assert.ok(expected > 50);
  // Pixels back to states: x = ℓ + px·(u − ℓ)/width, y = u − py·(u − ℓ)/height (height = width for a square box).
  const scale = 4 / width;
  let worst = 0;
  for (const line of lines) {
    const m = /translate\(([-\d.e]+),([-\d.e]+)\)" x2="([-\d.e]+)" y2="([-\d.e]+)"/.exec(line);
    assert.ok(m, `unexpected line element ${line}`);
    const [px, py, dx, dy] = m.slice(1).map(Number);
    for (const [u, v] of [[px, py], [px + dx, py + dy]]) {
      worst = Math.max(worst, Math.abs(Math.hypot(-2 + u * scale, 2 - v * scale) - 1));
    }
  }
  assert.ok(worst <= H + PIXEL_ROUNDING * scale, `worst distance to the unit circle ${worst} > one cell ${H}`);
});

test('the spec: axes span the box, a ball is a polygon of ballPoints vertices on its circle, polygons are closed', () => {
  const spec = certificatePlotSpec(input(), { ...OPTIONS, ballPoints: 64 });

  const regions = layer(spec, 'regions')!;
  assert.deepEqual(regions.encoding.x.scale.domain, [-2, 2]);
  assert.deepEqual(regions.encoding.y.scale.domain, [-2, 2]);
  const initial = regions.data.values.filter((v) => v.id === 'initial-0');
  assert.equal(initial.length, 64);
  for (const v of initial) assert.ok(Math.abs(Math.hypot(Number(v.x) - 1.5, Number(v.y)) - 0.4) < 1e-12);
  const square = layer(spec, 'regionOutlines')!.data.values.filter((v) => v.id === 'unsafe-1');
  assert.equal(square.length, 5);
  assert.deepEqual([square[4].x, square[4].y], [square[0].x, square[0].y]);
  assert.doesNotThrow(() => compile(spec as TopLevelSpec));
});

test('the legend lists only what is drawn; a stability picture without unsafe set and certificate compiles', () => {
  const spec = certificatePlotSpec({ ...input(spirals(3, 0)), unsafeSet: undefined, certificate: undefined, domain: { kind: 'ball', centre: [0, 0], radius: 1.9 } }, OPTIONS);

  assert.deepEqual(layer(spec, 'regions')!.encoding.color!.scale.domain, ['initial set', 'trajectory (3; dot = start)']);
  assert.equal(layer(spec, 'contour'), undefined);
  assert.equal(layer(spec, 'unsafeTrajectories'), undefined);
  assert.ok(layer(spec, 'domain'));
  assert.doesNotThrow(() => compile(spec as TopLevelSpec));
});

test('a certificate whose level set misses the box says so in the legend; level and label are honoured', () => {
  const cert = circleCertificate();

  const missing = certificatePlotSpec({ ...input(), certificate: { ...cert, level: -5 } }, OPTIONS);
  const labelled = certificatePlotSpec({ ...input(), certificate: { ...cert, level: 3, label: 'V(x) = 4' } }, OPTIONS);

  assert.ok(layer(missing, 'regions')!.encoding.color!.scale.domain.includes('B(x) = -5 (not in the box)'));
  assert.equal(layer(missing, 'contour')!.data.values.length, 0);
  assert.ok(layer(labelled, 'regions')!.encoding.color!.scale.domain.includes('V(x) = 4'));
  for (const s of layer(labelled, 'contour')!.data.values) assert.ok(Math.abs(Math.hypot(Number(s.x), Number(s.y)) - 2) <= H);
});

test('counterexample states are drawn as crosses with a legend entry', async () => {
  const svg = await certificatePlotSvg({ ...input(), counterexamples: [[0.1, 0.2], [-1, 1]] }, OPTIONS);

  const crosses = marks(svg, 'counterexamples');
  assert.equal(crosses.length, 2);
  assert.ok(crosses.every((p) => p.includes(`stroke="${CERTIFICATE_PLOT_COLOURS.counterexample}"`)));
  assert.ok(svg.includes('counterexample (2)'));
  assert.equal(marks(await certificatePlotSvg(input(), OPTIONS), 'counterexamples').length, 0);
});

test('the default height keeps equal scales on both axes, within [width/4, 4·width]', () => {
  const size = (lower: [number, number], upper: [number, number]) => {
    const spec = certificatePlotSpec({ ...input(), box: { lower, upper }, certificate: undefined }, { ...OPTIONS, width: 400 }) as { height: number };
    return spec.height;
  };

  assert.equal(size([-2, -1], [2, 1]), 200);
  assert.equal(size([0, 0], [1, 100]), 1600);
  assert.equal(certificatePlotSpec(input(), { ...OPTIONS, height: 123 })['height' as never], 123);
});

test('the SVG converts to PNG with the existing svgToPng', async () => {
  const svg = await certificatePlotSvg(input(spirals(20, 3)), OPTIONS);

  const png = svgToPng(svg, { width: 900 });

  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(new DataView(png.buffer, png.byteOffset).getUint32(16), 900);
  assert.ok(png.length > 20_000, `PNG of ${png.length} bytes`);
});

test('bad input is an error naming the function, the field and the value', () => {
  const spec = (patch: Partial<CertificatePlotInput>, options: object = OPTIONS) => () => certificatePlotSpec({ ...input(), ...patch }, options as typeof OPTIONS);
  const cert = circleCertificate();
  const nanTraj = spirals(2, 0);
  (nanTraj[1].points as [number, number][])[5] = [0, NaN];

  assert.throws(spec({ certificate: { ...cert, nx: 40 } }), /certificatePlotSvg: input\.certificate\.values has length 1681; expected nx·ny = 40·41 = 1640/);
  assert.throws(spec({ certificate: { ...cert, values: Float64Array.from(cert.values, (v, k) => (k === 3 ? Infinity : v)) } }), /input\.certificate\.values\[3\] \(i = 3, j = 0\) is Infinity/);
  assert.throws(spec({ trajectories: nanTraj }), /certificatePlotSvg: input\.trajectories\[1\]\.points\[5\]\[1\] is NaN; expected a finite number/);
  assert.throws(spec({ trajectories: [] }), /input\.trajectories is an array of 0; expected a non-empty array/);
  assert.throws(spec({ trajectories: [{ points: [[0, 0]], entersUnsafe: false }] }), /input\.trajectories\[0\]\.points has 1 points; expected at least 2/);
  assert.throws(spec({ trajectories: [{ points: new Float64Array(5), entersUnsafe: false }] }), /input\.trajectories\[0\]\.points is a Float64Array of odd length 5/);
  assert.throws(spec({ trajectories: [{ points: [[0, 0], [1, 1]], entersUnsafe: 'yes' as never }] }), /input\.trajectories\[0\]\.entersUnsafe is "yes"; expected true or false/);
  assert.throws(spec({ initialSet: [] }), /input\.initialSet is an array of 0; expected a region or a non-empty array/);
  assert.throws(spec({ unsafeSet: { kind: 'ball', centre: [0, 0], radius: 0 } }), /input\.unsafeSet\.radius is 0; expected a finite number > 0/);
  assert.throws(spec({ unsafeSet: [{ kind: 'polygon', points: [[0, 0], [1, 0]] }] }), /input\.unsafeSet\[0\]\.points has 2 points; expected at least 3/);
  assert.throws(spec({ initialSet: { kind: 'disc' } as never }), /input\.initialSet\.kind is "disc"; expected 'ball' or 'polygon'/);
  assert.throws(spec({ box: { lower: [1, -2], upper: [1, 2] } }), /input\.box\.lower\[0\] = 1 is not below input\.box\.upper\[0\] = 1/);
  assert.throws(spec({ stateNames: ['x₁', 'x₂', 'x₃'] as never }), /input\.stateNames is an array of 3; expected two non-empty strings \(for more than 2 states, pass a 2-D projection\)/);
  assert.throws(spec({ counterexamples: [[0, Infinity]] }), /input\.counterexamples\[0\]\[1\] is Infinity; expected a finite number/);
  assert.throws(spec({}, { title: '' }), /options\.title is ""; expected a non-empty string/);
  assert.throws(spec({}, { title: 't', ballPoints: 3 }), /options\.ballPoints is 3; expected an integer in \[8, 4096\]/);
});
