// Noisy SGD's private inner stream: the update equation, the noise it adds, and the Langevin budget it reports
// (B6 (b) and (e) on the known case L = 1, n = 1e4, λ = σ = 0.01, δ = 1e-5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import { noisySgd } from './noisy-sgd';
import type { NoisySgdOptions } from './noisy-sgd';
import type { StreamPart } from './solver';

const LOG_INV_DELTA = Math.log(1e5);

/** The inner part alone at x = 0: `steps` steps from z0 (default 0); every output, and ε after the steps in `record`. */
function innerRun(problem: BilevelProblem, options: NoisySgdOptions, steps: number, seed: number, z0?: Float64Array, record: readonly number[] = []) {
  const part = noisySgd(options).inner as StreamPart<unknown>;
  const state = part.init(problem, Rng.fromSeed(seed));
  const x = new Float64Array(problem.dimX);
  let z = z0 ? Float64Array.from(z0) : new Float64Array(problem.dimZ);
  const outs: Float64Array[] = [];
  const eps = new Map<number, number>();
  for (let t = 0; t < steps; t++) {
    const out = new Float64Array(problem.dimZ);
    part.step(state, { z, v: z, x }, t, out);
    outs.push(out);
    if (record.includes(t + 1)) eps.set(t + 1, part.diagnostics!(state).epsilon);
    z = out;
  }
  return { outs, eps, z, diagnostics: () => part.diagnostics!(state) };
}

/** min over α of ε_α + log(1/δ)/(α − 1) for ε_α = c·α, by a fine search over α ∈ (1, 2001] (independent of the accountant). */
function fineDp(c: number): number {
  let best = Infinity;
  for (let k = 1; k <= 200_000; k++) best = Math.min(best, c * (1 + k / 100) + LOG_INV_DELTA / (k / 100));
  return best;
}

const big = quadraticProblem({ dimZ: 1, dimX: 1, nInner: 10_000, nOuter: 2, seed: 3 });
const B6: NoisySgdOptions = { clip: 1, sigma: 0.01, strongConvexity: 0.01, smoothness: 1, innerStep: 0.5, batchSize: 1 };

test('B6 (e) ②: the reported budget saturates at ε ≈ 1.397 (α = 18) for L = 1, n = 1e4, λ = σ = 0.01, δ = 1e-5', () => {
  // ληK/2 = 0.0025·K: saturated (to e^{−50}) after 20000 steps
  const steps = Array.from({ length: 44 }, (_, k) => Math.round(10 ** (k / 10))).filter((k, i, a) => a.indexOf(k) === i);
  const run = innerRun(big, B6, 20_000, 1, undefined, [...steps, 20_000]);
  const d = run.diagnostics();
  assert.equal(d.alpha, 18);
  assert.ok(Math.abs(d.epsilon - 1.397) < 5e-4 && Math.abs(d.epsilon - d.epsilonLimit) < 1e-12, `ε = ${d.epsilon}`);
  // at K steps: ε_α = 0.04α(1 − e^{−0.0025K}), converted by a fine search (grid of orders: within 1e-3 above)
  for (const K of [1, 10, 100, 1000, 20_000]) {
    const want = fineDp(0.04 * -Math.expm1(-0.0025 * K));
    const got = run.eps.get(K) as number;
    assert.ok(got >= want - 1e-12 && got - want < 1e-3 * want, `K = ${K}: ${got} vs ${want}`);
  }
  // B6 (e) ①: increasing in K, bounded by the limit
  const seen = [...run.eps.entries()].sort((u, v) => u[0] - v[0]).map((e) => e[1]);
  for (let k = 1; k < seen.length; k++) assert.ok(seen[k] >= seen[k - 1] && seen[k] <= d.epsilonLimit + 1e-15);
});

test('decreasing steps η_k = 1/(2β + λk/2): the budget follows λK/(4β + λK)', () => {
  const run = innerRun(big, { ...B6, innerStep: undefined, stepSchedule: 'decreasing' }, 400, 1);
  const d = run.diagnostics();
  assert.ok(Math.abs(d.step - 1 / (2 + (0.01 * 399) / 2)) < 1e-15, `η_399 = ${d.step}`);
  const want = fineDp(0.04 * 0.5); // λK = 4 = 4β: half the limit
  assert.ok(d.epsilon >= want - 1e-12 && d.epsilon - want < 1e-3 * want, `${d.epsilon} vs ${want}`);
});

test('epsilon calibrates σ so that the saturated budget is exactly ε', () => {
  const q = quadraticProblem({ dimZ: 4, dimX: 2, nInner: 500, nOuter: 20, seed: 1 });
  for (const epsilon of [0.5, 2]) {
    const d = innerRun(q, { epsilon, clip: 3, batchSize: 10 }, 3, 2).diagnostics();
    assert.ok(Math.abs(d.epsilonLimit - epsilon) < 1e-9 * epsilon, `limit ${d.epsilonLimit} vs ${epsilon}`);
    assert.ok(d.epsilon < d.epsilonLimit);
    // σ from the slope c = 4L²/(λσ²n²) of the saturated curve; λ from the problem (μ = 0.1), β = L = 1, η = 1/(2β)
    assert.equal(d.strongConvexity, 0.1);
    assert.equal(d.step, 0.5);
  }
});

test('the update is θ − η·mean(clip_L ∇g_i) + √(2ησ²)ξ: exact without clipping, norm-bounded with it', () => {
  const q = quadraticProblem({ dimZ: 5, dimX: 2, nInner: 40, nOuter: 20, seed: 2 });
  const z0 = Float64Array.from([1, -2, 0.5, 3, -1]);
  // full batch, no clipping (L huge), negligible noise: one deterministic gradient step
  const opts: NoisySgdOptions = { clip: 1e6, sigma: 1e-300, strongConvexity: 0.1, smoothness: 1, innerStep: 0.3, batchSize: 40, initFromPrior: false };
  const run = innerRun(q, opts, 1, 0, z0);
  const g = new Float64Array(5);
  q.innerGradZ(z0, new Float64Array(2), q.fullInner, g);
  for (let k = 0; k < 5; k++) assert.ok(Math.abs(run.z[k] - (z0[k] - 0.3 * g[k])) < 1e-12);
  assert.equal(run.diagnostics().clippedFraction, 0);
  // clipping to L = 0.01: the step moves z by at most ηL, and every per-sample gradient was clipped
  const clipped = innerRun(q, { ...opts, clip: 0.01 }, 1, 0, z0);
  const move = nrm2(Float64Array.from(clipped.z, (v, k) => v - z0[k]));
  assert.ok(move <= 0.3 * 0.01 * (1 + 1e-12), `moved ${move}`);
  assert.equal(clipped.diagnostics().clippedFraction, 1);
});

test('the noise: increments have std √(2η)σ per coordinate (1% over 1e5 draws) and θ₀ ~ N(0, 2σ²/λ)', () => {
  const q = quadraticProblem({ dimZ: 50, dimX: 1, nInner: 50, nOuter: 2, seed: 4 });
  const sigma = 0.3;
  const eta = 0.2;
  // gradients clipped to 1e-300: every increment is noise
  const opts: NoisySgdOptions = { clip: 1e-300, sigma, strongConvexity: 0.5, smoothness: 1, innerStep: eta, batchSize: 1 };
  const run = innerRun(q, opts, 2001, 7);
  let sq = 0;
  let count = 0;
  for (let t = 1; t < run.outs.length; t++) {
    for (let k = 0; k < 50; k++) {
      const inc = run.outs[t][k] - run.outs[t - 1][k];
      sq += inc * inc;
      count++;
    }
  }
  const std = Math.sqrt(sq / count);
  // 1e5 draws: the standard error of the empirical std is 0.22%
  assert.ok(Math.abs(std / (Math.sqrt(2 * eta) * sigma) - 1) < 0.01, `increment std ${std}`);
  // the first output is θ₀ + noise: variance 2σ²/λ + 2ησ², over 2000 fresh starts × 50 coordinates
  let sq0 = 0;
  for (let s = 0; s < 2000; s++) {
    const first = innerRun(q, opts, 1, 100 + s).outs[0];
    for (let k = 0; k < 50; k++) sq0 += first[k] * first[k];
  }
  const std0 = Math.sqrt(sq0 / 1e5);
  assert.ok(Math.abs(std0 / Math.sqrt((2 * sigma ** 2) / 0.5 + 2 * eta * sigma ** 2) - 1) < 0.01, `start std ${std0}`);
});

test('options are validated, and the bound’s step conditions are enforced', () => {
  assert.throws(() => noisySgd({ sigma: 1, epsilon: 1 }), /noisySgd: give sigma or epsilon, not both/);
  assert.throws(() => noisySgd({ clip: 0 }), /noisySgd: clip must be a positive finite number, received 0/);
  assert.throws(() => noisySgd({ stepSchedule: 'cosine' as 'constant' }), /noisySgd: stepSchedule must be one of constant, decreasing, received cosine/);
  assert.throws(() => noisySgd({ sigmaa: 1 } as NoisySgdOptions), /unknown option "sigmaa"/);
  assert.throws(() => innerRun(big, { ...B6, innerStep: 1 }, 1, 0), /noisySgd: innerStep must be < 1\/β = 1 .* received 1/);
  assert.throws(() => innerRun(big, { ...B6, innerStep: 0.6, stepSchedule: 'decreasing' }, 1, 0), /innerStep must be ≤ 1\/\(2β\) = 0.5 .* received 0.6/);
  const bare = Object.create(big) as BilevelProblem & { innerConstants?: unknown };
  Object.defineProperty(bare, 'innerConstants', { value: undefined });
  assert.throws(() => innerRun(bare, { sigma: 1 }, 1, 0), /has no innerConstants; pass the options strongConvexity and smoothness/);
  const solver = noisySgd({ batchSize: 8, innerStep: 0.05 });
  assert.equal(solver.options.innerStep, 0.05);
  assert.equal(solver.options.linsysStep, 0.05);
  assert.equal(solver.name, 'noisy-sgd');
});
