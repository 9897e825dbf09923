// ESJ / ESJ-S through the run loop: the Jacobian estimate (algorithms.md A2 (e) T1), convergence and the truncation
// bias (T2), Hessian-freeness by the run's oracle counts, and ESJ-S against ESJ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2 } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { esj, esjS, soba } from '@bilevel/solvers';
import { lastValueFrom } from 'rxjs';
import { run, runLoop } from '@bilevel/streams';
import { esQuadratic, jacobianError } from './es-quadratic';

const problem = esQuadratic(); // dz = 10, dx = 5, A = diag(linspace(1, 2)), seed 1
const relGrad = (x: Float64Array, g0: number) => nrm2(problem.hypergradient(x).grad) / g0;

test('A2 T1: the Jacobian estimate at z* has error ~√(d/Q): < 0.1 at Q = 1000 and > 2× smaller than at Q = 100', () => {
  // T = 50 instead of the box's 200: from z* the GD map contracts by 1 − α·min(A) = ½ per step, so J_T = J to 1e-15
  // and the figures are those of T = 200 (measured: 0.2118 and 0.0645 for both). The slow suite runs T = 200.
  // Theory: E‖(1/Q)Σ u uᵀg − g‖² = (d+1)/Q ‖g‖² for Gaussian u, i.e. ≈ 0.077 (Q = 1000) and 0.245 (Q = 100).
  const e1000 = jacobianError(problem, 1000, 50, 20);
  const e100 = jacobianError(problem, 100, 50, 20);
  assert.ok(e1000 < 0.1, `Q = 1000: ${e1000}`);
  assert.ok(e100 / e1000 > 2, `Q = 100: ${e100}, ratio ${e100 / e1000}`);
});

test('A2 T2: ESJ with Q = 10, T = 30 drives ‖∇h‖ down by 1e-6; T = 5 plateaus above 1e-4 (the truncation bias)', () => {
  // γ = .5/(L_h(1 + (dx+1)/Q)): E‖ĝ‖² = (1 + (dx+1)/Q)‖J_Tᵀb‖² here (∇_xF = 0), so this is half the safe GD step.
  // The bias of the T-step Jacobian is (I − αA)^T ≤ ½^T: measured plateaus 1.9e-10 (T = 30, ≈ ½^30) and 4.5e-3 (T = 5);
  // T = 30 reaches its plateau before 1000 iterations.
  const Q = 10;
  const outerStep = 0.5 / (problem.Lh * (1 + (problem.dimX + 1) / Q));
  const g0 = nrm2(problem.hypergradient(new Float64Array(5)).grad);
  const good = runLoop(problem, esj({ innerIterations: 30, directions: Q, innerStep: 0.5, outerStep }), { maxIter: 1500, seed: 3 });
  const g30 = relGrad(good.x, g0);
  assert.ok(g30 < 1e-6, `T = 30: ${g30}`);
  const short = runLoop(problem, esj({ innerIterations: 5, directions: Q, innerStep: 0.5, outerStep }), { maxIter: 1500, seed: 3 });
  const g5 = relGrad(short.x, g0);
  assert.ok(g5 > 1e-4, `T = 5: ${g5}`);

  // Hessian-free: no second-order call of any kind, the linear-system stream calls nothing, and the inner stream
  // makes exactly (Q+1)·T gradient calls per outer step
  const c = good.counts;
  assert.equal(c.total.hvp + c.total.cross + c.total.outerHvp + c.total.outerCross, 0);
  assert.deepEqual(c.linsys, { ...c.linsys, innerGrad: 0, outerGradZ: 0, outerGradX: 0, innerValue: 0, outerValue: 0, innerGradX: 0, fullPasses: 0 });
  assert.equal(c.inner.innerGrad, 1500 * (Q + 1) * 30);
  assert.equal(c.outer.outerGradZ, 1500);
  // the check can fail: a second-order method on the same run is caught
  const ref = runLoop(problem, soba({ batchSize: 1 }), { maxIter: 10 });
  assert.ok(ref.counts.total.hvp + ref.counts.total.cross > 0);
});

const finiteSum = quadraticProblem({ dimZ: 10, dimX: 5, nInner: 64, nOuter: 64, mu: 0.5, L: 1, seed: 4 });

test('ESJ-S with one block per epoch is ESJ (same directions, full batches) up to summation order', () => {
  const options = { innerIterations: 5, directions: 3 };
  const a = runLoop(finiteSum, esj(options), { maxIter: 50, seed: 9 });
  const b = runLoop(finiteSum, esjS({ ...options, batchSize: 64 }), { maxIter: 50, seed: 9 });
  // the minibatch is the whole (shuffled) sample set: the means differ by summation order only (measured 1.7e-15)
  assert.ok(nrm2(a.x.map((e, i) => e - b.x[i])) < 1e-12 * nrm2(a.x));
  assert.equal(b.counts.total.hvp + b.counts.total.cross + b.counts.total.outerHvp + b.counts.total.outerCross, 0);
});

test('ESJ-S (batch 16) settles near the solution; with T = 10 its truncation bias keeps it 3× farther', () => {
  // Constant steps: a noise/bias floor. SGD step .1 contracts the slowest inner direction by 1 − .1·.5 per step, so
  // the T-step Jacobian misses (.95)^T of it: 8% at T = 50, 60% at T = 10. Measured over seeds 1–5 (mean of
  // rel‖∇h‖ over the second half of 600 iterations): T = 50: .059–.081; T = 10: .225–.248.
  const g0 = nrm2(finiteSum.hypergradient(new Float64Array(5)).grad);
  const floor = (T: number) => {
    let sum = 0;
    let count = 0;
    runLoop(finiteSum, esjS({ batchSize: 16, innerIterations: T, directions: 10, innerStep: 0.1, outerStep: 0.05 }), { maxIter: 600, seed: 1, sampleEvery: 10 }, (s) => {
      if (s.iteration < 300) return;
      sum += nrm2(finiteSum.hypergradient(s.x).grad) / g0;
      count++;
    });
    return sum / count;
  };
  const f50 = floor(50);
  const f10 = floor(10);
  assert.ok(f50 < 0.12, `T = 50: ${f50}`);
  assert.ok(f10 > 0.18, `T = 10: ${f10}`);
});

test('the RxJS run passes the Jacobian samples (aux) like the plain loop: same bits', async () => {
  const solver = esjS({ batchSize: 8, innerIterations: 3, directions: 2 });
  const options = { maxIter: 40, seed: 6 };
  const a = await lastValueFrom(run(finiteSum, solver, options));
  const b = runLoop(finiteSum, solver, options);
  assert.ok(a.x.every((e, i) => Object.is(e, b.x[i])) && a.z.every((e, i) => Object.is(e, b.z[i])));
  assert.deepEqual(a.counts.total, b.counts.total);
});
