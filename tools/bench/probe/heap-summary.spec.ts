import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:perf_hooks';
import { heapSummary } from './heap-summary';

const samples = (slope: number) => [0, 1, 2, 3, 4].map((k) => ({ step: k * 1000, heapUsed: 5e6 + (k === 0 ? 9e5 : slope * k * 1000), at: 100 * k }));

test('the slope is fitted on the steady state only (the warm-up sample is left out) and scaled to 10⁵ steps', () => {
  const h = heapSummary(samples(0.5), []);
  assert.ok(Math.abs(h.slopePer1e5 - 0.5e5) < 1e-6);
  assert.equal(h.range, 0.5 * 3000);
  assert.equal(h.steadySteps, 3000);
});

test('only unforced GCs inside the steady state count, scaled to 10⁶ steps', () => {
  const { NODE_PERFORMANCE_GC_MINOR: MINOR, NODE_PERFORMANCE_GC_MAJOR: MAJOR } = constants;
  const events = [
    { at: 50, kind: MINOR, forced: false, ms: 1 }, // during warm-up
    { at: 150, kind: MINOR, forced: false, ms: 1 },
    { at: 250, kind: MINOR, forced: false, ms: 1 },
    { at: 300, kind: MAJOR, forced: true, ms: 5 }, // the sampler's own gc()
    { at: 350, kind: MAJOR, forced: false, ms: 5 },
  ];
  const h = heapSummary(samples(0), events);
  assert.equal(h.minorPer1e6, (2 * 1e6) / 3000);
  assert.equal(h.majorPer1e6, 1e6 / 3000);
  assert.equal(h.otherPer1e6, 0);
  assert.equal(h.slopePer1e5, 0);
});

test('fewer than 3 samples are refused', () => {
  assert.throws(() => heapSummary(samples(0).slice(0, 2), []), /heapSummary: 2 samples, expected at least 3/);
});
