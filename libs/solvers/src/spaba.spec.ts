// SPABA and its PAGE estimator: defaults; p = b/(b + N) per stream; with p = 1 every estimate is the full-batch
// direction; the refreshes are Bernoulli(p) (count within 4σ of p·T); between refreshes the SARAH recursion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { spaba } from './spaba';
import { pageEstimator } from './parts/page-estimator';
import { streamDirection } from './parts/direction';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 80, nOuter: 48, seed: 6 });
const point = (seed: number) => {
  const rng = Rng.fromSeed(seed);
  return { z: rng.normals(new Float64Array(6)), v: rng.normals(new Float64Array(6)), x: rng.normals(new Float64Array(3)) };
};

test('spaba: the defaults (steps 0.1, batch 64, p = b/(b + N), no clipping), jacobi, a citation; options are validated', () => {
  const s = spaba();
  assert.equal(s.name, 'spaba');
  assert.equal(s.schedule, 'jacobi');
  assert.deepEqual(s.options, { batchSize: 64, innerStep: 0.1, linsysStep: 0.1, outerStep: 0.1, probability: 'b/(b+N)', linsysRadius: 'none' });
  assert.match(s.citation, /Chu, Xu, Yao, Zhang.*ICML 2024/);
  assert.throws(() => spaba({ probability: 0 }), /spaba: probability must be in \(0, 1\], received 0/);
  assert.throws(() => spaba({ probability: 1.5 }), /spaba: probability must be in \(0, 1\], received 1.5/);
  assert.throws(() => spaba({ linsysRadius: -1 }), /spaba: linsysRadius must be > 0/);
  assert.throws(() => spaba({ period: 3 } as object), /spaba: unknown option "period"/);
  assert.throws(() => pageEstimator({ probability: 2 }), /pageEstimator: probability must be in \(0, 1\], received 2/);
});

test('spaba: p = b/(b + N) per stream, N the largest sample count of its terms (inner: n; linsys and outer: max(n, m))', () => {
  const s = spaba({ batchSize: 8 });
  const reads = point(1);
  const p = (stream: 'inner' | 'linsys' | 'outer') => {
    const part = s[stream];
    const state = part.init(problem, Rng.fromSeed(0));
    part.step(state, reads, 0, new Float64Array(stream === 'outer' ? 3 : 6));
    return part.diagnostics?.(state).probability;
  };
  assert.equal(p('inner'), 8 / 88);
  assert.equal(p('linsys'), 8 / 88);
  assert.equal(p('outer'), 8 / 88);
  const small = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 16, nOuter: 48, seed: 6 });
  const part = s.inner;
  const state = part.init(small, Rng.fromSeed(0));
  part.step(state, reads, 0, new Float64Array(6));
  assert.equal(part.diagnostics?.(state).probability, 8 / 24);
});

test('pageEstimator with p = 1 returns the full-batch direction at every step', () => {
  const direction = streamDirection('linsys', problem);
  const est = pageEstimator({ probability: 1 });
  const state = est.init({ direction, problem, rng: Rng.fromSeed(2), batchSize: 4 });
  const d = new Float64Array(6);
  const hv = new Float64Array(6);
  const fz = new Float64Array(6);
  for (let t = 0; t < 5; t++) {
    const r = point(10 + t);
    est.estimate(state, r, t, d);
    problem.innerHvp(r.z, r.x, r.v, problem.fullInner, hv);
    problem.outerGradZ(r.z, r.x, problem.fullOuter, fz);
    for (let k = 0; k < 6; k++) assert.ok(Math.abs(d[k] - (hv[k] + fz[k])) < 1e-14, `t=${t}, k=${k}`);
  }
  assert.equal(est.diagnostics?.(state).refreshes, 5);
});

test('pageEstimator: refreshes are Bernoulli(p) (count within 4σ of 1 + p(T − 1)); otherwise d ← d + q_B(w_t) − q_B(w_{t−1})', () => {
  const direction = streamDirection('inner', problem);
  const p = 0.2;
  const T = 4000;
  const est = pageEstimator({ probability: p });
  const state = est.init({ direction, problem, rng: Rng.fromSeed(3), batchSize: 4 });
  const d = new Float64Array(6);
  let prev = point(100);
  let prevD = new Float64Array(6);
  let recursive = 0;
  for (let t = 0; t < T; t++) {
    const r = point(100 + t);
    const before = est.diagnostics!(state).refreshes;
    est.estimate(state, r, t, d);
    if (est.diagnostics!(state).refreshes === before) {
      // probe(w_{t−1}) = d_t + q_B(w_{t−1}) − q_B(w_t) with this step's batch: d_{t−1} exactly when d_t is the recursion
      const atPrev = new Float64Array(6);
      est.probe(state, prev, atPrev);
      for (let k = 0; k < 6; k++) assert.ok(Math.abs(atPrev[k] - prevD[k]) < 1e-10, `t=${t}, k=${k}: ${atPrev[k]} vs ${prevD[k]}`);
      recursive++;
    }
    prev = r;
    prevD = Float64Array.from(d);
  }
  const refreshes = est.diagnostics!(state).refreshes;
  assert.equal(refreshes + recursive, T);
  const mean = 1 + p * (T - 1);
  const sd = Math.sqrt(p * (1 - p) * (T - 1));
  assert.ok(Math.abs(refreshes - mean) < 4 * sd, `${refreshes} refreshes, expected ${mean} ± ${4 * sd}`);
});
