// The "Write a part" example of docs/solvers-and-parts.md (once the README's "How to add a solver"), kept compiling
// and running: SABA's inner and linear-system parts with a plain SGD outer part, under the gauss-seidel schedule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom } from 'rxjs';
import { BlockSampler } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import { quadraticProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from '@bilevel/solvers';
import { saba } from '@bilevel/solvers';
import { run } from '@bilevel/streams';

interface SgdOuterState {
  p: BilevelProblem;
  inner: BlockSampler;
  outer: BlockSampler;
  c: Float64Array;
  f: Float64Array;
}

const sgdOuter: StreamPart<SgdOuterState> = {
  stream: 'outer',
  init: (p, rng) => ({
    p,
    inner: new BlockSampler(p.nInner, 32, rng.split()),
    outer: new BlockSampler(p.nOuter, 32, rng.split()),
    c: new Float64Array(p.dimX),
    f: new Float64Array(p.dimX),
  }),
  step(s, { z, v, x }, _t, out) {
    s.p.innerCross(z, x, v, s.inner.next().indices, s.c);
    s.p.outerGradX(z, x, s.outer.next().indices, s.f);
    for (let k = 0; k < out.length; k++) out[k] = x[k] - 0.01 * (s.c[k] + s.f[k]);
  },
};

test('a custom solver assembled from parts runs through the streams and makes progress', async () => {
  const problem = quadraticProblem({ dimZ: 10, dimX: 5, nInner: 128, nOuter: 128, seed: 1 });
  const mine: Solver = { ...saba({ batchSize: 32 }), name: 'saba-sgd-outer', outer: sgdOuter as StreamPart };
  const last = await lastValueFrom(run(problem, mine, { maxIter: 5000, schedule: 'gauss-seidel' }));
  const g0 = Math.hypot(...problem.hypergradient(new Float64Array(5)).grad);
  const g = Math.hypot(...problem.hypergradient(last.x).grad);
  assert.ok(g < 0.1 * g0, `‖∇h‖ went from ${g0} to ${g}`);
});
