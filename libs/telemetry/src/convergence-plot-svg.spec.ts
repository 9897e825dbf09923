import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convergencePlotSpec, convergencePlotSvg, LOG_FLOOR } from './convergence-plot-svg';
import type { ConvergenceRecord } from './convergence-plot-svg';

const H_STAR = 0.25;
/** A converging run: h − h* shrinks geometrically (rate 0.95) with deterministic ±30 % wiggle; no RNG needed. */
function convergingRun(n: number): ConvergenceRecord[] {
  return Array.from({ length: n }, (_, k) => ({
    iter: k,
    solverSeconds: 0.01 * k,
    value: H_STAR + 0.5 * 0.95 ** k * (1 + 0.3 * Math.sin(1.7 * k)),
    hypergradNorm: 2 * 0.97 ** k * (1 + 0.3 * Math.cos(2.3 * k)),
  }));
}

interface Panel {
  title: string;
  data: { values: { x: number; y: number }[] };
  encoding: { x: { title: string }; y: { title: string; scale: { type?: string } } };
}
const panels = (spec: object) => (spec as { hconcat: Panel[] }).hconcat;
const subtitleOf = (spec: object) => String((spec as { title: { subtitle?: string } }).title.subtitle ?? '');

test('the SVG has an <svg> root, the title, panel titles and axis titles', async () => {
  const svg = await convergencePlotSvg(convergingRun(80), { title: 'logreg-hpo SOBA seed 3', hStar: H_STAR });

  assert.ok(svg.length > 1000);
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  for (const text of ['logreg-hpo SOBA seed 3', 'relative suboptimality', 'hypergradient norm', 'solver time (s)', '‖∇h(x)‖ (log)']) {
    assert.ok(svg.includes(text), `missing text: ${text}`);
  }
});

test('with h* the left panel is (h − h*)/|h*| on a log axis; the right panel is ‖∇h‖ on a log axis', () => {
  const records = convergingRun(5);

  const [left, right] = panels(convergencePlotSpec(records, { title: 't', hStar: H_STAR }));

  assert.equal(left.encoding.y.scale.type, 'log');
  assert.equal(left.encoding.y.title, '(h − h*)/|h*| (log)');
  assert.deepEqual(
    left.data.values.map((p) => p.y),
    records.map((r) => (r.value - H_STAR) / H_STAR),
  );
  assert.deepEqual(
    left.data.values.map((p) => p.x),
    records.map((r) => r.solverSeconds),
  );
  assert.equal(right.encoding.y.scale.type, 'log');
  assert.deepEqual(
    right.data.values.map((p) => p.y),
    records.map((r) => r.hypergradNorm),
  );
});

test('without h* the left panel is h(x) on a linear axis; xAxis: iter puts iterations on x', () => {
  const records = convergingRun(5);

  const [left] = panels(convergencePlotSpec(records, { title: 't', xAxis: 'iter' }));

  assert.equal(left.title, 'objective');
  assert.equal(left.encoding.y.title, 'h(x)');
  assert.equal(left.encoding.y.scale.type, undefined);
  assert.equal(left.encoding.x.title, 'outer iteration');
  assert.deepEqual(
    left.data.values.map((p) => [p.x, p.y]),
    records.map((r) => [r.iter, r.value]),
  );
});

test('non-positive suboptimality and zero gradient norms are drawn at the floor, and the axis titles say so', () => {
  const records = convergingRun(4);
  records[2].value = H_STAR - 1e-3; // below the reference minimum: a noisy estimate
  records[3].hypergradNorm = 0;

  const [left, right] = panels(convergencePlotSpec(records, { title: 't', hStar: H_STAR }));

  assert.equal(left.data.values[2].y, LOG_FLOOR);
  assert.match(left.encoding.y.title, /1 value ≤ 0 drawn at 1e-16/);
  assert.equal(right.data.values[3].y, LOG_FLOOR);
  assert.match(right.encoding.y.title, /1 value ≤ 0 drawn at 1e-16/);
});

test('h* = 0 falls back to the absolute gap h − h*', () => {
  const [left] = panels(convergencePlotSpec([{ iter: 0, solverSeconds: 0, value: 0.5, hypergradNorm: 1 }], { title: 't', hStar: 0 }));

  assert.equal(left.data.values[0].y, 0.5);
  assert.match(left.encoding.y.title, /^h − h\* \(log\)$/);
});

test('NaN and infinite values are left out of their panel, counted in the subtitle, and the plot still renders', async () => {
  const records = convergingRun(30);
  records[10].value = NaN;
  records[11].value = Infinity;
  records[12].hypergradNorm = NaN;
  records[13].solverSeconds = -Infinity;

  const spec = convergencePlotSpec(records, { title: 'diverging', hStar: H_STAR });
  const svg = await convergencePlotSvg(records, { title: 'diverging', hStar: H_STAR });

  const [left, right] = panels(spec);
  assert.equal(left.data.values.length, 27);
  assert.equal(right.data.values.length, 28);
  assert.match(subtitleOf(spec), /not shown \(non-finite\): 3 of 30 suboptimality values, 2 of 30 ‖∇h‖ values/);
  assert.ok(svg.includes('not shown (non-finite): 3 of 30 suboptimality values'));
});

test('when every record is dropped from both panels alike, the subtitle counts records', () => {
  const records = convergingRun(10);
  records[4].solverSeconds = NaN;

  assert.match(subtitleOf(convergencePlotSpec(records, { title: 't' })), /not shown \(non-finite\): 1 of 10 records/);
});

test('a run with a single record renders', async () => {
  const svg = await convergencePlotSvg([{ iter: 0, solverSeconds: 0, value: 1, hypergradNorm: 1 }], { title: 'one point' });

  assert.ok(svg.startsWith('<svg'));
});

test('long runs are thinned evenly to maxPoints, keeping the first and the last record', () => {
  const records = convergingRun(5000);

  const spec = convergencePlotSpec(records, { title: 't', maxPoints: 100 });

  const [left] = panels(spec);
  assert.equal(left.data.values.length, 100);
  assert.equal(left.data.values[0].x, records[0].solverSeconds);
  assert.equal(left.data.values[99].x, records[4999].solverSeconds);
  assert.match(subtitleOf(spec), /100 of 5000 records drawn/);
});

test('empty, unplottable or malformed input is an error naming the function, the field and the value', async () => {
  const nanOnly = [{ iter: 0, solverSeconds: 0, value: NaN, hypergradNorm: NaN }];
  const malformed = [...convergingRun(2), { iter: 2, solverSeconds: 0.1, value: '0.3', hypergradNorm: 1 }] as never;

  await assert.rejects(convergencePlotSvg([], { title: 't' }), /convergencePlotSvg: records is an empty array; expected at least one record/);
  await assert.rejects(convergencePlotSvg(nanOnly, { title: 't' }), /convergencePlotSvg: none of the 1 records has a finite solverSeconds/);
  await assert.rejects(convergencePlotSvg(malformed, { title: 't' }), /convergencePlotSvg: records\[2\]\.value is "0\.3"; expected a number/);
  await assert.rejects(convergencePlotSvg(convergingRun(2), { title: '' }), /options\.title is ""; expected a non-empty string/);
  await assert.rejects(convergencePlotSvg(convergingRun(2), { title: 't', hStar: NaN }), /options\.hStar is NaN; expected a finite number/);
  await assert.rejects(convergencePlotSvg(convergingRun(2), { title: 't', xAxis: 'time' as never }), /options\.xAxis is "time"; expected 'solverSeconds' or 'iter'/);
  await assert.rejects(convergencePlotSvg(convergingRun(2), { title: 't', maxPoints: 1 }), /options\.maxPoints is 1; expected an integer >= 2/);
});
