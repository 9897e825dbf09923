// BO-REP's parts: defaults; every outer step has length η (normalized momentum); the lower level moves only every I
// outer steps, by N SGD steps (plus the refinement at t = 0), and its oracle calls say so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { boRep } from './bo-rep';
import { countingProblem, emptyCounts } from './oracle-counts';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 40, nOuter: 40, seed: 7 });

test('boRep: the authors\' defaults (0.05 / 0.01 / 0.05, β = 0.9, I = 2, N = 10, no refinement), gauss-seidel; options are validated', () => {
  const s = boRep();
  assert.equal(s.name, 'bo-rep');
  assert.equal(s.schedule, 'gauss-seidel');
  assert.deepEqual(s.options, {
    batchSize: 64,
    innerStep: 0.05,
    linsysStep: 0.01,
    outerStep: 0.05,
    momentum: 0.9,
    period: 2,
    periodSteps: 10,
    refineSteps: 0,
    linsysRadius: 'none',
  });
  assert.match(s.citation, /Hao, Gong, Liu.*ICLR 2024/);
  assert.throws(() => boRep({ momentum: 1 }), /boRep: momentum must be in \[0, 1\), received 1/);
  assert.throws(() => boRep({ period: 0 }), /boRep: period must be a positive integer, received 0/);
  assert.throws(() => boRep({ refineSteps: -1 }), /boRep: refineSteps must be an integer ≥ 0, received -1/);
  assert.throws(() => boRep({ interval: 2 } as object), /boRep: unknown option "interval"/);
});

test('boRep: every outer step moves x by exactly η, whatever the size of the direction', () => {
  const eta = 0.03;
  const solver = boRep({ batchSize: 4, outerStep: eta });
  const state = solver.outer.init(problem, Rng.fromSeed(1));
  const rng = Rng.fromSeed(2);
  let x = rng.normals(new Float64Array(3));
  for (let t = 0; t < 50; t++) {
    // directions of very different sizes: z and v scaled by 10^±3
    const scale = 10 ** (3 * Math.sin(t));
    const z = rng.normals(new Float64Array(6)).map((e) => e * scale);
    const v = rng.normals(new Float64Array(6)).map((e) => e * scale);
    const out = new Float64Array(3);
    solver.outer.step(state, { z, v, x }, t, out);
    const moved = nrm2(out.map((e, k) => e - x[k]));
    assert.ok(Math.abs(moved - eta) < 1e-12 * Math.max(1, nrm2(x)), `t=${t}: moved ${moved}`);
    x = out;
  }
});

test('boRep: z moves only at t mod I = 0, by N SGD steps (R + N at t = 0), and the oracle counts say so', () => {
  const I = 3;
  const N = 4;
  const R = 5;
  const solver = boRep({ batchSize: 4, period: I, periodSteps: N, refineSteps: R, innerStep: 0.1 });
  const counts = emptyCounts();
  const state = solver.inner.init(countingProblem(problem, counts), Rng.fromSeed(3));
  const rng = Rng.fromSeed(4);
  let z = rng.normals(new Float64Array(6));
  const x = rng.normals(new Float64Array(3));
  const v = new Float64Array(6);
  for (let t = 0; t < 10; t++) {
    const before = counts.innerGrad;
    const out = new Float64Array(6);
    solver.inner.step(state, { z, v, x }, t, out);
    const calls = counts.innerGrad - before;
    if (t % I === 0) {
      assert.equal(calls, t === 0 ? R + N : N, `t=${t}`);
      assert.ok(out.some((e, k) => e !== z[k]), `t=${t}: z should move`);
    } else {
      assert.equal(calls, 0, `t=${t}`);
      assert.deepEqual([...out], [...z], `t=${t}: z should stay`);
    }
    z = out;
  }
  assert.equal(solver.inner.diagnostics?.(state).lowerUpdates, 4); // t = 0, 3, 6, 9
  assert.deepEqual([counts.hvp, counts.cross, counts.outerGradZ], [0, 0, 0]);
});

test('boRep: the momentum is m ← βm + (1 − β)D and the step is −η m/‖m‖ (by hand, full batches)', () => {
  const solver = boRep({ batchSize: 40, outerStep: 0.1, momentum: 0.5 });
  const state = solver.outer.init(problem, Rng.fromSeed(5));
  const rng = Rng.fromSeed(6);
  const z = rng.normals(new Float64Array(6));
  const v = rng.normals(new Float64Array(6));
  const x = rng.normals(new Float64Array(3));
  const d = new Float64Array(3);
  const c = new Float64Array(3);
  const m = new Float64Array(3);
  let cur = Float64Array.from(x);
  for (let t = 0; t < 3; t++) {
    const out = new Float64Array(3);
    solver.outer.step(state, { z, v, x: cur }, t, out);
    problem.innerCross(z, cur, v, problem.fullInner, c);
    problem.outerGradX(z, cur, problem.fullOuter, d);
    for (let k = 0; k < 3; k++) m[k] = 0.5 * m[k] + 0.5 * (c[k] + d[k]);
    const norm = nrm2(m);
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(out[k] - (cur[k] - (0.1 * m[k]) / norm)) < 1e-14, `t=${t}, k=${k}`);
    cur = out;
  }
});
