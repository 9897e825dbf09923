// STORM by hand: d_t = q_t(w_t) + (1 − a_t)(d_{t−1} − q_t(w_{t−1})) on the same batch at both points, with a constant
// weight a (Cutkosky & Orabona) or a decreasing one a_t = a·(t+1)^−b ≤ a (MRBO, SUSTAIN, FSLA use a_t ∝ t^−2/3 or t^−1/2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { streamDirection } from './direction';
import { stormEstimator } from './storm-estimator';

const problem = quadraticProblem({ dimZ: 5, dimX: 2, nInner: 24, nOuter: 12, seed: 4 });

/** Runs the estimator on the inner direction along a fixed path and recomputes every estimate by hand. */
function check(momentum: number, momentumDecay: number | undefined, weight: (t: number) => number): void {
  const est = stormEstimator(momentumDecay === undefined ? { momentum } : { momentum, momentumDecay });
  const s = est.init({ direction: streamDirection('inner', problem), problem, rng: Rng.fromSeed(2), batchSize: 4 });
  const x = Float64Array.of(0.3, -0.1);
  const path = Array.from({ length: 6 }, (_, t) => Float64Array.from({ length: 5 }, (_, k) => Math.sin(t + k)));
  const d = new Float64Array(5);
  const byHand = new Float64Array(5);
  const q = new Float64Array(5);
  const qOld = new Float64Array(5);
  for (let t = 0; t < path.length; t++) {
    est.estimate(s, { z: path[t], v: path[t], x }, t, d);
    const batch = s.base.batches[0].indices;
    problem.innerGradZ(path[t], x, batch, q);
    if (t === 0) byHand.set(q);
    else {
      problem.innerGradZ(path[t - 1], x, batch, qOld);
      const a = weight(t);
      for (let k = 0; k < 5; k++) byHand[k] = q[k] + (1 - a) * (byHand[k] - qOld[k]);
    }
    for (let k = 0; k < 5; k++) assert.ok(Math.abs(d[k] - byHand[k]) <= 1e-14 * (1 + Math.abs(byHand[k])), `t = ${t}, k = ${k}: ${d[k]} vs ${byHand[k]}`);
  }
}

test('storm: constant momentum a (the default form)', () => check(0.3, undefined, () => 0.3));

test('storm: decreasing momentum a_t = a·(t+1)^−b', () => {
  check(0.5, 2 / 3, (t) => 0.5 * (t + 1) ** (-2 / 3));
  check(0.1, 0.5, (t) => 0.1 * (t + 1) ** -0.5);
});

test('storm: options are validated', () => {
  assert.throws(() => stormEstimator({ momentum: 0 }), /stormEstimator: momentum must be in \(0, 1\], received 0/);
  assert.throws(() => stormEstimator({ momentumDecay: -1 }), /stormEstimator: momentumDecay must be a finite number ≥ 0, received -1/);
  assert.throws(() => stormEstimator({ momentumDecay: 0.5, momentum: 3 }), /stormEstimator: momentum must be in \(0, 1\], received 3/);
});
