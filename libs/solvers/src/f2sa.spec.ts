import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import { f2sa } from './f2sa';
import { countingProblem, emptyCounts } from './oracle-counts';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 12, nOuter: 12, mu: 1, L: 2, seed: 2 });
const x = Float64Array.from([0.3, -0.2, 0.1]);

test('f2sa: the defaults (steps 0.01, exponents 4/7, 5/7, 4/7, λ₀ = 1, δ = 0.1 (k+1)^−6/7 for the paper λ rate, T = 10)', () => {
  const s = f2sa();
  assert.equal(s.schedule, 'gauss-seidel');
  assert.match(s.citation, /Kwon, Kwon, Wright, Nowak\. A fully first-order method for stochastic bilevel optimization\. ICML 2023/);
  assert.deepEqual(
    [s.options.batchSize, s.options.innerStep, s.options.penaltyStep, s.options.outerStep, s.options.innerDecay, s.options.penaltyDecay, s.options.outerDecay],
    [64, 0.01, 0.01, 0.01, 4 / 7, 5 / 7, 4 / 7],
  );
  assert.deepEqual([s.options.lambda0, s.options.lambdaStep, s.options.lambdaDecay, s.options.innerSteps, s.options.penaltyStepScale], [1, 0.1, 6 / 7, 10, 0]);
  assert.throws(() => f2sa({ innerSteps: 0 }), /f2sa: innerSteps must be a positive integer, received 0/);
  assert.throws(() => f2sa({ lambda0: 0 }), /f2sa: lambda0 must be a positive finite number, received 0/);
  assert.throws(() => f2sa({ lambda: 2 } as never), /f2sa: unknown option "lambda"/);
});

test('f2sa needs ∇_x g: a problem without innerGradX is refused when the run starts, naming the oracle', () => {
  const without = Object.create(problem, { innerGradX: { value: undefined } }) as BilevelProblem;
  assert.throws(() => f2sa().outer.init(without, Rng.fromSeed(0)), /f2sa: problem "quadratic" does not provide the oracle innerGradX/);
});

test('f2sa parts by hand (full batches): T GD steps on G for y, on F + λG for v, then x − ξ(∇_xF + λ(∇_xG(v) − ∇_xG(y))); λ grows', () => {
  const T = 3;
  const solver = f2sa({ batchSize: 12, innerSteps: T, innerStep: 0.2, penaltyStep: 0.3, penaltyStepScale: 1, outerStep: 0.1, lambda0: 2, lambdaStep: 0.5, lambdaDecay: 0.5 });
  const counts = emptyCounts();
  const counted = countingProblem(problem, counts);
  const rng = Rng.fromSeed(0);
  const si = solver.inner.init(counted, rng.split());
  const sl = solver.linsys.init(counted, rng.split());
  const so = solver.outer.init(counted, rng.split());
  const y0 = Float64Array.from({ length: 6 }, (_, i) => 0.1 * i);
  const v0 = Float64Array.from({ length: 6 }, (_, i) => -0.05 * i);
  const y1 = new Float64Array(6);
  const v1 = new Float64Array(6);
  const x1 = new Float64Array(3);
  solver.inner.step(si, { z: y0, v: v0, x }, 0, y1);
  solver.linsys.step(sl, { z: y1, v: v0, x, aux: { x: { lambda: 2 } } }, 0, v1);
  const ctl = solver.outer.step(so, { z: y1, v: v1, x }, 0, x1) as { lambda: number };
  // the same by hand
  const full = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
  const g = new Float64Array(6);
  const f = new Float64Array(6);
  const y = Float64Array.from(y0);
  for (let m = 0; m < T; m++) {
    problem.innerGradZ(y, x, full(12), g);
    for (let i = 0; i < 6; i++) y[i] -= 0.2 * g[i];
  }
  const v = Float64Array.from(v0);
  const alpha = 0.3 / (1 + 1 * 2); // α₀ (k+1)^−5/7 / (1 + sλ) at k = 0
  for (let m = 0; m < T; m++) {
    problem.innerGradZ(v, x, full(12), g);
    problem.outerGradZ(v, x, full(12), f);
    for (let i = 0; i < 6; i++) v[i] -= alpha * (f[i] + 2 * g[i]);
  }
  const fx = new Float64Array(3);
  const gv = new Float64Array(3);
  const gy = new Float64Array(3);
  problem.outerGradX(v, x, full(12), fx);
  problem.innerGradX(v, x, full(12), gv);
  problem.innerGradX(y, x, full(12), gy);
  const close = (a: Float64Array, b: ArrayLike<number>) => a.every((e, i) => Math.abs(e - b[i]) < 1e-14);
  assert.ok(close(y1, y) && close(v1, v), 'y or v differ');
  assert.ok(close(x1, Array.from(x, (e, k) => e - 0.1 * (fx[k] + 2 * (gv[k] - gy[k])))), 'x differs');
  assert.equal(ctl.lambda, 2 + 0.5); // λ₁ = λ₀ + δ₀ (0+1)^−e
  assert.equal(solver.outer.diagnostics?.(so).lambda, 2.5);
  // fully first order: gradients only
  assert.deepEqual([counts.hvp, counts.cross, counts.outerHvp, counts.outerCross], [0, 0, 0, 0]);
  assert.deepEqual([counts.innerGrad, counts.outerGradZ, counts.innerGradX, counts.outerGradX], [2 * T, T, 2, 1]);
});
