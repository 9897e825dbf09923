// MRBO and SUSTAIN, the double-momentum solvers: the steps by hand (z and x move from the same point (z_t, x_t); that
// the streams under multi-rate:1 do exactly this is in test/src/solvers/benchmark), the oracle calls of a step, and the
// papers' point: the momentum recursion's direction is far closer to the series hypergradient at the current point than one
// minibatch estimate is (variance reduction), and with the momentum off (a = 1: plain SGD) it is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { mrbo } from '../mrbo';
import { countingProblem, emptyCounts } from '../oracle-counts';
import type { Solver, StreamName } from '../solver';
import { sustain } from '../sustain';
import { NeumannHypergradient } from './neumann-hypergradient';
import type { HypergradientDirection } from './recursive-hypergradient';

const problem = quadraticProblem({ dimZ: 8, dimX: 4, nInner: 64, nOuter: 64, seed: 5 });
const dist = (a: Float64Array, b: Float64Array) => nrm2(Float64Array.from(a, (v, i) => v - b[i]));
const SOLVERS = { mrbo, sustain } as const;

/** Drives the three parts by hand in the order of multi-rate:1 and calls `visit` after each step. */
function drive(solver: Solver, T: number, seed: number, visit: (t: number, z: Float64Array, x: Float64Array, published: HypergradientDirection) => void) {
  const counts = { inner: emptyCounts(), linsys: emptyCounts(), outer: emptyCounts() };
  const rng = Rng.fromSeed(seed);
  const st = {} as Record<StreamName, unknown>;
  for (const s of ['inner', 'linsys', 'outer'] as const) st[s] = solver[s].init(countingProblem(problem, counts[s]), rng.split());
  let z = new Float64Array(8);
  let v = new Float64Array(8);
  let x = new Float64Array(4);
  for (let t = 0; t < T; t++) {
    const z1 = new Float64Array(8);
    const v1 = new Float64Array(8);
    const x1 = new Float64Array(4);
    solver.inner.step(st.inner, { z, v, x }, t, z1);
    const published = solver.linsys.step(st.linsys, { z, v, x }, t, v1) as HypergradientDirection;
    solver.outer.step(st.outer, { z: z1, v: v1, x, aux: { v: published } }, t, x1);
    visit(t, z, x, published);
    z = z1;
    v = v1;
    x = x1;
  }
  return { z, v, x, counts };
}

for (const [name, make] of Object.entries(SOLVERS)) {
  test(`${name}: x_{t+1} = x_t − α₀(t+1)^−1/3·d^x_t, the direction published with the v computed at (z_t, x_t)`, () => {
    const solver = make({ batchSize: 4 });
    assert.equal(solver.schedule, 'multi-rate:1');
    const xs: Float64Array[] = [];
    const byHand = drive(solver, 40, 3, (t, _z, x, published) => {
      assert.ok(published.x.every((e, i) => Object.is(e, x[i])), 'the direction is published with the x it was computed at');
      xs.push(Float64Array.from(x, (e, i) => e - 0.1 * (t + 1) ** (-1 / 3) * published.direction[i]));
    });
    assert.ok(xs[39].every((e, i) => Math.abs(e - byHand.x[i]) <= 1e-15 * (1 + Math.abs(e))), 'x step');
  });

  test(`${name}: oracle calls of a step: z 1 then 2 ∇_z g; v 1 then 2 of ∇_z f, ∇_x f, cross and the series' HVPs; x none`, () => {
    const N = 6;
    const solver = make({ batchSize: 4, neumannTerms: N });
    const { counts } = drive(solver, 2, 1, () => {});
    assert.equal(counts.inner.innerGrad, 1 + 2);
    assert.deepEqual([counts.linsys.outerGradZ, counts.linsys.outerGradX, counts.linsys.cross], [1 + 2, 1 + 2, 1 + 2]);
    if (name === 'mrbo') assert.equal(counts.linsys.hvp, N + 2 * N);
    else assert.ok(counts.linsys.hvp <= 3 * (N - 1), `${counts.linsys.hvp} HVPs: p ≤ N − 1 per point`);
    assert.equal(counts.linsys.innerGrad + counts.outer.innerGrad + counts.outer.hvp + counts.outer.cross + counts.outer.outerGradX, 0);
    assert.equal(counts.inner.fullPasses + counts.linsys.fullPasses, 0);
  });
}

// Over the second half of 2000 steps: ‖d^x_t − ĝ_full(z_t, x_t)‖ against ‖ĝ(z_t, x_t; S) − ĝ_full(z_t, x_t)‖ for a fresh
// minibatch draw S, in root mean square; ĝ_full is the deterministic series whose mean the estimates have (the q ≤ N
// series for MRBO, q < N for SUSTAIN). Measured on seeds 0–2: 0.008–0.009 with the defaults (a_t = 0.5 (t+1)^−2/3),
// 1.09–1.19 with a = 1 (no momentum).
const VR_RATIO = 0.1;
for (const [name, make] of Object.entries(SOLVERS)) {
  test(`${name}: the momentum direction is within ${VR_RATIO} of one sample's error of the series hypergradient (variance reduction); with a = 1 it is not`, () => {
    const ratio = (opts: object) => {
      const solver = make({ batchSize: 4, ...opts });
      const N = solver.options.neumannTerms as number;
      const eta = solver.options.neumannStep as number;
      const full = new NeumannHypergradient(problem, { batchSize: 4, eta, terms: name === 'mrbo' ? N : N - 1, estimator: 'neumann' }, Rng.fromSeed(9));
      const one = new NeumannHypergradient(problem, { batchSize: 4, eta, terms: N, estimator: name === 'mrbo' ? 'neumann' : 'hia' }, Rng.fromSeed(10));
      const v = new Float64Array(8);
      const gFull = new Float64Array(4);
      const gOne = new Float64Array(4);
      let eDir = 0;
      let eOne = 0;
      const T = 2000;
      drive(solver, T, 0, (t, z, x, published) => {
        if (t < T / 2) return;
        full.drawFull();
        full.evaluate(z, x, v, gFull);
        one.draw();
        one.evaluate(z, x, v, gOne);
        eDir += dist(published.direction, gFull) ** 2;
        eOne += dist(gOne, gFull) ** 2;
      });
      return Math.sqrt(eDir / eOne);
    };
    const withMomentum = ratio({});
    const without = ratio({ momentum: 1, momentumDecay: 0 });
    assert.ok(withMomentum < VR_RATIO, `with momentum: ${withMomentum}`);
    assert.ok(without > 0.5, `without momentum: ${without}`);
  });
}
