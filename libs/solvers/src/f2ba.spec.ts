// F2BA's parts by hand: K warm-started gradient steps on G for y and on F + λG for u (step α/λ), then
// x − η(∇_xF(u) + λ[∇_xG(u) − ∇_xG(y)]); full batches, fixed λ, gradients only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import { f2ba } from './f2ba';
import { countingProblem, emptyCounts } from './oracle-counts';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 12, nOuter: 10, mu: 1, L: 2, seed: 2 });

test('f2ba: the defaults (α = η = 0.1, λ = 100, τ = α/λ, K = 10, full batches), gauss-seidel; options are validated', () => {
  const s = f2ba();
  assert.equal(s.name, 'f2ba');
  assert.equal(s.schedule, 'gauss-seidel');
  assert.deepEqual(s.options, { batchSize: 'full', innerStep: 0.1, penaltyStep: 0.001, outerStep: 0.1, lambda: 100, innerSteps: 10 });
  assert.equal(f2ba({ lambda: 4, innerStep: 0.2 }).options.penaltyStep, 0.05);
  assert.match(s.citation, /Chen, Ma, Zhang/);
  assert.throws(() => f2ba({ lambda: 0 }), /f2ba: lambda must be a positive finite number, received 0/);
  assert.throws(() => f2ba({ innerSteps: 1.5 }), /f2ba: innerSteps must be a positive integer, received 1.5/);
  assert.throws(() => f2ba({ batchSize: 0 }), /f2ba: batchSize must be a positive integer, received 0/);
  assert.throws(() => f2ba({ lambda0: 1 } as object), /f2ba: unknown option "lambda0"/);
  const without = Object.create(problem, { innerGradX: { value: undefined } }) as BilevelProblem;
  assert.throws(() => f2ba().outer.init(without, Rng.fromSeed(0)), /f2ba: problem "quadratic" does not provide the oracle innerGradX/);
});

test('f2ba parts by hand: y and u from K warm-started full-batch gradient steps, x from the penalty gradient; no HVP', () => {
  const K = 4;
  const lambda = 7;
  const solver = f2ba({ batchSize: 3, innerSteps: K, innerStep: 0.2, outerStep: 0.05, lambda });
  const counts = emptyCounts();
  const counted = countingProblem(problem, counts);
  const rng = Rng.fromSeed(0);
  const si = solver.inner.init(counted, rng.split());
  const sl = solver.linsys.init(counted, rng.split());
  const so = solver.outer.init(counted, rng.split());
  const r = Rng.fromSeed(1);
  const y0 = r.normals(new Float64Array(6));
  const u0 = r.normals(new Float64Array(6));
  const x = r.normals(new Float64Array(3));
  const y1 = new Float64Array(6);
  const u1 = new Float64Array(6);
  const x1 = new Float64Array(3);
  solver.inner.step(si, { z: y0, v: u0, x }, 0, y1);
  solver.linsys.step(sl, { z: y1, v: u0, x }, 0, u1);
  solver.outer.step(so, { z: y1, v: u1, x }, 0, x1);
  const g = new Float64Array(6);
  const f = new Float64Array(6);
  const y = Float64Array.from(y0);
  const u = Float64Array.from(u0);
  const tau = 0.2 / lambda;
  for (let m = 0; m < K; m++) {
    problem.innerGradZ(y, x, problem.fullInner, g);
    for (let k = 0; k < 6; k++) y[k] -= 0.2 * g[k];
    problem.innerGradZ(u, x, problem.fullInner, g);
    problem.outerGradZ(u, x, problem.fullOuter, f);
    for (let k = 0; k < 6; k++) u[k] -= tau * (f[k] + lambda * g[k]);
  }
  const fx = new Float64Array(3);
  const gu = new Float64Array(3);
  const gy = new Float64Array(3);
  problem.outerGradX(u, x, problem.fullOuter, fx);
  problem.innerGradX(u, x, problem.fullInner, gu);
  problem.innerGradX(y, x, problem.fullInner, gy);
  const close = (a: Float64Array, b: ArrayLike<number>) => a.every((e, i) => Math.abs(e - b[i]) < 1e-13);
  assert.ok(close(y1, y), 'y differs');
  assert.ok(close(u1, u), 'u differs');
  assert.ok(close(x1, Array.from(x, (e, k) => e - 0.05 * (fx[k] + lambda * (gu[k] - gy[k])))), 'x differs');
  assert.deepEqual([counts.hvp, counts.cross, counts.outerHvp, counts.outerCross], [0, 0, 0, 0]);
  assert.deepEqual([counts.innerGrad, counts.outerGradZ, counts.innerGradX, counts.outerGradX], [2 * K, K, 2, 1]);
  // every call is a full batch: (2K + 2) inner and (K + 1) outer passes
  assert.equal(counts.fullPasses, 3 * K + 3);
});
