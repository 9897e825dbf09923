import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { EvalPoint } from './execute-run';
import { aggregate, bestSoFar, logAxis, quantile } from './aggregate';
import { syntheticRun } from './synthetic-run';

/** Quantiles are sums of a few products: equal to rounding. */
const TOL = 1e-12;
const FC_SEED = 11;

/**
 * Five seeds k = 1…5 of one solver: metric 10 at t = 0, k at t = 0.1 (calls 100), k/10 at t = 1 (calls 1000).
 * At t = 0.1 the seeds hold {1,…,5}: median 3, q20 = 1 + 0.8·1 = 1.8, q80 = 4 + 0.2·1 = 4.2 (position q·(n−1)).
 * At t = 1 they hold {0.1,…,0.5}: median 0.3, q20 0.18, q80 0.42.
 */
const fiveSeeds = [1, 2, 3, 4, 5].map((k) =>
  syntheticRun('toy', 'alpha', k, [
    [0, 0, 10],
    [0.1, 100, k],
    [1, 1000, k / 10],
  ]),
);

const near = (a: number | null, b: number, what: string) => assert.ok(a !== null && Math.abs(a - b) <= TOL * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('median and 20–80% band of the best-so-far metric on the common log axis', () => {
  // Act
  const [p] = aggregate(fiveSeeds, { gridPoints: 3, tolerances: { toy: [2.5, 0.15, 0.01] } });
  // Assert: the time axis is log-spaced from the smallest positive time (0.1) to the largest (1)
  assert.equal(p.timeAxis.length, 3);
  near(p.timeAxis[0], 0.1, 'axis start');
  near(p.timeAxis[1], Math.sqrt(0.1), 'axis middle');
  near(p.timeAxis[2], 1, 'axis end');
  const b = p.cells[0].byTime;
  near(b.median[0], 3, 'median at 0.1');
  near(b.lower[0], 1.8, 'q20 at 0.1');
  near(b.upper[0], 4.2, 'q80 at 0.1');
  near(b.median[1], 3, 'step function holds between evaluations');
  near(b.median[2], 0.3, 'median at 1');
  near(b.lower[2], 0.18, 'q20 at 1');
  near(b.upper[2], 0.42, 'q80 at 1');
  assert.deepEqual(b.count, [5, 5, 5]);
  // the calls axis is read the same way
  near(p.cells[0].byCalls.median[0], 3, 'median at 100 calls');
  near(p.cells[0].byCalls.median[2], 0.3, 'median at 1000 calls');
});

test('tolerance crossings: median over the seeds that reached it, and k/n', () => {
  const [p] = aggregate(fiveSeeds, { tolerances: { toy: [0.15, 2.5, 0.01] } });
  const [t25, t015, t001] = p.cells[0].crossings;
  assert.deepEqual(p.tolerances, [2.5, 0.15, 0.01], 'loosest first');
  // ≤ 2.5: seeds 1, 2 at t = 0.1, seeds 3–5 at t = 1 → times {0.1, 0.1, 1, 1, 1}, median 1
  assert.deepEqual([t25.reached, t25.of], [5, 5]);
  near(t25.medianSeconds, 1, 'time to 2.5');
  near(t25.medianCalls, 1000, 'calls to 2.5');
  // ≤ 0.15: seed 1 only (0.1 at t = 1)
  assert.deepEqual([t015.reached, t015.of], [1, 5]);
  near(t015.medianSeconds, 1, 'time to 0.15');
  // ≤ 0.01: nobody
  assert.deepEqual([t001.reached, t001.medianSeconds, t001.medianCalls], [0, null, null]);
  near(p.cells[0].finalMedian, 0.3, 'median best');
});

test('failed runs are counted, non-finite metrics skipped, cells grouped per solver', () => {
  const runs = [
    ...fiveSeeds,
    syntheticRun('toy', 'beta', 1, [[0, 0, 10], [0.5, 50, NaN]], 'diverged'),
    syntheticRun('toy', 'beta', 2, [], 'error'),
    syntheticRun('toy', 'beta', 3, [[0, 0, 10], [0.5, 50, 4]]),
  ];
  const [p] = aggregate(runs, { tolerances: { toy: [5] } });
  const beta = p.cells.find((c) => c.solver === 'beta')!;
  assert.deepEqual([beta.runs, beta.finished, beta.diverged, beta.errors], [3, 1, 1, 1]);
  assert.equal(beta.errorMessages.length, 2);
  assert.deepEqual([beta.crossings[0].reached, beta.crossings[0].of], [1, 3]);
  // best of seed 1 is 10 (NaN skipped), of seed 3 is 4: median 7
  near(beta.finalMedian, 7, 'median best of beta');
  // results read back from JSON carry null for NaN: the same aggregate
  const again = aggregate(JSON.parse(JSON.stringify(runs)), { tolerances: { toy: [5] } });
  assert.deepEqual(JSON.parse(JSON.stringify(again)), JSON.parse(JSON.stringify([p])));
});

test('quantile: order statistics with linear interpolation (numpy default); logAxis ends', () => {
  assert.equal(quantile([], 0.5), null);
  assert.equal(quantile([7], 0.2), 7);
  near(quantile([4, 1, 3, 2], 0.5), 2.5, 'even median');
  near(quantile([10, 20], 0.2), 12, 'q20 of two');
  assert.deepEqual(logAxis([0, -1, NaN], 5), []);
  assert.deepEqual(logAxis([0, 2, 2], 5), [2]);
});

test('property: best-so-far is the running minimum, non-increasing along the axis', () => {
  const point = fc.record({ t: fc.double({ min: 0, max: 100, noNaN: true }), m: fc.oneof(fc.double({ min: -5, max: 5, noNaN: true }), fc.constant(NaN)) });
  fc.assert(
    fc.property(fc.array(point, { maxLength: 30 }), fc.array(fc.double({ min: 0, max: 120, noNaN: true }), { minLength: 1, maxLength: 20 }), (pts, raw) => {
      const axis = [...raw].sort((a, b) => a - b);
      const points = pts.map((p, k) => ({ iteration: k, solverSeconds: p.t, oracleCalls: k, samples: k, value: p.m, metric: p.m }) as EvalPoint);
      const curve = bestSoFar(points, (p) => p.solverSeconds, axis);
      axis.forEach((a, i) => {
        const seen = points.filter((p) => p.solverSeconds <= a && Number.isFinite(p.metric)).map((p) => p.metric);
        const expected = seen.length ? Math.min(...seen) : NaN;
        assert.ok(Object.is(curve[i], expected) || curve[i] === expected, `at ${a}: ${curve[i]} vs ${expected}`);
        if (i > 0 && Number.isFinite(curve[i - 1])) assert.ok(curve[i] <= curve[i - 1]);
      });
    }),
    { seed: FC_SEED, numRuns: 200 },
  );
});

test("a solver's curve ends where its longest run ends, not drawn flat to the end of the axis", () => {
  // Arrange: solver "fast" stops at t = 0.1 (calls 100), solver "slow" runs to t = 10 (calls 10,000)
  const fast = [1, 2].map((k) => syntheticRun('toy', 'fast', k, [[0.01, 10, 5], [0.1, 100, k]]));
  const slow = [1, 2].map((k) => syntheticRun('toy', 'slow', k, [[0.01, 10, 5], [10, 10_000, k / 10]]));
  // Act
  const [p] = aggregate([...fast, ...slow], { gridPoints: 5 });
  // Assert: the axis runs to 10; "fast" has values up to 0.1 only, "slow" to the end
  const cell = (s: string) => p.cells.find((c) => c.solver === s)!;
  const lastDefined = (xs: readonly (number | null)[]) => xs.findLastIndex((v) => v !== null);
  near(p.timeAxis.at(-1)!, 10, 'axis end');
  assert.equal(lastDefined(cell('fast').byTime.median), p.timeAxis.findLastIndex((t) => t <= 0.1));
  assert.equal(lastDefined(cell('fast').byCalls.median), p.callsAxis.findLastIndex((c) => c <= 100));
  assert.equal(cell('fast').byTime.count.at(-1), 0);
  assert.equal(lastDefined(cell('slow').byTime.median), p.timeAxis.length - 1);
  // a seed that stopped before another of its solver keeps its last best until the cell's end (no jump)
  near(cell('fast').byTime.median[0], 5, 'both seeds at the start');
});
