import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricPlotSpec, metricPlotSvg } from './metric-plot-svg';

test('metricPlotSvg: one line and band per series, the reference line, non-finite points left out and counted', async () => {
  const series = [
    { label: 'imaml', points: [{ x: 0, mean: 20, halfWidth: 2 }, { x: 10, mean: 80, halfWidth: 1 }, { x: 20, mean: NaN }] },
    { label: 'fomaml', points: [{ x: 0, mean: 20, halfWidth: 2 }, { x: 9, mean: 70 }] },
  ];
  const spec = metricPlotSpec(series, { title: '5-way 1-shot', xTitle: 'solver time (s)', yTitle: 'accuracy (%)', reference: { y: 99.5, label: 'paper 99.50' } }) as unknown as {
    data: { values: { series: string; y: number; lo: number; hi: number }[] };
    title: { subtitle?: string };
    layer: unknown[];
  };
  assert.equal(spec.data.values.length, 4);
  assert.deepEqual(spec.data.values[1], { series: 'imaml', x: 10, y: 80, lo: 79, hi: 81 });
  assert.equal(spec.title.subtitle, '1 non-finite point(s) not shown');
  assert.equal(spec.layer.length, 3);
  const svg = await metricPlotSvg(series, { title: '5-way 1-shot', xTitle: 'solver time (s)', yTitle: 'accuracy (%)' });
  assert.match(svg, /^<svg/);
  assert.match(svg, /imaml/);
  assert.match(svg, /fomaml/);
});

test('metricPlotSvg: a log axis keeps only positive means; nothing plottable or no series is an error', () => {
  assert.throws(() => metricPlotSpec([{ label: 'a', points: [{ x: 1, mean: 0 }] }], { title: 't', xTitle: 'x', yTitle: 'y', logY: true }), /no point of the 1 series has a finite x and mean > 0/);
  assert.throws(() => metricPlotSpec([], { title: 't', xTitle: 'x', yTitle: 'y' }), /series must be a non-empty array/);
});
