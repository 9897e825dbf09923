// The peer benchmark's headline: per implementation, medians over seeds of µs per iteration and seconds to the first
// target on the CPU and the wall clock, peak memory; Python/ours ratios on both clocks. Expected values are worked
// out by hand from the hand-made curves below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CurvePoint } from './curve-stats';
import { headline } from './headline';
import { implementations } from './implementations';

/** A curve with checkpoints every 100 iterations: `secondsPer100` per 100 iterations, the given metrics. */
function curve(secondsPer100: number, metrics: number[]): CurvePoint[] {
  return metrics.map((metric, k) => ({ iter: 100 * k, seconds: secondsPer100 * k, metric }));
}

// the metric reaches 0.2 at the 3rd checkpoint (iteration 200) for everyone
const M = [0.9, 0.5, 0.2, 0.1];

test('figures on both clocks, per implementation, and the ratios of every Python peer to every driver of ours', () => {
  // Arrange: our threads driver (2 threads) costs 2 ms CPU per 100 iterations over its two threads but waits 1 ms of
  // wall; numba at 1 and 2 BLAS threads, loop on one thread
  const impls = implementations({ peers: ['loop', 'threads', 'numba'], blasThreads: 1, ourThreads: 2 });
  const timing = {
    curves: {
      loop: [curve(0.001, M), curve(0.003, M), curve(0.002, M)],
      threads: [curve(0.002, M), curve(0.002, M), curve(0.002, M)],
      numba: [curve(0.004, M), curve(0.004, M), curve(0.004, M)],
      'numba-2t': [curve(0.006, M), curve(0.006, M), curve(0.006, M)],
    },
    wallCurves: {
      loop: [curve(0.002, M), curve(0.002, M), curve(0.002, M)],
      threads: [curve(0.001, M), curve(0.001, M), curve(0.001, M)],
      numba: [curve(0.004, M), curve(0.004, M), curve(0.004, M)],
      'numba-2t': [curve(0.003, M), curve(0.003, M), curve(0.003, M)],
    },
    peaks: { loop: [100, 120, 110], threads: [200, 200, 200], numba: [400, 400, 400], 'numba-2t': [400, 400, 400] },
  };

  // Act
  const h = headline([0.2, 0.1], timing, impls);

  // Assert: loop's medians are the middle seed (2 ms per 100 iterations CPU → 20 µs/iter, 4 ms to iteration 200)
  assert.equal(h.target, 0.2);
  assert.deepEqual(h.figures.loop, { threads: 1, usPerIter: 20, usPerIterWall: 20, secondsToTarget: 0.004, secondsToTargetWall: 0.004, peakMB: 110 });
  assert.deepEqual(h.figures.threads, { threads: 2, usPerIter: 20, usPerIterWall: 10, secondsToTarget: 0.004, secondsToTargetWall: 0.002, peakMB: 200 });
  assert.deepEqual(h.figures['numba-2t'], { threads: 2, usPerIter: 60, usPerIterWall: 30, secondsToTarget: 0.012, secondsToTargetWall: 0.006, peakMB: 400 });
  assert.deepEqual(Object.keys(h.ratios).sort(), ['numba-2t/loop', 'numba-2t/threads', 'numba/loop', 'numba/threads']);
  assert.deepEqual(h.ratios['numba-2t/threads'], { usPerIter: 3, timeToTarget: 3, peakMB: 2, usPerIterWall: 3, timeToTargetWall: 3, sameThreads: true });
  assert.deepEqual(h.ratios['numba/threads'], { usPerIter: 2, timeToTarget: 2, peakMB: 2, usPerIterWall: 4, timeToTargetWall: 4, sameThreads: false });
  assert.equal(h.ratios['numba/loop'].sameThreads, true);
});

test('a target not reached is null; a ratio is 0 when only ours misses it, null when only theirs does', () => {
  const impls = implementations({ peers: ['loop', 'numpy'], blasThreads: 1, ourThreads: 2 });
  const never = [0.9, 0.8, 0.7, 0.6];
  const timing = {
    curves: { loop: [curve(0.001, never)], numpy: [curve(0.002, M)] },
    wallCurves: { loop: [curve(0.001, never)], numpy: [curve(0.002, M)] },
    peaks: { loop: [100], numpy: [300] },
  };

  const h = headline([0.2], timing, impls);

  assert.equal(h.figures.loop.secondsToTarget, null);
  assert.equal(h.figures.loop.secondsToTargetWall, null);
  assert.equal(h.ratios['numpy/loop'].timeToTarget, 0);
  assert.equal(h.ratios['numpy/loop'].usPerIter, 2);
  assert.equal(h.ratios['numpy/loop'].peakMB, 3);
  const swapped = headline([0.2], { ...timing, curves: { loop: [curve(0.001, M)], numpy: [curve(0.002, never)] } }, impls);
  assert.equal(swapped.ratios['numpy/loop'].timeToTarget, null);
});
