import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { implicitDiff } from './implicit-diff';
import type { ImplicitDiffOptions } from './implicit-diff';
import { countingProblem, emptyCounts } from './oracle-counts';
import type { StreamName } from './solver';

const problem = quadraticProblem({ dimZ: 8, dimX: 4, nInner: 40, nOuter: 30, seed: 5 });
const dist = (a: Float64Array, b: Float64Array) => nrm2(Float64Array.from(a, (v, i) => v - b[i]));

function parts(options: ImplicitDiffOptions) {
  const solver = implicitDiff(options);
  const counts = { inner: emptyCounts(), linsys: emptyCounts(), outer: emptyCounts() };
  const rng = Rng.fromSeed(0);
  const state = {} as Record<StreamName, unknown>;
  for (const s of ['inner', 'linsys', 'outer'] as const) state[s] = solver[s].init(countingProblem(problem, counts[s]), rng.split());
  return { solver, counts, state };
}

test('implicitDiff: options are validated; defaults', () => {
  assert.throws(() => implicitDiff({ inner: 'cg' as never }), /implicitDiff: inner must be one of "exact", "lbfgs", "gd", received cg/);
  assert.throws(() => implicitDiff({ linsys: 'minres' as never }), /implicitDiff: linsys must be one of "exact", "cg", "normal-cg", "gmres", "bicgstab", "neumann", "richardson", received minres/);
  assert.throws(() => implicitDiff({ linsys: 'neumann', linsysStep: 0 }), /implicitDiff: linsysStep must be a positive finite number, received 0/);
  assert.throws(() => implicitDiff({ innerTol: 0 }), /implicitDiff: innerTol must be a positive finite number, received 0/);
  assert.throws(() => implicitDiff({ batchSize: 0 }), /implicitDiff: batchSize must be a positive integer, received 0/);
  assert.throws(() => implicitDiff({ tol: 1 } as never), /implicitDiff: unknown option "tol"/);
  const s = implicitDiff({ batchSize: 64 });
  assert.deepEqual(s.options, { outerStep: 0.1, inner: 'exact', linsys: 'cg', innerTol: 1e-10, innerMaxIter: 10000, linsysTol: 1e-10 });
  assert.equal(s.schedule, 'gauss-seidel');
});

test('implicitDiff: every inner method reaches ‖∇_z G‖ ≤ innerTol from a cold start', () => {
  const x = Float64Array.of(1, -1, 0.5, 0);
  for (const inner of ['exact', 'lbfgs', 'gd'] as const) {
    const { solver, state } = parts({ inner, innerStep: 1, innerTol: 1e-9 });
    const z = new Float64Array(8);
    solver.inner.step(state.inner, { z: new Float64Array(8), v: new Float64Array(8), x }, 0, z);
    const g = new Float64Array(8);
    problem.innerGradZ(z, x, problem.fullInner, g);
    assert.ok(nrm2(g) <= 1e-9, `${inner}: ‖∇G‖ = ${nrm2(g)}`);
  }
});

test('implicitDiff: the linear system gives v* (exact: dense H + Cholesky; cg: to its tolerance), warm starts save CG steps', () => {
  const x = Float64Array.of(0.2, 0.4, -0.6, 1);
  const ref = problem.hypergradient(x);
  const exact = parts({ linsys: 'exact' });
  const v = new Float64Array(8);
  exact.solver.linsys.step(exact.state.linsys, { z: ref.z, v: new Float64Array(8), x }, 0, v);
  assert.ok(dist(v, ref.v) <= 1e-12 * nrm2(ref.v));
  assert.equal(exact.counts.linsys.hvp, 8); // one HVP per column of H
  const cg = parts({ linsys: 'cg', linsysTol: 1e-10 });
  const w = new Float64Array(8);
  cg.solver.linsys.step(cg.state.linsys, { z: ref.z, v: new Float64Array(8), x }, 0, w);
  // ‖v − v*‖ ≤ κ(H)·rtol·‖v*‖ with κ = L/μ = 10
  assert.ok(dist(w, ref.v) <= 10 * 1e-10 * nrm2(ref.v));
  const cold = cg.counts.linsys.hvp;
  const again = new Float64Array(8);
  cg.solver.linsys.step(cg.state.linsys, { z: ref.z, v: w, x }, 1, again); // warm start at the previous solution
  assert.ok(cg.counts.linsys.hvp - cold < cold, `warm ${cg.counts.linsys.hvp - cold} vs cold ${cold} HVPs`);
});

test('implicitDiff: with exact parts one outer step is x − γ∇h(x)', () => {
  const x = Float64Array.of(0.5, -0.5, 1, 2);
  const { solver, state } = parts({ linsys: 'exact', outerStep: 0.3 });
  const z = new Float64Array(8);
  const v = new Float64Array(8);
  const x1 = new Float64Array(4);
  solver.inner.step(state.inner, { z: new Float64Array(8), v, x }, 0, z);
  solver.linsys.step(state.linsys, { z, v: new Float64Array(8), x }, 0, v);
  solver.outer.step(state.outer, { z, v, x }, 0, x1);
  const { grad } = problem.hypergradient(x);
  const expected = Float64Array.from(x, (xi, k) => xi - 0.3 * grad[k]);
  assert.ok(dist(x1, expected) <= 1e-12 * nrm2(expected));
});

test('implicitDiff: every named linear solver gives v* to its tolerance (κ(H) = 10, so ‖v − v*‖ ≤ 10·tol·‖v*‖)', () => {
  const x = Float64Array.of(0.2, 0.4, -0.6, 1);
  const ref = problem.hypergradient(x);
  for (const [linsys, extra] of [
    ['normal-cg', {}],
    ['gmres', {}],
    ['bicgstab', {}],
    // η = 1 ≤ 1/L (L = 1 here): contraction 1 − μ = 0.9 per term; 400 terms reach 1e-10
    ['neumann', { linsysStep: 1, linsysMaxIter: 400 }],
  ] as const) {
    const { solver, state } = parts({ linsys, linsysTol: 1e-10, ...extra });
    const v = new Float64Array(8);
    solver.linsys.step(state.linsys, { z: ref.z, v: new Float64Array(8), x }, 0, v);
    assert.ok(dist(v, ref.v) <= 10 * 1e-10 * nrm2(ref.v) * 1.01, `${linsys}: ${dist(v, ref.v)}`);
    const d = solver.linsys.diagnostics!(state.linsys);
    assert.equal(d.linsysStalled, 0, linsys);
    assert.equal(d.linsysReason, 0, linsys); // 'converged'
    assert.equal(solver.options.linsys, linsys);
  }
});

test('implicitDiff: an indefinite inner Hessian (a saddle) stops CG as data: linsysStalled 1, reason indefinite', () => {
  // the inner Hessian's action with one direction flipped: what CG meets at a saddle point of G
  const saddle: typeof problem = Object.assign(Object.create(problem), {
    innerHvp: (z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array) => {
      problem.innerHvp(z, x, v, batch, out);
      out[0] -= 3 * v[0];
    },
  });
  const solver = implicitDiff({ linsys: 'cg' });
  const state = solver.linsys.init(saddle, Rng.fromSeed(0));
  const x = Float64Array.of(0.2, 0.4, -0.6, 1);
  const v = new Float64Array(8);
  solver.linsys.step(state, { z: problem.hypergradient(x).z, v: new Float64Array(8), x }, 0, v);
  const d = solver.linsys.diagnostics!(state);
  assert.equal(d.linsysStalled, 1);
  assert.equal(d.linsysReason, 4); // SOLVE_REASONS[4] = 'indefinite'
});
