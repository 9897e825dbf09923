import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Graph, evaluate, intervalBounds, linearBounds } from '@bilevel/verify';
import { CARTPOLE } from '../systems/cartpole';
import { cartpoleGraph } from './cartpole-graph';

/** Same formula, different operation order (a·(1/b) against a/b): a few ulps of O(10) values. */
const AGREE_TOL = 1e-12;
const FC = { seed: 17, numRuns: 200 };
const { lo, hi } = CARTPOLE.domain;

function graph(): { g: Graph; f: number[] } {
  const g = new Graph(6); // x (4), u, m: no extra input for the reciprocal, the graph divides
  const [p, v, th, w, u, m] = g.inputs();
  return { g, f: cartpoleGraph(g, [p, v, th, w], [u], [m]) };
}

const state = fc.tuple(...[0, 1, 2, 3].map((i) => fc.double({ min: lo[i], max: hi[i], noNaN: true })), fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: 0.09, max: 0.11, noNaN: true }));

test('cartpoleGraph is CARTPOLE.dynamics (the division by M + m sin²ϑ is a graph node)', () => {
  const { g, f } = graph();
  fc.assert(
    fc.property(state, ([p, v, th, w, u, m]) => {
      const val = evaluate(g, Float64Array.of(p, v, th, w, u, m));
      const ref = new Float64Array(4);
      CARTPOLE.dynamics([p, v, th, w], [u], [m], ref);
      for (let i = 0; i < 4; i++) assert.ok(Math.abs(val[f[i]] - ref[i]) < AGREE_TOL * (1 + Math.abs(ref[i])), `f${i}: ${val[f[i]]} vs ${ref[i]}`);
    }),
    FC,
  );
});

test('cartpoleGraph: interval and linear bounds over the domain × parameter box enclose sampled true dynamics', () => {
  const { g, f } = graph();
  const box = { lo: Float64Array.of(...lo, -10, 0.09), hi: Float64Array.of(...hi, 10, 0.11) };
  const b = intervalBounds(g, box);
  const lin = linearBounds(g, box, { nodes: f }).outputs.map((o) => o.bound);
  // the denominator M + m sin²ϑ ∈ [1, 1 + 0.11 sin²0.6]: bounded away from 0, so every bound is finite
  f.forEach((node, i) => assert.ok(Number.isFinite(b[node].lo) && Number.isFinite(b[node].hi) && Number.isFinite(lin[i].lo) && Number.isFinite(lin[i].hi), `f${i} bounded`));
  fc.assert(
    fc.property(state, ([p, v, th, w, u, m]) => {
      const ref = new Float64Array(4);
      CARTPOLE.dynamics([p, v, th, w], [u], [m], ref);
      for (let i = 0; i < 4; i++) {
        assert.ok(ref[i] >= b[f[i]].lo && ref[i] <= b[f[i]].hi, `f${i} = ${ref[i]} outside the interval bound`);
        assert.ok(ref[i] >= lin[i].lo && ref[i] <= lin[i].hi, `f${i} = ${ref[i]} outside the linear bound`);
      }
    }),
    FC,
  );
});
