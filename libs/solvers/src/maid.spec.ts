import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, nrm2 } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import { innerCurvature, LowerLevelSolver, maid, outerSmoothness } from './maid';

const problem = quadraticProblem({ dimZ: 10, dimX: 5, nInner: 50, nOuter: 50, seed: 1 });
const x = Float64Array.from([0.3, -0.2, 0.5, 0.1, -0.4]);
const zStar = problem.solveInner(x).z;
const dist = (a: Float64Array, b: Float64Array) => nrm2(Float64Array.from(a, (v, i) => v - b[i]));

test('maid: the deepinv defaults, the common options accepted, the citation and the schedule', () => {
  const s = maid();
  assert.equal(s.schedule, 'gauss-seidel');
  assert.match(s.citation, /Salehi, Mukherjee, Roberts, Ehrhardt.*SIAM Journal on Mathematics of Data Science, 2025/);
  assert.deepEqual(
    [s.options.epsilon0, s.options.delta0, s.options.outerStep, s.options.rho, s.options.rhoBar, s.options.nu, s.options.nuBar, s.options.lambda],
    [0.1, 0.1, 1e-2, 0.5, 1.2, 0.5, 1.1, 0.1],
  );
  assert.deepEqual([s.options.maxBacktracks, s.options.epsilonMin, s.options.deltaMin, s.options.tol], [20, 1e-14, 1e-14, 1e-6]);
  const t = maid({ batchSize: 8, innerStep: 0.5, outerStep: 0.2 });
  assert.deepEqual([t.options.batchSize, t.options.innerStep, t.options.outerStep], [8, 0.5, 0.2]);
});

test('maid: invalid options are errors naming the function, the field, the value and the expectation', () => {
  assert.throws(() => maid({ rho: 1.5 }), /maid: rho must lie in \(0, 1\), received 1\.5/);
  assert.throws(() => maid({ nuBar: 0.9 }), /maid: nuBar must be a finite number > 1, received 0\.9/);
  assert.throws(() => maid({ outerStep: -1 }), /maid: outerStep must be a positive finite number, received -1/);
  assert.throws(() => maid({ innerSolver: 'newton' as never }), /maid: innerSolver must be one of gd, fista, lbfgs, received newton/);
  assert.throws(() => maid({ epsilon: 0.1 } as never), /maid: unknown option "epsilon"/);
});

test('LowerLevelSolver: gd, fista and lbfgs reach ‖∇G‖ ≤ tol, so ‖z − z*‖ ≤ tol/μ; a solved warm start costs no iteration', () => {
  const { mu, L } = problem.innerConstants();
  const g = new Float64Array(problem.dimZ);
  const iterations: Record<string, number> = {};
  for (const method of ['gd', 'fista', 'lbfgs'] as const) {
    const solver = new LowerLevelSolver(problem, method, 5000);
    const z = new Float64Array(problem.dimZ);
    const tol = 1e-7;
    const res = solver.solve(x, z, tol, 1 / L, mu);
    problem.innerGradZ(z, x, problem.fullInner, g);
    assert.ok(nrm2(g) <= tol && Math.abs(res.gradNorm - nrm2(g)) <= 1e-15, `${method}: ‖∇G‖ = ${nrm2(g)}, reported ${res.gradNorm}`);
    assert.ok(dist(z, zStar) <= tol / mu, `${method}: ‖z − z*‖ = ${dist(z, zStar)}`);
    iterations[method] = res.iterations;
    assert.equal(solver.solve(x, z, tol, 1 / L, mu).iterations, 0);
  }
  // κ = 10: gd needs ~κ·ln(‖∇G₀‖/tol) ≈ 150 steps, the momentum of fista ~√κ times fewer
  assert.ok(iterations.fista < iterations.gd / 2, JSON.stringify(iterations));
});

test('innerCurvature: the known constants, else power iteration (μ = 0.1, L = 1 exactly here); no strong convexity is an error', () => {
  assert.deepEqual(innerCurvature('maid', problem, zStar, x), { mu: 0.1, L: 1, estimated: false });
  const hidden = Object.create(problem, { innerConstants: { value: undefined } }) as BilevelProblem;
  const est = innerCurvature('maid', hidden, zStar, x);
  assert.ok(est.estimated && Math.abs(est.mu - 0.1) < 1e-6 && Math.abs(est.L - 1) < 1e-6, JSON.stringify(est));
  const flat = Object.create(hidden, { innerHvp: { value: (_z: unknown, _x: unknown, _v: unknown, _b: unknown, out: Float64Array) => out.fill(0) } }) as BilevelProblem;
  assert.throws(() => innerCurvature('maid', flat, zStar, x), /maid: the lower level of "quadratic" does not look strongly convex/);
});

test('outerSmoothness: L_F from the outer HVP or from finite differences of ∇_zF agree (λ_max of the F-Hessian = 1)', () => {
  const withHvp = outerSmoothness(problem, zStar, x);
  const fd = outerSmoothness(Object.create(problem, { outerHvp: { value: undefined } }) as BilevelProblem, zStar, x);
  // the outer rows are whitened to the spectrum [0.1, 1] like the inner ones; finite differences of a quadratic are
  // exact up to rounding (1e-16/τ with τ = 1e-6: 1e-10), power iteration stops at relative change 1e-10
  assert.ok(Math.abs(withHvp - 1) < 1e-6 && Math.abs(fd - withHvp) < 1e-6, `${withHvp}, ${fd}`);
});

test('maid parts, one gauss-seidel tick by hand: z to με, v to δ, then the outer step checks which x z was solved at', () => {
  const solver = maid();
  const rng = Rng.fromSeed(0);
  const si = solver.inner.init(problem, rng.split());
  const sl = solver.linsys.init(problem, rng.split());
  const so = solver.outer.init(problem, rng.split());
  const z0 = new Float64Array(problem.dimZ);
  const v0 = new Float64Array(problem.dimZ);
  const z1 = new Float64Array(problem.dimZ);
  const v1 = new Float64Array(problem.dimZ);
  const x1 = new Float64Array(problem.dimX);
  const auxZ = solver.inner.step(si, { z: z0, v: v0, x }, 0, z1);
  const g = new Float64Array(problem.dimZ);
  problem.innerGradZ(z1, x, problem.fullInner, g);
  assert.ok(nrm2(g) <= 0.1 * 0.1, `‖∇G‖ = ${nrm2(g)}`);
  solver.linsys.step(sl, { z: z1, v: v0, x }, 0, v1);
  const hv = new Float64Array(problem.dimZ);
  const b = new Float64Array(problem.dimZ);
  problem.innerHvp(z1, x, v1, problem.fullInner, hv);
  problem.outerGradZ(z1, x, problem.fullOuter, b);
  assert.ok(dist(hv, Float64Array.from(b, (e) => -e)) <= 0.1, 'CG residual above δ₀');
  const ctl = solver.outer.step(so, { z: z1, v: v1, x, aux: { z: auxZ } }, 0, x1) as { eps: number; delta: number };
  // ε₀ = 0.1 is far too loose for the first line search (measured): x stays and ε, δ halve
  assert.deepEqual(x1, x);
  assert.deepEqual(ctl, { eps: 0.05, delta: 0.05 });
  const moved = Float64Array.from(x, (e) => e + 1);
  assert.throws(() => solver.outer.step(so, { z: z1, v: v1, x: moved, aux: { z: auxZ } }, 1, x1), /gauss-seidel/);
});

test('maid: linsysSolver picks the linear solver by name (gmres, bicgstab, normal-cg reach the residual δ₀ as CG does)', () => {
  assert.throws(() => maid({ linsysSolver: 'neumann' as never }), /maid: linsysSolver must be one of cg, normal-cg, gmres, bicgstab, received neumann/);
  for (const name of ['gmres', 'bicgstab', 'normal-cg'] as const) {
    const solver = maid({ linsysSolver: name });
    assert.equal(solver.options.linsysSolver, name);
    const state = solver.linsys.init(problem, Rng.fromSeed(0));
    const v = new Float64Array(problem.dimZ);
    solver.linsys.step(state, { z: zStar, v: new Float64Array(problem.dimZ), x }, 0, v);
    const hv = new Float64Array(problem.dimZ);
    const b = new Float64Array(problem.dimZ);
    problem.innerHvp(zStar, x, v, problem.fullInner, hv);
    problem.outerGradZ(zStar, x, problem.fullOuter, b);
    assert.ok(dist(hv, Float64Array.from(b, (e) => -e)) <= 0.1, `${name}: residual above δ₀`);
    const d = solver.linsys.diagnostics!(state);
    assert.equal(d.linsysStalled, 0, name);
    assert.ok(d.residual <= 0.1, name);
  }
});
