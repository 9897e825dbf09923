import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { certificatePlotContour } from './certificate-plot-contour';
import type { CertificatePlotBox } from './certificate-plot-contour';

/** Samples B on an nx × ny grid over the box, x₁ index fastest (the layout certificatePlotContour reads). */
function sample(box: CertificatePlotBox, nx: number, ny: number, b: (x: number, y: number) => number) {
  const values = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const x = box.lower[0] + (i * (box.upper[0] - box.lower[0])) / (nx - 1);
      const y = box.lower[1] + (j * (box.upper[1] - box.lower[1])) / (ny - 1);
      values[j * nx + i] = b(x, y);
    }
  }
  return { nx, ny, values };
}
const endpoints = (s: Float64Array) => Array.from({ length: s.length / 2 }, (_, k) => [s[2 * k], s[2 * k + 1]] as const);

const BOX: CertificatePlotBox = { lower: [-2, -2], upper: [2, 2] };
const N = 81;
/** Grid spacing of the 81-point grid over [−2, 2]. */
const H = 4 / (N - 1);
/**
 * Along a cell edge B = x₁² + x₂² − 1 is a parabola with second derivative 2 and slope ≥ ~1 near the unit circle,
 * so the linearly interpolated root is off by about (2·h²/8)/1 = h²/4 in the worst case; h² leaves a factor 4.
 */
const INTERPOLATION_TOL = H * H;
/** Bilinear functions are linear along every cell edge: the crossings are exact up to rounding. */
const BILINEAR_TOL = 1e-12;

test('the zero level set of x₁² + x₂² − 1 lies within one grid cell (in fact within h²) of the unit circle', () => {
  const grid = sample(BOX, N, N, (x, y) => x * x + y * y - 1);

  const segments = certificatePlotContour(grid, BOX);

  assert.ok(segments.length / 4 > 100, `only ${segments.length / 4} segments`);
  let worst = 0;
  for (const [x, y] of endpoints(segments)) worst = Math.max(worst, Math.abs(Math.hypot(x, y) - 1));
  assert.ok(worst <= H, `worst distance ${worst} > one cell ${H}`);
  assert.ok(worst <= INTERPOLATION_TOL, `worst distance ${worst} > h² = ${INTERPOLATION_TOL}`);
});

test('the circle comes out as one closed curve of length 2π: every endpoint is shared by exactly two segments', () => {
  const grid = sample(BOX, N, N, (x, y) => x * x + y * y - 1);

  const segments = certificatePlotContour(grid, BOX);

  const degree = new Map<string, number>();
  let length = 0;
  for (let s = 0; s < segments.length; s += 4) {
    length += Math.hypot(segments[s + 2] - segments[s], segments[s + 3] - segments[s + 1]);
    for (const k of [s, s + 2]) {
      const key = `${segments[k]},${segments[k + 1]}`;
      degree.set(key, (degree.get(key) ?? 0) + 1);
    }
  }
  assert.deepEqual(new Set(degree.values()), new Set([2]));
  // A polygon inscribed in the unit circle with chords of about one cell: relative length error ~ h²/24 ≈ 1e-4.
  assert.ok(Math.abs(length - 2 * Math.PI) < 1e-3 * 2 * Math.PI, `length ${length}`);
});

test('the level argument draws {B = c}, and a level the grid never reaches gives no segments', () => {
  const grid = sample(BOX, N, N, (x, y) => x * x + y * y);

  const ring = certificatePlotContour(grid, BOX, 2.25);
  const none = certificatePlotContour(grid, BOX, -1);

  for (const [x, y] of endpoints(ring)) assert.ok(Math.abs(Math.hypot(x, y) - 1.5) <= INTERPOLATION_TOL);
  assert.equal(none.length, 0);
});

test('saddle cells are resolved by the centre value: the two branches of x₁x₂ = c are never joined', () => {
  // An even number of points puts the origin at a cell centre, where the corners alternate in sign.
  const c = 1e-3;
  const grid = sample(BOX, 40, 40, (x, y) => x * y - c);

  const segments = certificatePlotContour(grid, BOX);

  assert.ok(segments.length > 0);
  for (const [x, y] of endpoints(segments)) assert.ok(Math.abs(x * y - c) <= BILINEAR_TOL, `endpoint (${x}, ${y})`);
  for (let s = 0; s < segments.length; s += 4) {
    const mx = (segments[s] + segments[s + 2]) / 2;
    const my = (segments[s + 1] + segments[s + 3]) / 2;
    assert.ok(mx * my > 0, `segment ${s / 4} crosses between the branches at (${mx}, ${my})`);
  }
});

test('property: for random circles and grids, every endpoint is within one cell of the circle, and a circle holding a grid point is drawn', () => {
  const box: CertificatePlotBox = { lower: [-2.5, -1.5], upper: [2.5, 3] };
  fc.assert(
    fc.property(
      fc.double({ min: -1, max: 1, noNaN: true }),
      fc.double({ min: -0.5, max: 1.5, noNaN: true }),
      fc.double({ min: 0.2, max: 1.2, noNaN: true }),
      fc.integer({ min: 12, max: 60 }),
      fc.integer({ min: 12, max: 60 }),
      (cx, cy, r, nx, ny) => {
        const grid = sample(box, nx, ny, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 - r * r);
        const cell = Math.hypot(5 / (nx - 1), 4.5 / (ny - 1));

        const segments = certificatePlotContour(grid, box);

        // A circle smaller than a cell may hold no grid point; then nothing is drawn, and that is correct.
        if (segments.length === 0) return grid.values.every((v) => v >= 0);
        return endpoints(segments).every(([x, y]) => Math.abs(Math.hypot(x - cx, y - cy) - r) <= cell);
      },
    ),
    { seed: 20261123, numRuns: 150 },
  );
});

test('bad grids and boxes are errors naming the field and the value', () => {
  const grid = sample(BOX, 5, 4, (x, y) => x + y);

  assert.throws(() => certificatePlotContour({ ...grid, nx: 4 }, BOX), /certificatePlotContour: grid\.values has length 20; expected nx·ny = 4·4 = 16/);
  assert.throws(() => certificatePlotContour({ ...grid, ny: 1 }, BOX), /grid\.ny is 1; expected an integer >= 2/);
  const withNaN = Float64Array.from(grid.values);
  withNaN[7] = NaN;
  assert.throws(() => certificatePlotContour({ ...grid, values: withNaN }, BOX), /grid\.values\[7\] \(i = 2, j = 1\) is NaN; expected a finite number/);
  assert.throws(() => certificatePlotContour(grid, { lower: [0, 0], upper: [0, 1] }), /box\.lower\[0\] = 0 is not below box\.upper\[0\] = 0/);
  assert.throws(() => certificatePlotContour(grid, { lower: [0, Infinity] as never, upper: [1, 1] }), /box\.lower\[1\] is Infinity/);
  assert.throws(() => certificatePlotContour(grid, BOX, NaN), /level is NaN; expected a finite number/);
});
