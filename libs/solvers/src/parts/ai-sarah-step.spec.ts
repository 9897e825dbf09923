// AI-SARAH's implicit step (algorithms.md B3): on a direction linear in w, α' is the exact minimizer of
// ξ(α) = ‖r(w − αd)‖² and lies in [1/L, 1/μ] (①); α_max, the harmonic running mean of α', converges to a constant α'
// geometrically at rate β (③); ξ'' ≈ 0 and negative curvature are guarded; options are validated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, gemm, gemv, matrix, nrm2, randomOrthogonal } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { aiSarahStep } from './ai-sarah-step';
import { composePart } from './compose-part';
import { sarahEstimator } from './sarah-estimator';
import type { StepContext } from './step-rule';

/** A step context whose direction is affine in the own variable: r(u) = d + H(u − w), so Jd = Hd exactly. */
function affineContext(H: Matrix, w: Float64Array, d: Float64Array): StepContext {
  const n = w.length;
  const u = new Float64Array(n);
  return {
    variable: 'z',
    reads: { z: w, v: new Float64Array(n), x: new Float64Array(1) },
    own: w,
    t: 0,
    d,
    estimateAt: () => {
      throw new Error('aiSarahStep must not draw fresh samples');
    },
    probeAt(value, out) {
      for (let k = 0; k < n; k++) u[k] = value[k] - w[k];
      gemv(1, H, u, 0, out);
      for (let k = 0; k < n; k++) out[k] += d[k];
    },
  };
}

/** Q·diag(λ)·Qᵀ. */
function spd(Q: Matrix, lambda: number[]): Matrix {
  const n = lambda.length;
  const QL = matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) QL.data[i * n + j] = Q.data[i * n + j] * lambda[j];
  const H = matrix(n, n);
  gemm(1, QL, Q, 0, H, false, true);
  return H;
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

// Central differences of an affine map are exact but for rounding: the probes d ∓ εJd (ε‖d‖ = 1e-5·max(1, ‖w‖))
// carry errors ~u‖d‖ against a difference 2ε‖Jd‖, a relative error ~1e-11·(‖d‖/‖Jd‖)·‖d‖/max(1, ‖w‖). Measured worst
// over these 200 seeded cases (spectrum [1e-2, 1e2], ‖d‖ from 1e-4 to 3e4, ‖w‖ from 3e-2 to 3e2): 1.1e-9. Tolerance
// 1e-8 (the autodiff version of the paper is exact to ~1e-12; the finite difference costs about three digits).
const ALPHA_REL = 1e-8;

test('B3 ①: on an affine direction α\' = dᵀHd/‖Hd‖², the minimizer of ξ, and 1/L ≤ α\' ≤ 1/μ', () => {
  const rng = Rng.fromSeed(1);
  const n = 8;
  const lambda = Array.from({ length: n }, (_, i) => 10 ** (-2 + (4 * i) / (n - 1))); // μ = 1e-2, L = 1e2
  let worst = 0;
  for (let trial = 0; trial < 200; trial++) {
    const H = spd(randomOrthogonal(n, rng), lambda);
    const w = rng.normals(new Float64Array(n)).map((v) => v * 10 ** (4 * rng.float() - 2));
    const d = rng.normals(new Float64Array(n)).map((v) => v * 10 ** (8 * rng.float() - 4));
    const rule = aiSarahStep();
    const s = rule.init(n);
    const out = new Float64Array(n);
    rule.apply(s, affineContext(H, w, d), out);
    const Hd = new Float64Array(n);
    gemv(1, H, d, 0, Hd);
    const exact = dot(d, Hd) / dot(Hd, Hd); // argmin_α ‖d − αHd‖²
    worst = Math.max(worst, Math.abs(s.alphaNewton - exact) / exact);
    assert.ok(s.alphaNewton >= 1 / 100 && s.alphaNewton <= 1 / 0.01, `α' = ${s.alphaNewton}`);
    // first step: α = α' (α_max = ∞ before it), and w moved by −α'd
    assert.equal(s.alpha, s.alphaNewton);
    assert.ok(out.every((v, k) => Math.abs(v - (w[k] - s.alpha * d[k])) <= 1e-15 * (Math.abs(w[k]) + Math.abs(s.alpha * d[k]))), 'w ← w − αd');
  }
  assert.ok(worst < ALPHA_REL, `worst relative error of α' ${worst}`);
});

test('B3 ① on the quadratic family: the first step of SARAH + AI-SARAH uses the full batch, α\' ∈ [1/L, 1/μ]', () => {
  // at t = 0 SARAH refreshes with the full batch, so ξ is built on Ā, whose spectrum is exactly [μ, L]
  const problem = quadraticProblem({ dimZ: 12, dimX: 3, nInner: 80, nOuter: 40, mu: 0.05, L: 2, seed: 4 });
  const part = composePart('inner', { estimator: sarahEstimator(), step: aiSarahStep(), batchSize: 8 });
  const state = part.init(problem, Rng.fromSeed(0));
  const x = Float64Array.from([0.3, -0.2, 0.1]);
  const z = new Float64Array(12).fill(0.5);
  part.step(state, { z, v: new Float64Array(12), x }, 0, new Float64Array(12));
  const d = new Float64Array(12);
  problem.innerGradZ(z, x, problem.fullInner, d);
  const Ad = new Float64Array(12);
  problem.innerHvp(z, x, d, problem.fullInner, Ad);
  const exact = dot(d, Ad) / dot(Ad, Ad);
  const { alphaNewton, step } = part.diagnostics?.(state) ?? {};
  assert.ok(Math.abs(alphaNewton - exact) <= ALPHA_REL * exact, `α' ${alphaNewton} vs ${exact}`);
  assert.ok(alphaNewton >= 1 / 2 && alphaNewton <= 1 / 0.05, `α' = ${alphaNewton}`);
  assert.equal(step, alphaNewton);
});

test('B3 ③: when α\' is constant, α_max = 1/δ converges to it geometrically at rate β', () => {
  // H = diag(1, 4); d along e₀ gives α' = 1, along e₁ gives α' = 1/4. Ten alternating steps, then e₀ only.
  const H = matrix(2, 2, Float64Array.from([1, 0, 0, 4]));
  const w = Float64Array.from([1, 1]);
  const beta = 0.99;
  const rule = aiSarahStep({ beta });
  const s = rule.init(2);
  const out = new Float64Array(2);
  for (let t = 0; t < 10; t++) rule.apply(s, affineContext(H, w, t % 2 === 0 ? Float64Array.from([1, 0]) : Float64Array.from([0, 1])), out);
  const gap10 = 1 / s.alphaMax - 1; // δ − 1/α'
  assert.ok(gap10 > 0.1, `δ after the alternating steps ${1 / s.alphaMax}`);
  const e0 = affineContext(H, w, Float64Array.from([1, 0]));
  for (let t = 0; t < 1000; t++) rule.apply(s, e0, out);
  // δ_t − 1 = β^{t−10}(δ_10 − 1) exactly in exact arithmetic; α' = 1 to ~1e-11 (FD rounding)
  const gap = 1 / s.alphaMax - 1;
  assert.ok(Math.abs(gap - beta ** 1000 * gap10) < 1e-9, `gap ${gap} vs ${beta ** 1000 * gap10}`);
  assert.ok(Math.abs(s.alphaMax - 1) < 1e-3, `α_max = ${s.alphaMax}`);
  // the cap binds: α = min(α', α_max) ≤ α_max of the previous step (> 1 never happens while δ > 1)
  assert.ok(s.alpha <= 1 + 1e-9, `α = ${s.alpha}`);
});

test('guard: no curvature (ξ\'\' ≈ 0) or negative curvature along d gives no NaN and no blind step', () => {
  const w = Float64Array.from([1, 2]);
  const d = Float64Array.from([0.5, -0.5]);
  for (const H of [matrix(2, 2), matrix(2, 2, Float64Array.from([-1, 0, 0, -1]))]) {
    const rule = aiSarahStep();
    const s = rule.init(2);
    const out = new Float64Array(2);
    rule.apply(s, affineContext(H, w, d), out);
    assert.deepEqual(Array.from(out), [1, 2], 'no usable α\' yet: stay');
    assert.equal(rule.diagnostics?.(s).flatSteps, 1);
  }
  // after a usable step, a flat one moves by α_max
  const rule = aiSarahStep();
  const s = rule.init(2);
  const out = new Float64Array(2);
  rule.apply(s, affineContext(matrix(2, 2, Float64Array.from([2, 0, 0, 2])), w, d), out); // α' = 1/2
  rule.apply(s, affineContext(matrix(2, 2), w, d), out);
  assert.ok(Math.abs(s.alpha - 0.5) < 1e-9 && nrm2(out) > 0 && out.every(Number.isFinite), `α = ${s.alpha}`);
  // zero direction: nothing to fit, stay put
  rule.apply(s, affineContext(matrix(2, 2), w, new Float64Array(2)), out);
  assert.ok(Math.abs(out[0] - 1) < 1e-15 && Math.abs(out[1] - 2) < 1e-15, `${out[0]}, ${out[1]}`);
});

test('aiSarahStep: options are validated with the function, field, value and expectation', () => {
  assert.throws(() => aiSarahStep({ beta: 1 }), /aiSarahStep: beta must be a number in \[0, 1\), received 1/);
  assert.throws(() => aiSarahStep({ fdStep: 0 }), /aiSarahStep: fdStep must be a number in \(0, 1\), received 0/);
  assert.throws(() => aiSarahStep({ gamma: 0.1 } as object), /aiSarahStep: unknown option "gamma"/);
  assert.equal(aiSarahStep().name, 'ai-sarah');
});
