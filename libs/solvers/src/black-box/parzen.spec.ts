// The adaptive Parzen estimator of TPE: Φ against tabulated values; the σ rule (neighbour gaps clipped, the prior's σ
// the box width); a probability density on the box (integrates to 1, −∞ outside); its draws stay in the box and
// follow it (empirical mean vs the mean by quadrature).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { normalCdf, parzenEstimator, parzenLogPdf, parzenSample } from './parzen';

/** NR's erfc has a fractional error below 1.2e-7. */
const CDF_TOL = 2e-7;

test('normalCdf matches tabulated Φ to the accuracy of its erfc', () => {
  // Φ(t) from the standard tables (scipy.stats.norm.cdf)
  const table: [number, number][] = [
    [0, 0.5],
    [1, 0.8413447460685429],
    [-1.96, 0.024997895148220435],
    [3, 0.9986501019683699],
    [-6, 9.865876450376946e-10],
  ];
  for (const [t, phi] of table) assert.ok(Math.abs(normalCdf(t) - phi) <= CDF_TOL * Math.max(phi, 1e-3), `Φ(${t}) = ${normalCdf(t)}, expected ${phi}`);
});

test('parzenEstimator: centres sorted with the prior at the middle; σ = larger neighbour gap, clipped to [width/min(100, 1+n), width]', () => {
  const p = parzenEstimator([6, 1, 2], 0, 10);
  assert.deepEqual([...p.mus], [1, 2, 5, 6]);
  // gaps: 1 → 1, 2 → max(1, 3) = 3, prior → its own σ = 10, 6 → 1; the floor is 10/min(100, 5) = 2
  assert.deepEqual([...p.sigmas], [2, 3, 10, 2]);
  // observations outside the box are clipped into it; no observation: the prior alone
  assert.deepEqual([...parzenEstimator([-3, 12], 0, 10).mus], [0, 5, 10]);
  const prior = parzenEstimator([], -1, 1);
  assert.deepEqual([...prior.mus, ...prior.sigmas], [0, 2]);
  assert.throws(() => parzenEstimator([1], 2, 2), /parzenEstimator: expected finite low < high, received \[2, 2\]/);
});

test('parzenLogPdf is a probability density on the box (trapezoid integral 1 to 1e-6) and −∞ outside', () => {
  const rng = Rng.fromSeed(1);
  for (let trial = 0; trial < 5; trial++) {
    const points = Array.from({ length: 1 + trial * 7 }, () => -5 + 10 * rng.float() ** 2);
    const p = parzenEstimator(points, -5, 5);
    const n = 200_000;
    const h = 10 / n;
    let sum = 0;
    for (let i = 0; i <= n; i++) sum += (i === 0 || i === n ? 0.5 : 1) * Math.exp(parzenLogPdf(p, -5 + i * h));
    assert.ok(Math.abs(sum * h - 1) < 1e-6, `trial ${trial}: ∫ = ${sum * h}`);
    assert.equal(parzenLogPdf(p, 5.001), -Infinity);
    assert.equal(parzenLogPdf(p, -5.001), -Infinity);
  }
});

test('parzenSample draws in the box, with the estimator\'s mean (within 4 standard errors over 40,000 draws)', () => {
  const p = parzenEstimator([0.5, 0.6, 3, -4], -5, 5);
  const rng = Rng.fromSeed(2);
  const n = 40_000;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = parzenSample(p, rng);
    assert.ok(x >= -5 && x <= 5);
    s1 += x;
    s2 += x * x;
  }
  const mean = s1 / n;
  const se = Math.sqrt((s2 / n - mean * mean) / n);
  let m = 0;
  const k = 100_000;
  for (let i = 0; i <= k; i++) {
    const x = -5 + (10 * i) / k;
    m += (i === 0 || i === k ? 0.5 : 1) * x * Math.exp(parzenLogPdf(p, x));
  }
  m *= 10 / k;
  assert.ok(Math.abs(mean - m) < 4 * se, `sample mean ${mean}, density mean ${m}, se ${se}`);
});
