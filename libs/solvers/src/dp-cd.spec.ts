// DP-CD's private inner stream against closed forms: the sensitivity of the clipped coordinate means (B5 ①), exact
// proximal coordinate descent without noise (B5 ②), the noise it adds (B5 ③) and the budget it reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import type { BilevelProblem, Hypergradient, InnerSolution } from '@bilevel/problems';
import { dpCd } from './dp-cd';
import type { DpCdOptions } from './dp-cd';
import type { StreamPart } from './solver';

/** Least squares g_i(z) = ½(a_iᵀz − y_i)² (+ ½·ridge·‖z‖²), x unused; the outer problem is empty. Counts innerGradZ calls. */
class LeastSquares implements BilevelProblem {
  readonly name = 'least-squares';
  readonly precision = 'float64' as const;
  readonly dimZ: number;
  readonly dimX = 1;
  readonly nInner: number;
  readonly nOuter = 1;
  readonly fullInner: Int32Array;
  readonly fullOuter = Int32Array.of(0);
  gradCalls = 0;
  constructor(
    readonly a: number[][],
    readonly y: number[],
    readonly ridge = 0,
  ) {
    this.dimZ = a[0].length;
    this.nInner = a.length;
    this.fullInner = Int32Array.from(a, (_, i) => i);
  }
  private res(z: Float64Array, i: number): number {
    return this.a[i].reduce((s, v, j) => s + v * z[j], 0) - this.y[i];
  }
  innerValue(z: Float64Array, _x: Float64Array, batch: Int32Array): number {
    let s = 0;
    for (const i of batch) s += 0.5 * this.res(z, i) ** 2;
    return s / batch.length + 0.5 * this.ridge * z.reduce((t, v) => t + v * v, 0);
  }
  innerGradZ(z: Float64Array, _x: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.gradCalls++;
    out.fill(0);
    for (const i of batch) {
      const r = this.res(z, i);
      for (let j = 0; j < this.dimZ; j++) out[j] += (r * this.a[i][j]) / batch.length;
    }
    for (let j = 0; j < this.dimZ; j++) out[j] += this.ridge * z[j];
  }
  innerHvp(_z: Float64Array, _x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    out.fill(0);
    for (const i of batch) {
      const av = this.a[i].reduce((s, w, j) => s + w * v[j], 0);
      for (let j = 0; j < this.dimZ; j++) out[j] += (av * this.a[i][j]) / batch.length;
    }
    for (let j = 0; j < this.dimZ; j++) out[j] += this.ridge * v[j];
  }
  innerCross(_z: Float64Array, _x: Float64Array, _v: Float64Array, _b: Int32Array, out: Float64Array): void {
    out.fill(0);
  }
  outerValue(): number {
    return 0;
  }
  outerGradZ(_z: Float64Array, _x: Float64Array, _b: Int32Array, out: Float64Array): void {
    out.fill(0);
  }
  outerGradX(_z: Float64Array, _x: Float64Array, _b: Int32Array, out: Float64Array): void {
    out.fill(0);
  }
  solveInner(): InnerSolution {
    throw new Error('not used');
  }
  hypergradient(): Hypergradient {
    throw new Error('not used');
  }
}

const X = new Float64Array(1);

/** Runs the inner part alone at fixed x: `steps` inner steps from z0; returns every output. */
function innerRun(problem: BilevelProblem, options: DpCdOptions, steps: number, seed: number, z0?: Float64Array) {
  const part = dpCd(options).inner as StreamPart<unknown>;
  const state = part.init(problem, Rng.fromSeed(seed));
  let z = z0 ? Float64Array.from(z0) : new Float64Array(problem.dimZ);
  const outs: Float64Array[] = [];
  for (let t = 0; t < steps; t++) {
    const out = new Float64Array(problem.dimZ);
    part.step(state, { z, v: z, x: X }, t, out);
    outs.push(out);
    z = out;
  }
  return { outs, z, diagnostics: () => part.diagnostics!(state) };
}

test('B5 ①: changing one sample moves a clipped coordinate mean by at most 2C_j/n (and by exactly that at worst)', () => {
  const rng = Rng.fromSeed(11);
  const n = 10;
  const a = Array.from({ length: n }, () => [rng.normal(), rng.normal(), rng.normal()]);
  const y = Array.from({ length: n }, () => rng.normal());
  // the first sample's gradient is huge, of opposite signs in the two neighbouring data sets
  const D = new LeastSquares([[1e3, 1e3, 1e3], ...a.slice(1)], [-1e6, ...y.slice(1)]);
  const Dn = new LeastSquares([[1e3, 1e3, 1e3], ...a.slice(1)], [1e6, ...y.slice(1)]);
  const C = [0.5, 1, 2];
  const maxShift = (clipThresholds: number[]) => {
    const ratio = [0, 0, 0];
    for (let trial = 0; trial < 60; trial++) {
      const z0 = Float64Array.from([rng.normal(), rng.normal(), rng.normal()]);
      // no noise, unit steps (M_j = 1): the update is θ_j ← θ_j − (clipped mean), so the shift is read off θ
      const opts: DpCdOptions = { epsilon: Infinity, clipThresholds, smoothness: [1, 1, 1], coordinateSteps: 1, innerSteps: 1 };
      const u = innerRun(D, opts, 1, trial, z0).z;
      const v = innerRun(Dn, opts, 1, trial, z0).z;
      for (let j = 0; j < 3; j++) ratio[j] = Math.max(ratio[j], Math.abs(u[j] - v[j]) / ((2 * C[j]) / n));
    }
    return ratio;
  };
  const clipped = maxShift(C);
  for (let j = 0; j < 3; j++) {
    assert.ok(clipped[j] <= 1 + 1e-12, `coordinate ${j}: shift ${clipped[j]}·2C_j/n`);
    assert.ok(clipped[j] > 1 - 1e-12, `coordinate ${j}: the bound is attained by this pair (${clipped[j]})`);
  }
  // the property can fail: without clipping the same pair moves the mean by orders of magnitude more
  const unclipped = maxShift([Infinity, Infinity, Infinity]);
  assert.ok(Math.min(...unclipped) > 1e3, `unclipped shift ${unclipped}`);
});

test('B5 ②: without noise or clipping, DP-CD on an orthogonal-design lasso is soft-thresholding (1e-8)', () => {
  // columns of a 4 × 4 Hadamard matrix, scaled: (1/n)AᵀA = diag(s_j²)
  const H = [
    [1, 1, 1, 1],
    [1, -1, 1, -1],
    [1, 1, -1, -1],
    [1, -1, -1, 1],
  ];
  const scales = [1, 3, 10];
  const a = H.map((row) => scales.map((s, j) => s * row[j + 1]));
  const y = [0.7, -2.1, 3.3, 0.4];
  const problem = new LeastSquares(a, y);
  const l1 = 0.3;
  const expected = scales.map((s, j) => {
    const c = a.reduce((t, row, i) => t + row[j] * y[i], 0) / 4; // (1/n) a_jᵀy
    const soft = Math.sign(c) * Math.max(0, Math.abs(c) - l1);
    return soft / (s * s);
  });
  for (const smoothness of [undefined, scales.map((s) => s * s)]) {
    const { z } = innerRun(problem, { epsilon: Infinity, clip: Infinity, l1, coordinateSteps: 60, innerSteps: 1, ...(smoothness ? { smoothness } : {}) }, 1, 5);
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(z[j] - expected[j]) < 1e-8, `${smoothness ? 'given' : 'estimated'} M: z_${j} = ${z[j]} vs ${expected[j]}`);
  }
  // the prox matters: without it the coordinates land on the least-squares solution instead
  const { z: ls } = innerRun(problem, { epsilon: Infinity, clip: Infinity, coordinateSteps: 60, innerSteps: 1 }, 1, 5);
  assert.ok(Math.abs(ls[0] - expected[0]) > 0.1);
});

/** LeastSquares with its Hessian diagonal (mean of a_ij² plus the ridge, times `wrong` to show it is read) and an HVP counter. */
class WithDiagonal extends LeastSquares {
  hvpCalls = 0;
  constructor(a: number[][], y: number[], ridge: number, private readonly wrong = 1) {
    super(a, y, ridge);
  }
  override innerHvp(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.hvpCalls++;
    super.innerHvp(z, x, v, batch, out);
  }
  innerHessianDiagonal(_z: Float64Array, _x: Float64Array, batch: Int32Array, out: Float64Array): void {
    for (let j = 0; j < this.dimZ; j++) {
      let s = 0;
      for (const i of batch) s += this.a[i][j] ** 2;
      out[j] = this.wrong * (s / batch.length + this.ridge);
    }
  }
}

test('the default smoothness comes from the problem\'s innerHessianDiagonal when it has one (no HVPs), else from dimZ HVPs', () => {
  const rng = Rng.fromSeed(8);
  const a = Array.from({ length: 12 }, () => [rng.normal(), 3 * rng.normal(), 0.2 * rng.normal(), rng.normal()]);
  const y = Array.from({ length: 12 }, () => rng.normal());
  const opts: DpCdOptions = { epsilon: Infinity, clip: Infinity, coordinateSteps: 8, innerSteps: 1 };
  const plain = new LeastSquares(a, y, 0.1);
  const diag = new WithDiagonal(a, y, 0.1);
  const viaHvp = innerRun(plain, opts, 3, 4).z;
  const viaDiag = innerRun(diag, opts, 3, 4).z;
  assert.equal(diag.hvpCalls, 0, 'no HVP when the diagonal is there');
  for (let j = 0; j < 4; j++) assert.ok(Math.abs(viaDiag[j] - viaHvp[j]) <= 1e-12 * Math.max(1, Math.abs(viaHvp[j])), `z_${j}: ${viaDiag[j]} vs ${viaHvp[j]}`);
  // it is the diagonal that sets the steps: a doubled one gives other iterates
  const doubled = innerRun(new WithDiagonal(a, y, 0.1, 2), opts, 3, 4).z;
  assert.ok(Math.abs(doubled[0] - viaHvp[0]) > 1e-6, 'a wrong diagonal changes the run');
});

test('B5 ③: the noise added to a coordinate mean has std σ_j = noiseMultiplier·C_j (1% over 1e5 draws)', () => {
  // zero data: every per-sample gradient is 0, so each update is θ_j ← θ_j − (1/M_j)·N(0, σ_j²)
  const problem = new LeastSquares([[0]], [0]);
  const draws = 100_000;
  const M = 4;
  const C = 2;
  const run = innerRun(problem, { epsilon: 2, delta: 1e-5, clipThresholds: [C], smoothness: [M], coordinateSteps: 1, innerSteps: draws }, draws, 3);
  const sigma = (run.diagnostics().noiseMultiplier as number) * C;
  let sum = 0;
  let sq = 0;
  let prev = 0;
  for (const out of run.outs) {
    const noise = -(out[0] - prev) * M;
    prev = out[0];
    sum += noise;
    sq += noise * noise;
  }
  const mean = sum / draws;
  const std = Math.sqrt(sq / draws - mean * mean);
  // standard error of an empirical std: σ/√(2N) = 0.22% of σ, so 1% is 4.5 standard errors
  assert.ok(Math.abs(std / sigma - 1) < 0.01, `std ${std} vs σ_j ${sigma}`);
  assert.ok(Math.abs(mean) < (4 * sigma) / Math.sqrt(draws), `mean ${mean}`);
  // rdp calibration: σ_j = C_j·√(2TK/(n²c)) with c the calibrated slope; T·K = 1e5, n = 1
  assert.ok(sigma > 100, `σ_j = ${sigma}: one sample and 1e5 releases need a lot of noise`);
});

test('the budget reported: the rdp calibration spends exactly ε over the plan; the paper constant [U] spends less when ε ≤ log(1/δ)', () => {
  const rng = Rng.fromSeed(2);
  const a = Array.from({ length: 50 }, () => [rng.normal(), 3 * rng.normal()]);
  const problem = new LeastSquares(a, a.map(() => rng.normal()), 0.1);
  const logInvDelta = Math.log(1e5);
  const T = 6;
  const K = 5;
  // ε_α after r releases: r·α·(2C_j/n)²/(2σ_j²) = r·α·2/(n·s)², s = noiseMultiplier; converted by a fine search
  const expected = (releases: number, s: number) => {
    const c = (releases * 2) / (50 * s) ** 2;
    let best = Infinity;
    for (let k = 1; k <= 200_000; k++) best = Math.min(best, (c * (1 + k / 100)) + logInvDelta / (k / 100));
    return best;
  };
  const rdp = innerRun(problem, { epsilon: 1, innerSteps: T, coordinateSteps: K }, T, 1);
  const d = rdp.diagnostics();
  assert.equal(d.releases, T * K);
  assert.ok(Math.abs(d.epsilon - 1) < 1e-9, `rdp spends ${d.epsilon}`);
  assert.ok(Math.abs(d.epsilon - expected(T * K, d.noiseMultiplier)) < 1e-3, 'the conversion agrees with a fine search over α');
  // midway: half the releases
  const half = innerRun(problem, { epsilon: 1, innerSteps: T, coordinateSteps: K }, T / 2, 1).diagnostics();
  assert.ok(Math.abs(half.epsilon - expected((T * K) / 2, half.noiseMultiplier)) < 1e-3 && half.epsilon < 1);
  // the paper's σ_j = C_j √(12TK log(1/δ))/(nε): at ε = 1 it spends ε²/(6 log(1/δ)) + 2ε/√6 ≈ 0.831 (closed form)
  for (const eps of [0.1, 1, 5, logInvDelta, 5 * logInvDelta]) {
    const paper = innerRun(problem, { epsilon: eps, noise: 'paper', innerSteps: T, coordinateSteps: K }, T, 1).diagnostics();
    const c = (eps * eps) / (6 * logInvDelta);
    const closed = c + 2 * Math.sqrt(c * logInvDelta);
    assert.ok(paper.epsilon >= closed - 1e-12 && paper.epsilon < closed * (1 + 2e-3), `ε = ${eps}: ${paper.epsilon} vs ${closed}`);
    if (eps <= logInvDelta) assert.ok(paper.epsilon <= eps, `ε = ${eps}: the paper's noise spends ${paper.epsilon}`);
    else assert.ok(paper.epsilon > eps, 'beyond log(1/δ) the paper constant no longer certifies ε');
  }
});

test('once the planned releases are spent, z stays fixed and the data are not read again', () => {
  const problem = new LeastSquares([[1, 2], [3, -1], [0, 1]], [1, 0, 2]);
  const run = innerRun(problem, { epsilon: 1, innerSteps: 3, coordinateSteps: 2 }, 3, 4);
  const calls = problem.gradCalls;
  assert.equal(calls, 3 * 2 * 3, 'n single-sample gradients per coordinate update');
  const part = dpCd({ epsilon: 1, innerSteps: 3, coordinateSteps: 2 }).inner as StreamPart<unknown>;
  const state = part.init(problem, Rng.fromSeed(4));
  const out = new Float64Array(2);
  let z = new Float64Array(2);
  for (let t = 0; t < 5; t++) {
    part.step(state, { z, v: z, x: X }, t, out);
    z = Float64Array.from(out);
  }
  assert.deepEqual(Array.from(z), Array.from(run.z), 'steps 4 and 5 change nothing');
  assert.equal(problem.gradCalls, 2 * calls);
  assert.equal(part.diagnostics!(state).releases, 6);
  // without stopWhenSpent the stream goes on and the budget grows past the target
  const on = innerRun(problem, { epsilon: 1, innerSteps: 3, coordinateSteps: 2, stopWhenSpent: false }, 5, 4).diagnostics();
  assert.ok(on.releases === 10 && on.epsilon > 1);
});

test('average: the output is the mean of the K coordinate iterates', () => {
  const problem = new LeastSquares([[1, 2], [3, -1], [0, 1]], [1, 0, 2]);
  // the same plan of 20 releases (hence the same noise) as 20 steps of 1 update or 10 steps of 2
  const base: DpCdOptions = { epsilon: 3, smoothness: [5, 3] };
  const single = innerRun(problem, { ...base, coordinateSteps: 1, innerSteps: 20 }, 2, 9);
  const avg = innerRun(problem, { ...base, coordinateSteps: 2, innerSteps: 10, average: true }, 1, 9);
  for (let j = 0; j < 2; j++) assert.ok(Math.abs(avg.z[j] - (single.outs[0][j] + single.outs[1][j]) / 2) < 1e-15);
});

test('options are validated up front, naming the field and the value', () => {
  assert.throws(() => dpCd({ epslion: 1 } as DpCdOptions), /dpCd: unknown option "epslion"/);
  assert.throws(() => dpCd({ epsilon: -1 }), /dpCd: epsilon must be a positive number .* received -1/);
  assert.throws(() => dpCd({ delta: 1 }), /dpCd: delta must be a number in \(0, 1\), received 1/);
  assert.throws(() => dpCd({ clip: Infinity }), /dpCd: clipping thresholds must be finite for a private run/);
  assert.throws(() => dpCd({ smoothness: [1, 0] }), /dpCd: smoothness\[1\] must be a positive finite number, received 0/);
  assert.throws(() => dpCd({ noise: 'laplace' as 'rdp' }), /dpCd: noise must be one of rdp, paper, received laplace/);
  assert.throws(() => dpCd({ innerSteps: 1.5 }), /dpCd: innerSteps must be a positive integer, received 1.5/);
  const problem = new LeastSquares([[1, 2]], [1]);
  assert.throws(() => dpCd({ smoothness: [1] }).inner.init(problem, Rng.fromSeed(0)), /dpCd: smoothness has 1 entries, expected dimZ = 2/);
  const flat = new LeastSquares([[1, 0]], [1]);
  const part = dpCd().inner;
  const state = part.init(flat, Rng.fromSeed(0));
  assert.throws(() => part.step(state, { z: new Float64Array(2), v: new Float64Array(2), x: X }, 0, new Float64Array(2)), /M_1 .* is 0, expected > 0; pass the option smoothness/);
  const solver = dpCd({ batchSize: 8, innerStep: 0.05, outerStep: 0.01 });
  assert.equal(solver.options.innerStep, 0.05);
  assert.equal(solver.options.noise, 'rdp');
  assert.equal(solver.name, 'dp-cd');
});
