// The series hypergradient of MRBO, VRBO, SUSTAIN, TTSA and BSA. References: the truncated Neumann series
// −η Σ_{q≤K} (I − ηH)^q ∇_z F built from the dense full-batch Hessian (closed form at a fixed point). stocBiO's series
// (`neumann`) has the mean of the K = N series; Ghadimi & Wang's randomly truncated product (`hia`) has the mean of the
// K = N − 1 series, and not that of the K = N one; full draws give the deterministic series; every oracle is counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemv, matrix, nrm2, Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { countingProblem, emptyCounts } from '../oracle-counts';
import { NeumannHypergradient } from './neumann-hypergradient';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 32, nOuter: 32, mu: 0.5, L: 1, seed: 4 });
const d = problem.dimZ;
const x = Float64Array.of(0.3, -0.7, 0.2);
const { z } = problem.hypergradient(x);
const dist = (a: Float64Array, b: Float64Array) => nrm2(Float64Array.from(a, (v, i) => v - b[i]));
/** Monte Carlo draws of the unbiasedness tests: a relative standard error of about 1% (measured 0.9–1.7%). */
const DRAWS = 20_000;
/** Tolerance on the mean of DRAWS estimates against its series (measured 0.3–0.9%). */
const MEAN_TOL = 0.03;

/** −η Σ_{q≤K} (I − ηH)^q b with the dense full-batch Hessian at (z, x) and b = ∇_z F(z, x). */
function series(eta: number, K: number): Float64Array {
  const H = matrix(d, d);
  const e = new Float64Array(d);
  const col = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    e.fill(0);
    e[j] = 1;
    problem.innerHvp(z, x, e, problem.fullInner, col);
    H.data.set(col, j * d);
  }
  const p = new Float64Array(d);
  problem.outerGradZ(z, x, problem.fullOuter, p);
  for (let k = 0; k < d; k++) p[k] = -p[k];
  const s = Float64Array.from(p, (t) => eta * t);
  const hp = new Float64Array(d);
  for (let q = 1; q <= K; q++) {
    gemv(1, H, p, 0, hp);
    for (let k = 0; k < d; k++) {
      p[k] -= eta * hp[k];
      s[k] += eta * p[k];
    }
  }
  return s;
}

function meanOf(estimator: 'neumann' | 'hia', eta: number, N: number): Float64Array {
  const hg = new NeumannHypergradient(problem, { batchSize: 8, eta, terms: N, estimator }, Rng.fromSeed(1));
  const mean = new Float64Array(d);
  const v = new Float64Array(d);
  for (let r = 0; r < DRAWS; r++) {
    hg.draw();
    hg.solve(z, x, v);
    for (let k = 0; k < d; k++) mean[k] += v[k] / DRAWS;
  }
  return mean;
}

test('neumann: full draws give the deterministic series −η Σ_{q≤N} (I − ηH)^q ∇_z F; minibatch draws have it as their mean', () => {
  const hg = new NeumannHypergradient(problem, { batchSize: 8, eta: 0.5, terms: 4, estimator: 'neumann' }, Rng.fromSeed(0));
  const v = new Float64Array(d);
  hg.drawFull();
  hg.solve(z, x, v);
  const ref = series(0.5, 4);
  assert.ok(dist(v, ref) <= 1e-12 * nrm2(ref), `full draws: ${dist(v, ref)}`);
  const rel = dist(meanOf('neumann', 0.5, 4), ref) / nrm2(ref);
  assert.ok(rel < MEAN_TOL, `mean vs series: ${rel}`);
});

test('hia: the mean of −Nη (I − ηH_p)⋯(I − ηH_1) ∇_z f, p ~ U{0..N−1}, is the series with the terms q < N (not q ≤ N)', () => {
  for (const [eta, N] of [
    [0.5, 4],
    [0.3, 6],
  ] as const) {
    const mean = meanOf('hia', eta, N);
    const ref = series(eta, N - 1);
    const other = series(eta, N);
    const rel = dist(mean, ref) / nrm2(ref);
    assert.ok(rel < MEAN_TOL, `η ${eta}, N ${N}: mean vs the q < N series ${rel}`);
    // the two series differ by η(I − ηH)^N b: 7–8% here, well beyond the Monte Carlo error
    assert.ok(dist(mean, other) / nrm2(ref) > 0.05, `η ${eta}, N ${N}: the mean is also near the q ≤ N series`);
  }
});

test('evaluate: v̂ and ĝ = ∇_x f + ∇²_xz g·v̂ on one set of draws, repeatable at any point; every oracle counted', () => {
  const counts = emptyCounts();
  const hg = new NeumannHypergradient(countingProblem(problem, counts), { batchSize: 8, eta: 0.5, terms: 5, estimator: 'hia' }, Rng.fromSeed(3));
  assert.throws(() => hg.solve(z, x, new Float64Array(d)), /NeumannHypergradient: call draw\(\) or drawFull\(\) first/);
  assert.throws(() => hg.drawFull(), /full draws are for the neumann series/);
  hg.draw();
  const v1 = new Float64Array(d);
  const g1 = new Float64Array(3);
  const v2 = new Float64Array(d);
  const g2 = new Float64Array(3);
  const zOther = Float64Array.from(z, (t) => t + 0.1);
  hg.evaluate(z, x, v1, g1);
  const p = hg.products;
  hg.evaluate(zOther, x, v2, g2);
  hg.evaluate(z, x, v2, g2);
  assert.ok(v1.every((t, i) => Object.is(t, v2[i])) && g1.every((t, i) => Object.is(t, g2[i])), 'same draws, same point, same bits');
  assert.deepEqual([counts.outerGradZ, counts.outerGradX, counts.cross, counts.hvp], [3, 3, 3, 3 * p]);
  // by hand: ĝ = ∇_x f_I + cross_J·v̂ on the drawn batches
  const fx = new Float64Array(3);
  const cv = new Float64Array(3);
  problem.outerGradX(z, x, hg.draws.outer!, fx);
  problem.innerCross(z, x, v1, hg.draws.cross!, cv);
  assert.ok(dist(g1, Float64Array.from(fx, (t, i) => t + cv[i])) <= 1e-15 * (1 + nrm2(g1)));
});
