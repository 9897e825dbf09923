// BSA: the benchmark's defaults; the oracle calls of an outer step; and its paper's two approximations, the T-step
// inner loop and the truncation of the Hessian-inverse product at N: with full batches the only randomness is the
// truncation p, so the exact mean of the x direction is the average over p = 0..N−1 (each p read from the part's
// `hvps`), and its error against ∇h(x) (closed form on a quadratic) shrinks geometrically in T at the rate 1 − βμ and
// in N at the rate 1 − ημ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { bsa } from './bsa';
import { countingProblem, emptyCounts } from './oracle-counts';
import type { StreamName } from './solver';

test('bsa: the benchmark defaults (steps 0.1 (k+1)^−1/2, T = 10, η 0.1, N = 10, batch 64), gauss-seidel', () => {
  const s = bsa();
  assert.deepEqual(s.options, { batchSize: 64, innerStep: 0.1, outerStep: 0.1, stepDecay: 0.5, innerIters: 10, neumannStep: 0.1, neumannTerms: 10 });
  assert.equal(s.schedule, 'gauss-seidel');
  assert.match(s.citation, /Ghadimi, Wang\. Approximation methods for bilevel programming\. arXiv:1802\.02246, 2018/);
  assert.deepEqual(s.linsys.description, { estimator: 'sgd', batchSize: 64, linearSolver: { kind: 'neumann', step: 0.1, iterations: 10 } });
  assert.throws(() => bsa({ innerIters: 0 }), /bsa: innerIters must be a positive integer, received 0/);
  assert.throws(() => bsa({ nInnerSteps: 3 } as never), /bsa: unknown option "nInnerSteps"/);
});

test('bsa: an outer step: T ∇_z g at the step β_k = β₀(k+1)^−1/2; 1 ∇_z f and p ≤ N − 1 HVPs; 1 ∇_x f and 1 cross product', () => {
  const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 32, nOuter: 32, seed: 2 });
  const solver = bsa({ batchSize: 4, innerIters: 7, neumannTerms: 5 });
  const counts = { inner: emptyCounts(), linsys: emptyCounts(), outer: emptyCounts() };
  const rng = Rng.fromSeed(0);
  const st = {} as Record<StreamName, unknown>;
  for (const s of ['inner', 'linsys', 'outer'] as const) st[s] = solver[s].init(countingProblem(problem, counts[s]), rng.split());
  const x = Float64Array.of(0.1, 0.2, 0.3);
  let z = new Float64Array(6);
  let v = new Float64Array(6);
  let xk = x;
  for (let k = 0; k < 4; k++) {
    const z1 = new Float64Array(6);
    const v1 = new Float64Array(6);
    const x1 = new Float64Array(3);
    solver.inner.step(st.inner, { z, v, x: xk }, k, z1);
    solver.linsys.step(st.linsys, { z: z1, v, x: xk }, k, v1);
    solver.outer.step(st.outer, { z: z1, v: v1, x: xk }, k, x1);
    [z, v, xk] = [z1, v1, x1];
  }
  assert.equal(solver.inner.diagnostics!(st.inner).step, 0.1 / 2);
  assert.equal(counts.inner.innerGrad, 4 * 7);
  assert.equal(counts.linsys.outerGradZ, 4);
  assert.ok(counts.linsys.hvp <= 4 * 4, `${counts.linsys.hvp} HVPs`);
  assert.deepEqual([counts.outer.outerGradX, counts.outer.cross, counts.outer.innerGrad + counts.outer.hvp], [4, 4, 0]);
});

test('bsa: the exact mean of the x direction approaches ∇h geometrically in the inner steps T and in the truncation N', () => {
  const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 32, nOuter: 32, mu: 0.3, L: 1, seed: 8 });
  const x = Float64Array.of(0.5, -0.3, 0.8);
  const exact = problem.hypergradient(x).grad;
  /** ‖E_p[∇_x F(z_T) + ∇²_xz G(z_T)·v] − ∇h(x)‖ / ‖∇h(x)‖ after one outer step from z = 0, full batches, β = η = 1 = 1/L. */
  const error = (T: number, N: number) => {
    const s = bsa({ batchSize: 32, innerIters: T, neumannTerms: N, innerStep: 1, neumannStep: 1 });
    const rng = Rng.fromSeed(0);
    const si = s.inner.init(problem, rng.split());
    const sl = s.linsys.init(problem, rng.split());
    const zT = new Float64Array(6);
    s.inner.step(si, { z: new Float64Array(6), v: new Float64Array(6), x }, 0, zT);
    const byP = new Map<number, Float64Array>();
    for (let r = 0; byP.size < N && r < 100 * N; r++) {
      const v = new Float64Array(6);
      s.linsys.step(sl, { z: zT, v, x }, r, v);
      byP.set(s.linsys.diagnostics!(sl).hvps, v);
    }
    assert.deepEqual([...byP.keys()].sort((a, b) => a - b), Array.from({ length: N }, (_, p) => p), 'every truncation p = 0..N−1 drawn');
    const mean = new Float64Array(6);
    for (const v of byP.values()) for (let k = 0; k < 6; k++) mean[k] += v[k] / N;
    const g = new Float64Array(3);
    const c = new Float64Array(3);
    problem.outerGradX(zT, x, problem.fullOuter, g);
    problem.innerCross(zT, x, mean, problem.fullInner, c);
    return nrm2(Float64Array.from(g, (e, i) => e + c[i] - exact[i])) / nrm2(exact);
  };
  // rate 1 − μ·1 = 0.7 for both (μ = 0.3, β = η = 1); measured: N = 5 → 20 (T = 60): 1.8e-2 → 9.9e-5 (ratio 5.4e-3);
  // T = 5 → 20 (N = 60): 1.25e-2 → 6.8e-5 (ratio 5.4e-3); T = N = 40: 1.4e-7. Bound on each ratio: 2·0.7^15 = 9.5e-3.
  const bound = 2 * 0.7 ** 15;
  const truncation = error(60, 20) / error(60, 5);
  const innerLoop = error(20, 60) / error(5, 60);
  assert.ok(truncation < bound, `N: ${truncation}`);
  assert.ok(innerLoop < bound, `T: ${innerLoop}`);
  assert.ok(error(40, 40) < 1e-6);
});
