import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Graph, evaluate, intervalBounds } from '@bilevel/verify';
import { CARTPOLE } from '../systems/cartpole';
import { CARTPOLE_RECIPROCAL_RANGE, cartpoleGraph } from './cartpole-graph';

/** Same formula, different operation order: a few ulps of O(10) values. */
const AGREE_TOL = 1e-12;
const FC = { seed: 17, numRuns: 200 };
const { lo, hi } = CARTPOLE.domain;

function graph(): { g: Graph; f: number[] } {
  const g = new Graph(7); // x (4), u, m, r
  const [p, v, th, w, u, m, r] = g.inputs();
  return { g, f: cartpoleGraph(g, [p, v, th, w], [u], [m, r]) };
}

const state = fc.tuple(...[0, 1, 2, 3].map((i) => fc.double({ min: lo[i], max: hi[i], noNaN: true })), fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: 0.09, max: 0.11, noNaN: true }));

test('cartpoleGraph: with r = 1/(M + m sin²ϑ) the graph is CARTPOLE.dynamics, and that r lies in CARTPOLE_RECIPROCAL_RANGE', () => {
  const { g, f } = graph();
  fc.assert(
    fc.property(state, ([p, v, th, w, u, m]) => {
      const r = 1 / (1 + m * Math.sin(th) ** 2);
      assert.ok(r >= CARTPOLE_RECIPROCAL_RANGE.lo && r <= CARTPOLE_RECIPROCAL_RANGE.hi, `r = ${r} outside the range`);
      const val = evaluate(g, Float64Array.of(p, v, th, w, u, m, r));
      const ref = new Float64Array(4);
      CARTPOLE.dynamics([p, v, th, w], [u], [m], ref);
      for (let i = 0; i < 4; i++) assert.ok(Math.abs(val[f[i]] - ref[i]) < AGREE_TOL * (1 + Math.abs(ref[i])), `f${i}: ${val[f[i]]} vs ${ref[i]}`);
    }),
    FC,
  );
});

test('cartpoleGraph: interval bounds over the domain × parameter box enclose sampled true dynamics', () => {
  const { g, f } = graph();
  const box = { lo: Float64Array.of(...lo, -10, 0.09, CARTPOLE_RECIPROCAL_RANGE.lo), hi: Float64Array.of(...hi, 10, 0.11, CARTPOLE_RECIPROCAL_RANGE.hi) };
  const b = intervalBounds(g, box);
  fc.assert(
    fc.property(state, ([p, v, th, w, u, m]) => {
      const ref = new Float64Array(4);
      CARTPOLE.dynamics([p, v, th, w], [u], [m], ref);
      for (let i = 0; i < 4; i++) assert.ok(ref[i] >= b[f[i]].lo && ref[i] <= b[f[i]].hi);
    }),
    FC,
  );
});
