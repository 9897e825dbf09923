// VRBO: defaults of the public benchmark; the SARAH recursion differences each point against the point of the previous
// estimate, x included (with every draw the full sample set it then telescopes to the full-batch series hypergradient
// at every step, across the x steps); the periodic full refresh is counted as full passes; and the paper's point,
// variance reduction: with constant steps and refreshes the minibatch method converges to the very point of the
// deterministic series method (to 1e-10), while without refreshes the recursion's error accumulates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import { countingProblem, emptyCounts } from './oracle-counts';
import { NeumannHypergradient } from './parts/neumann-hypergradient';
import type { HypergradientDirection } from './parts/recursive-hypergradient';
import type { Solver, StreamName } from './solver';
import { vrbo } from './vrbo';

const dist = (a: Float64Array, b: Float64Array) => nrm2(Float64Array.from(a, (v, i) => v - b[i]));

/** Drives the parts by hand in the order of multi-rate:m (m inner and v steps at x_s, then the x step). */
function drive(problem: BilevelProblem, solver: Solver, outerSteps: number, seed: number, visit?: (z: Float64Array, x: Float64Array, published: HypergradientDirection) => void) {
  const m = solver.options.innerIters as number;
  const counts = { inner: emptyCounts(), linsys: emptyCounts(), outer: emptyCounts() };
  const rng = Rng.fromSeed(seed);
  const st = {} as Record<StreamName, unknown>;
  for (const s of ['inner', 'linsys', 'outer'] as const) st[s] = solver[s].init(countingProblem(problem, counts[s]), rng.split());
  let z = new Float64Array(problem.dimZ);
  let v = new Float64Array(problem.dimZ);
  let x = new Float64Array(problem.dimX);
  let j = 0;
  for (let s = 0; s < outerSteps; s++) {
    let published: HypergradientDirection | undefined;
    for (let i = 0; i < m; i++, j++) {
      const z1 = new Float64Array(problem.dimZ);
      const v1 = new Float64Array(problem.dimZ);
      solver.inner.step(st.inner, { z, v, x }, j, z1);
      published = solver.linsys.step(st.linsys, { z, v, x }, j, v1) as HypergradientDirection;
      visit?.(z, x, published);
      z = z1;
      v = v1;
    }
    const x1 = new Float64Array(problem.dimX);
    solver.outer.step(st.outer, { z, v, x, aux: { v: published } }, s, x1);
    x = x1;
  }
  return { x, counts, st };
}

test('vrbo: the benchmark defaults (steps 0.1, η 0.1, N = 10, m = 10, period_frac 128, batch 64); q from the problem sizes', () => {
  const s = vrbo();
  assert.deepEqual(s.options, { batchSize: 64, innerStep: 0.1, outerStep: 0.1, neumannStep: 0.1, neumannTerms: 10, innerIters: 10, periodFrac: 128, period: 'auto' });
  assert.equal(s.schedule, 'multi-rate:10');
  assert.match(s.citation, /Yang, Ji, Liang\. Provably faster algorithms for bilevel optimization\. NeurIPS 2021/);
  // q = ⌊128 (n + m) / b⌋ outer steps = 128·128/64 = 256, i.e. 2560 steps of the inner and linear-system parts
  const problem = quadraticProblem({ dimZ: 4, dimX: 2, nInner: 64, nOuter: 64, seed: 1 });
  const state = s.linsys.init(problem, Rng.fromSeed(0));
  assert.equal(s.linsys.diagnostics!(state).period, 2560);
  assert.equal(vrbo({ period: 3, innerIters: 4 }).linsys.diagnostics!(vrbo({ period: 3, innerIters: 4 }).linsys.init(problem, Rng.fromSeed(0))).period, 12);
  assert.throws(() => vrbo({ period: 0 }), /vrbo: period must be a positive integer, received 0/);
  assert.throws(() => vrbo({ innerIters: 2.5 }), /vrbo: innerIters must be a positive integer, received 2.5/);
  assert.throws(() => vrbo({ q: 3 } as never), /vrbo: unknown option "q"/);
});

test('vrbo: with full-sample draws the recursion telescopes to the full series hypergradient at every point, across the x steps', () => {
  // batch = n: every minibatch, Hessian batch included, is the whole sample set, so d_j = d_{j−1} + ĝ(P_j) − ĝ(P_{j−1})
  // equals ĝ_full(P_j) exactly when P_{j−1} is the point of the previous estimate (z_{j−1}, x_s), even after x moved
  const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 16, nOuter: 16, seed: 3 });
  const full = new NeumannHypergradient(problem, { batchSize: 16, eta: 0.5, terms: 8, estimator: 'neumann' }, Rng.fromSeed(0));
  const v = new Float64Array(6);
  const g = new Float64Array(3);
  let worst = 0;
  drive(problem, vrbo({ batchSize: 16, period: 1000, neumannStep: 0.5, neumannTerms: 8, innerIters: 3, outerStep: 0.3 }), 20, 0, (z, x, published) => {
    full.drawFull();
    full.evaluate(z, x, v, g);
    worst = Math.max(worst, dist(published.direction, g) / nrm2(g));
  });
  // measured 3e-15 (rounding of 60 recursive additions)
  assert.ok(worst < 1e-12, `worst relative gap ${worst}`);
});

test('vrbo: each refresh is one full pass of ∇_z g (inner) and of ∇_z f, ∇_x f, the cross product and the N HVPs (linsys)', () => {
  const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 40, nOuter: 24, seed: 2 });
  const N = 4;
  const m = 3;
  const K = 7;
  const q = 3; // refreshes at outer steps 0, 3, 6
  const { counts } = drive(problem, vrbo({ batchSize: 8, period: q, neumannTerms: N, innerIters: m }), K, 1);
  const steps = K * m;
  const refreshes = Math.ceil(K / q);
  assert.equal(counts.inner.fullPasses, refreshes);
  assert.equal(counts.inner.innerGrad, refreshes + 2 * (steps - refreshes));
  assert.equal(counts.linsys.fullPasses, refreshes * (3 + N));
  assert.equal(counts.linsys.hvp, refreshes * N + 2 * N * (steps - refreshes));
  assert.deepEqual([counts.linsys.outerGradZ, counts.linsys.outerGradX, counts.linsys.cross], Array(3).fill(refreshes + 2 * (steps - refreshes)));
  assert.equal(counts.outer.innerGrad + counts.outer.hvp + counts.outer.cross + counts.outer.outerGradX + counts.outer.outerGradZ, 0);
});

test('vrbo: with refreshes, minibatches converge to the point of the deterministic method (variance reduction); without, they do not', () => {
  const problem = quadraticProblem({ dimZ: 8, dimX: 4, nInner: 32, nOuter: 32, mu: 0.3, seed: 6 });
  const base = { neumannStep: 1, neumannTerms: 10, innerIters: 5 };
  // the deterministic reference: every draw the full sample set, refreshed at every outer step
  const ref = drive(problem, vrbo({ ...base, batchSize: 32, period: 1 }), 3000, 0).x;
  const rel = (opts: object) => dist(drive(problem, vrbo({ ...base, batchSize: 4, ...opts }), 1000, 1).x, ref) / nrm2(ref);
  // measured 1.0e-14 (period 5) and 0.27 (no refresh within the run)
  const refreshed = rel({ period: 5 });
  const never = rel({ period: 100_000 });
  assert.ok(refreshed < 1e-10, `refreshed every 5 outer steps: ${refreshed}`);
  assert.ok(never > 1e-2, `never refreshed: ${never}`);
});
