// SUSTAIN's options and defaults (the public benchmark's solvers/sustain.py), and what its recursion rests on: the
// randomly truncated product is drawn once per step (the same p and batches at both points), so the difference
// ĝ(P; S) − ĝ(P°; S) vanishes linearly as P° → P, while two independent draws differ by O(1) whatever the distance.
// Steps by hand, oracle calls and variance reduction: parts/double-momentum.spec.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { NeumannHypergradient } from './parts/neumann-hypergradient';
import { sustain } from './sustain';

test('sustain: the benchmark defaults (steps 0.1 (t+1)^−1/3, η 0.1, N = 10 random truncation, momentum 0.5 (t+1)^−2/3, batch 64)', () => {
  const s = sustain();
  assert.deepEqual(s.options, { batchSize: 64, innerStep: 0.1, outerStep: 0.1, stepDecay: 1 / 3, neumannStep: 0.1, neumannTerms: 10, momentum: 0.5, momentumDecay: 2 / 3 });
  assert.equal(s.schedule, 'multi-rate:1');
  assert.match(s.citation, /Khanduri, Zeng, Hong, Wai, Wang, Yang\. .*double-momentum\. NeurIPS 2021/);
  assert.throws(() => sustain({ neumannStep: 0 }), /sustain: neumannStep must be a positive finite number, received 0/);
  assert.throws(() => sustain({ hiaSteps: 3 } as never), /sustain: unknown option "hiaSteps"/);
});

test('sustain: on one draw the difference of ĝ between two points is linear in their distance; independent draws are not', () => {
  const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 32, nOuter: 32, seed: 2 });
  const z = Float64Array.from({ length: 6 }, (_, i) => Math.cos(i));
  const x = Float64Array.of(0.2, -0.4, 0.1);
  const u = Float64Array.from({ length: 6 }, (_, i) => Math.sin(3 * i + 1));
  const v = new Float64Array(6);
  const g = new Float64Array(3);
  const gOld = new Float64Array(3);
  const diff = (hg: NeumannHypergradient, delta: number, redraw: boolean) => {
    hg.draw();
    hg.evaluate(z, x, v, g);
    if (redraw) hg.draw();
    hg.evaluate(Float64Array.from(z, (t, i) => t + delta * u[i]), x, v, gOld);
    return nrm2(Float64Array.from(g, (t, i) => t - gOld[i]));
  };
  const hg = () => new NeumannHypergradient(problem, { batchSize: 4, eta: 0.1, terms: 10, estimator: 'hia' }, Rng.fromSeed(5));
  for (const [a, b] of [
    [1e-2, 1e-4],
    [1e-3, 1e-6],
  ]) {
    const far = diff(hg(), a, false);
    const near = diff(hg(), b, false);
    // ĝ is affine in z on a quadratic for fixed draws: the ratio is exactly a/b but for rounding
    assert.ok(Math.abs(far / near / (a / b) - 1) < 1e-6, `${far} / ${near}`);
  }
  assert.equal(diff(hg(), 0, false), 0);
  // with a fresh draw at the second point (p and batches redrawn) the difference stays at the sampling noise
  assert.ok(diff(hg(), 1e-6, true) > 1e-3, 'independent draws');
});
