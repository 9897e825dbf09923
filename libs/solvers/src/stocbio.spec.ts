import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemv, matrix, nrm2, Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { countingProblem, emptyCounts } from './oracle-counts';
import type { StreamName } from './solver';
import { stocbio } from './stocbio';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 32, nOuter: 32, seed: 4 });
const dist = (a: Float64Array, b: Float64Array) => nrm2(Float64Array.from(a, (v, i) => v - b[i]));

function parts(solver: ReturnType<typeof stocbio>) {
  const counts = { inner: emptyCounts(), linsys: emptyCounts(), outer: emptyCounts() };
  const rng = Rng.fromSeed(0);
  const state = {} as Record<StreamName, unknown>;
  for (const s of ['inner', 'linsys', 'outer'] as const) state[s] = solver[s].init(countingProblem(problem, counts[s]), rng.split());
  return { counts, state };
}

test('stocbio: options are validated; defaults of the public benchmark (T = N = 10, steps 0.1, batch 64)', () => {
  assert.throws(() => stocbio({ neumannTerms: -1 }), /stocbio: neumannTerms must be a finite number ≥ 0, received -1/);
  assert.throws(() => stocbio({ neumannTerms: 1.5 }), /stocbio: neumannTerms must be an integer ≥ 0, received 1.5/);
  assert.throws(() => stocbio({ innerIters: 0 }), /stocbio: innerIters must be a positive integer, received 0/);
  assert.throws(() => stocbio({ hessianQ: 3 } as never), /stocbio: unknown option "hessianQ"/);
  const s = stocbio();
  assert.deepEqual(s.options, { batchSize: 64, innerStep: 0.1, neumannStep: 0.1, outerStep: 0.1, innerIters: 10, neumannTerms: 10 });
  assert.equal(s.schedule, 'gauss-seidel');
  assert.match(s.citation, /Ji, Yang, Liang.*ICML 2021/);
});

test('stocbio: one outer step makes T gradients, one outer gradient + N HVPs, one cross product + one ∇_x F', () => {
  const solver = stocbio({ innerIters: 2, neumannTerms: 5, batchSize: 4 });
  const { counts, state } = parts(solver);
  const z = new Float64Array(6);
  const x = Float64Array.of(1, 0, -1);
  const z1 = new Float64Array(6);
  const v1 = new Float64Array(6);
  const x1 = new Float64Array(3);
  solver.inner.step(state.inner, { z, v: z, x }, 0, z1);
  solver.linsys.step(state.linsys, { z: z1, v: new Float64Array(6).fill(7), x }, 0, v1);
  solver.outer.step(state.outer, { z: z1, v: v1, x }, 0, x1);
  assert.deepEqual([counts.inner.innerGrad, counts.linsys.hvp, counts.linsys.outerGradZ, counts.outer.cross, counts.outer.outerGradX], [2, 5, 1, 1, 1]);
  // v is rebuilt from zero each outer step: the previous v (filled with 7) plays no role
  const again = new Float64Array(6);
  const fresh = parts(solver);
  solver.linsys.step(fresh.state.linsys, { z: z1, v: new Float64Array(6), x }, 0, again);
  assert.ok(dist(again, v1) === 0);
});

test('stocbio: at z*(x), the mean of the linear-system step is the truncated series −η Σ_{q≤N} (I − ηH)^q ∇_z F', () => {
  const x = Float64Array.of(0.3, -0.7, 0.2);
  const { z } = problem.hypergradient(x);
  const N = 10;
  const eta = 0.5;
  const solver = stocbio({ neumannTerms: N, neumannStep: eta, batchSize: 4 });
  const { state } = parts(solver);
  const mean = new Float64Array(6);
  const v = new Float64Array(6);
  const reps = 4000;
  for (let r = 0; r < reps; r++) {
    solver.linsys.step(state.linsys, { z, v, x }, r, v);
    for (let k = 0; k < 6; k++) mean[k] += v[k] / reps;
  }
  // reference: dense H (full batch), the series on the full-batch b
  const H = matrix(6, 6);
  const e = new Float64Array(6);
  const col = new Float64Array(6);
  for (let j = 0; j < 6; j++) {
    e.fill(0);
    e[j] = 1;
    problem.innerHvp(z, x, e, problem.fullInner, col);
    H.data.set(col, j * 6);
  }
  const b = new Float64Array(6);
  problem.outerGradZ(z, x, problem.fullOuter, b);
  const p = Float64Array.from(b, (t) => -t);
  const series = Float64Array.from(p, (t) => eta * t);
  const hp = new Float64Array(6);
  for (let q = 1; q <= N; q++) {
    gemv(1, H, p, 0, hp);
    for (let k = 0; k < 6; k++) {
      p[k] -= eta * hp[k];
      series[k] += eta * p[k];
    }
  }
  const rel = dist(mean, series) / nrm2(series);
  // measured 0.63%, the Monte Carlo error of 4000 draws (b is a minibatch mean too, independent of the Hessians)
  assert.ok(rel < 0.03, `mean vs series: ${rel}`);
});

test('stocbio: linsysSolver cg solves one minibatch Hessian per step to 1e-10 within N iterations: on the full batch, v = v* with no series bias', () => {
  assert.throws(() => stocbio({ linsysSolver: 'cg', neumannTerms: 0 }), /stocbio: neumannTerms must be ≥ 1 with linsysSolver cg, received 0/);
  assert.throws(() => stocbio({ linsysSolver: 'lsqr' as never }), /stocbio: linsysSolver must be one of cg, normal-cg, gmres, bicgstab, neumann, richardson, received lsqr/);
  const x = Float64Array.of(0.3, -0.7, 0.2);
  const ref = problem.hypergradient(x);
  // batch 32 = n: the minibatch Hessian is the full one; N = 10 ≥ dimZ = 6 CG iterations are enough
  const cg = stocbio({ linsysSolver: 'cg', batchSize: 32, neumannTerms: 10 });
  const neumann = stocbio({ batchSize: 32, neumannTerms: 10 });
  const vCg = new Float64Array(6);
  const vSeries = new Float64Array(6);
  const a = parts(cg);
  cg.linsys.step(a.state.linsys, { z: ref.z, v: vCg, x }, 0, vCg);
  const b = parts(neumann);
  neumann.linsys.step(b.state.linsys, { z: ref.z, v: vSeries, x }, 0, vSeries);
  assert.ok(dist(vCg, ref.v) <= 1e-8 * nrm2(ref.v), `cg ${dist(vCg, ref.v)}`);
  assert.ok(dist(vSeries, ref.v) > 1e-3 * nrm2(ref.v), `series ${dist(vSeries, ref.v)}`); // the truncation bias (1 − ημ)^{N+1}
  assert.equal(cg.linsys.diagnostics!(a.state.linsys).linsysReason, 0);
  assert.ok(a.counts.linsys.hvp <= 11);
});
