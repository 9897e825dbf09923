// implicitVjp against closed forms (ridge regression, an equality QP, a box projection), finite differences (a
// fixed-point layer) and problem.hypergradient; the fallback chain on singular, indefinite and badly conditioned
// systems; the error shrinking with the tolerance (fast-check); options checked up front.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gemv, lbfgsPreconditioner, luFactor, matrix, nrm2, randomOrthogonal, Rng, symEig } from '@bilevel/linalg';
import type { CurvaturePair, Matrix } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { bilevelCondition, gradientCondition } from './gradient-condition';
import { fixedPointCondition } from './fixed-point-condition';
import { kktCondition } from './kkt-condition';
import type { ImplicitSolverName } from './implicit-vjp';
import { implicitVjp, solveAdjoint } from './implicit-vjp';
import { equalityQp, ridgeRegression, tanhLayer } from './fixtures';

const relErr = (a: Float64Array, b: Float64Array) => nrm2(Float64Array.from(a, (v, i) => v - b[i])) / nrm2(b);
const condOf = (H: Matrix) => {
  const ev = symEig(matrix(H.rows, H.cols, Float64Array.from(H.data))).values;
  return ev[ev.length - 1] / ev[0];
};
/** Slack on κ·tol for rounding and the norms of ∂_xF (all O(1) here). */
const SLACK = 20;

test('implicitVjp on ridge regression with one weight per feature: every solver matches the closed form −(e^x ⊙ z*) ⊙ H⁻¹w', () => {
  const r = ridgeRegression(40, 12, 1);
  const kappa = condOf(r.H);
  const w = Rng.fromSeed(2).normals(new Float64Array(12));
  const exact = r.vjp(w);
  const cond = gradientCondition({ dimZ: 12, dimX: 12, hvp: r.hvp, cross: r.cross });
  const L = symEig(matrix(12, 12, Float64Array.from(r.H.data))).values[11];
  // pairs along the eigenvectors of H: the L-BFGS inverse they give is H⁻¹ exactly (hereditary property)
  const { vectors } = symEig(matrix(12, 12, Float64Array.from(r.H.data)));
  const pairs: CurvaturePair[] = Array.from({ length: 12 }, (_, j) => {
    const s = Float64Array.from({ length: 12 }, (_, i) => vectors.data[i * 12 + j]);
    const y = new Float64Array(12);
    r.hvp(s, y);
    return { s, y, rho: 1 / s.reduce((acc, v, i) => acc + v * y[i], 0) };
  });
  for (const solver of ['cg', 'gmres', 'bicgstab', 'normal-cg', 'neumann', 'lbfgs-pairs', 'dense'] as const) {
    const res = implicitVjp(cond, w, { solver, tol: 1e-12, eta: 1 / L, maxIter: 20_000, pairs: { pairs, h0: 1 } });
    assert.equal(res.diagnostics.solver, solver);
    assert.ok(res.diagnostics.converged && !res.diagnostics.fellBack && !res.diagnostics.stalled, `${solver}: ${JSON.stringify(res.diagnostics)}`);
    // ‖normal-cg‖ needs κ²: its tolerance still bounds the residual, hence the same κ·tol bound
    assert.ok(relErr(res.xBar, exact) <= SLACK * kappa * 1e-12, `${solver}: ${relErr(res.xBar, exact)} (κ = ${kappa.toFixed(1)})`);
  }
  // the default on a gradient condition is CG
  assert.equal(implicitVjp(cond, w).diagnostics.solver, 'cg');
});

test('implicitVjp property: on random ridge regressions the error is within κ·tol and shrinks as the tolerance tightens', () => {
  fc.assert(
    fc.property(fc.integer({ min: 10, max: 30 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom<ImplicitSolverName>('cg', 'gmres', 'bicgstab'), (d, seed, solver) => {
      // square A and small weights e^x ≈ e^−4: κ(H) in the hundreds to thousands, so loose tolerances stop early
      const r = ridgeRegression(d, d, seed, -4);
      const kappa = condOf(r.H);
      const w = Rng.fromSeed(seed + 1).normals(new Float64Array(d));
      const exact = r.vjp(w);
      const cond = gradientCondition({ dimZ: d, dimX: d, hvp: r.hvp, cross: r.cross });
      const errors = [1e-2, 1e-4, 1e-6, 1e-8, 1e-10].map((tol) => {
        const res = implicitVjp(cond, w, { solver, tol, fallback: false });
        assert.ok(res.diagnostics.converged, `${solver} tol ${tol}: ${JSON.stringify(res.diagnostics)}`);
        const err = relErr(res.xBar, exact);
        // |x̄ − x̄*| ≤ ‖∂_xF‖‖H⁻¹‖·tol·‖w‖ ≤ SLACK·κ·tol·‖x̄*‖-scale here
        assert.ok(err <= SLACK * kappa * tol * (nrm2(w) * Math.max(...r.z.map(Math.abs)) * Math.exp(Math.max(...r.x)) / nrm2(exact)), `${solver} tol ${tol}: ${err}`);
        return err;
      });
      // tighter is never worse, and strictly better unless the loosest solve already reached round-off
      assert.ok(errors[4] <= errors[0] && (errors[4] < errors[0] || errors[0] < 1e-12), `${errors}`);
    }),
    { seed: 31, numRuns: 40 },
  );
});

test('implicitVjp on a tanh fixed-point layer (a contraction): matches central finite differences of x ↦ wᵀz*(x)', () => {
  const layer = tanhLayer(10, 4, 3);
  const x = Rng.fromSeed(4).normals(new Float64Array(4));
  const w = Rng.fromSeed(5).normals(new Float64Array(10));
  const z = layer.solve(x);
  const cond = fixedPointCondition({ dimZ: 10, dimX: 4, ...layer.products(z, x) });
  const h = 1e-5;
  const fd = Float64Array.from({ length: 4 }, (_, k) => {
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[k] += h;
    xm[k] -= h;
    const zp = layer.solve(xp);
    const zm = layer.solve(xm);
    return w.reduce((s, wi, i) => s + (wi * (zp[i] - zm[i])) / (2 * h), 0);
  });
  for (const solver of ['gmres', 'bicgstab', 'normal-cg', 'neumann', 'dense'] as const) {
    const res = implicitVjp(cond, w, { solver, tol: 1e-12 });
    assert.ok(res.diagnostics.converged && !res.diagnostics.fellBack, `${solver}: ${JSON.stringify(res.diagnostics)}`);
    // central differences: O(h²) ≈ 1e-10 plus the fixed point's round-off / h ≈ 1e-11
    assert.ok(relErr(res.xBar, fd) < 1e-7, `${solver}: ${relErr(res.xBar, fd)}`);
  }
  assert.equal(implicitVjp(cond, w).diagnostics.solver, 'gmres'); // the default on a non-symmetric condition
});

test('kktCondition with equality constraints: the VJP of the QP solution map matches its closed form (K⁻¹ of the KKT matrix)', () => {
  const qp = equalityQp(8, 3, 5, 6);
  const x = Rng.fromSeed(7).normals(new Float64Array(5));
  const w = Rng.fromSeed(8).normals(new Float64Array(8));
  qp.solve(x); // the products below do not depend on (z*, ν*): the QP's Lagrangian is quadratic
  const cond = kktCondition({
    dimZ: 8,
    dimX: 5,
    hvp: (v, out) => gemv(1, qp.Q, v, 0, out),
    cross: (u, out) => gemv(-1, qp.B, u, 0, out, true), // ∂_x⟨Qz − Bx − q + Cᵀν, u⟩ = −Bᵀu
    equality: {
      dim: 3,
      jvpZ: (v, out) => gemv(1, qp.C, v, 0, out),
      vjpZ: (u, out) => gemv(1, qp.C, u, 0, out, true),
      vjpX: (u, out) => gemv(-1, qp.E, u, 0, out, true), // h = Cz − d − Ex
    },
  });
  assert.equal(cond.dimZ, 11);
  assert.equal(cond.symmetric, true);
  assert.equal(cond.definite, false);
  const exact = qp.vjp(w);
  for (const solver of ['gmres', 'bicgstab', 'normal-cg', 'dense'] as const) {
    const res = implicitVjp(cond, w, { solver, tol: 1e-12, maxIter: 1000 });
    assert.ok(res.diagnostics.converged, `${solver}: ${JSON.stringify(res.diagnostics)}`);
    assert.ok(relErr(res.xBar, exact) < 1e-8, `${solver}: ${relErr(res.xBar, exact)}`);
  }
  const byDefault = implicitVjp(cond, w);
  assert.equal(byDefault.diagnostics.solver, 'gmres');
  assert.ok(relErr(byDefault.xBar, exact) < 1e-8);
});

test('kktCondition with inequality constraints: the projection z* = min(x, 1) has x̄ = w ⊙ [x < 1] (strict complementarity)', () => {
  // min ½‖z − x‖² s.t. z − 1 ≤ 0: λ* = max(x − 1, 0), ∇²L = I, ∂_x⟨z − x + λ, u⟩ = −u, ∂_z c = I, ∂_x c = 0
  const x = Float64Array.of(0.3, 1.7, -2, 2.5, 0.99, 1.01);
  const n = x.length;
  const z = Float64Array.from(x, (v) => Math.min(v, 1));
  const cond = kktCondition({
    dimZ: n,
    dimX: n,
    hvp: (v, out) => out.set(v),
    cross: (u, out) => out.set(u.map((e) => -e)),
    inequality: {
      dim: n,
      value: Float64Array.from(z, (v) => v - 1),
      multipliers: Float64Array.from(x, (v) => Math.max(v - 1, 0)),
      jvpZ: (v, out) => out.set(v),
      vjpZ: (u, out) => out.set(u),
      vjpX: (_u, out) => out.fill(0),
    },
  });
  assert.equal(cond.symmetric, false);
  const w = Float64Array.of(1, 2, 3, 4, 5, 6);
  const res = implicitVjp(cond, w, { tol: 1e-13 });
  assert.ok(res.diagnostics.converged, JSON.stringify(res.diagnostics));
  const expected = Float64Array.from(w, (wi, i) => (x[i] < 1 ? wi : 0));
  assert.ok(relErr(res.xBar, expected) < 1e-12, `${res.xBar}`);
});

test('bilevelCondition: ∇_xF + implicitVjp(condition, ∇_zF).xBar is problem.hypergradient (the quadratic, closed form)', () => {
  const problem = quadraticProblem({ dimZ: 10, dimX: 5, nInner: 40, nOuter: 40, seed: 3 });
  const x = Rng.fromSeed(1).normals(new Float64Array(5));
  const ref = problem.hypergradient(x);
  const gz = new Float64Array(10);
  const gx = new Float64Array(5);
  problem.outerGradZ(ref.z, x, problem.fullOuter, gz);
  problem.outerGradX(ref.z, x, problem.fullOuter, gx);
  const { xBar, u } = implicitVjp(bilevelCondition(problem, ref.z, x), gz, { tol: 1e-13 });
  const grad = Float64Array.from(gx, (v, k) => v + xBar[k]);
  assert.ok(relErr(grad, ref.grad) < 1e-10, `${relErr(grad, ref.grad)}`);
  // u = H⁻¹∇_zF = −v*
  assert.ok(relErr(Float64Array.from(u, (e) => -e), ref.v) < 1e-10);
  assert.throws(() => bilevelCondition(problem, new Float64Array(3), x), /bilevelCondition: z has length 3, expected dimZ = 10/);
});

test('fallback: a singular Hessian (w outside its range) — CG, GMRES, normal CG and the dense solve fail, the ridge step succeeds, and the result says so', () => {
  const n = 6;
  const Q = randomOrthogonal(n, Rng.fromSeed(9));
  const ev = [0, 0, 0.5, 1, 2, 3];
  const H = matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) H.data[i * n + j] += Q.data[i * n + k] * ev[k] * Q.data[j * n + k];
  const cond = gradientCondition({ dimZ: n, dimX: 2, hvp: (v, out) => gemv(1, H, v, 0, out), cross: (u, out) => out.set([u[0], u[1]]) });
  const w = Float64Array.from({ length: n }, (_, i) => Q.data[i * n] + Q.data[i * n + 3]); // a null-space part
  const res = implicitVjp(cond, w, { tol: 1e-10, maxIter: 200 });
  const d = res.diagnostics;
  assert.equal(d.fellBack, true);
  assert.equal(d.converged, true);
  assert.ok(d.ridge > 0, JSON.stringify(d));
  assert.deepEqual(d.attempts.map((a) => a.solver).slice(0, 3), ['cg', 'gmres', 'dense']);
  assert.ok(d.attempts.slice(0, 3).every((a) => !a.converged));
  assert.equal(d.attempts[2].reason, 'breakdown'); // the LU pivot is zero
  // the returned u solves the ridged system (H + λI)u = w
  const r = new Float64Array(n);
  gemv(1, H, res.u, 0, r);
  for (let i = 0; i < n; i++) r[i] = w[i] - r[i] - d.ridge * res.u[i];
  assert.ok(nrm2(r) <= 1e-10 * nrm2(w) * 1.0001, `${nrm2(r)}`);
  assert.ok(!luFactor(H).pivotRatio);
});

test('fallback: an indefinite Hessian stops CG (indefinite, stalled) and GMRES takes over; with fallback false the result says it failed', () => {
  const H = matrix(3, 3, Float64Array.of(2, 0.5, 0, 0.5, -1, 0, 0, 0, 1));
  const cond = gradientCondition({ dimZ: 3, dimX: 3, hvp: (v, out) => gemv(1, H, v, 0, out), cross: (u, out) => out.set(u) });
  const w = Float64Array.of(1, 1, 1);
  const res = implicitVjp(cond, w);
  assert.equal(res.diagnostics.stalled, true);
  assert.equal(res.diagnostics.attempts[0].reason, 'indefinite');
  assert.equal(res.diagnostics.solver, 'gmres');
  assert.equal(res.diagnostics.fellBack, true);
  assert.equal(res.diagnostics.converged, true);
  const none = implicitVjp(cond, w, { fallback: false });
  assert.equal(none.diagnostics.converged, false);
  assert.equal(none.diagnostics.fellBack, false);
  assert.equal(none.diagnostics.attempts.length, 1);
});

test('fallback: a badly conditioned system (κ = 1e8) with a tight iteration cap ends in the dense solve; a user chain is followed in order', () => {
  const n = 30;
  const Q = randomOrthogonal(n, Rng.fromSeed(10));
  const H = matrix(n, n);
  const ev = Array.from({ length: n }, (_, i) => Math.pow(1e8, i / (n - 1) - 1));
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) H.data[i * n + j] += Q.data[i * n + k] * ev[k] * Q.data[j * n + k];
  const cond = gradientCondition({ dimZ: n, dimX: n, hvp: (v, out) => gemv(1, H, v, 0, out), cross: (u, out) => out.set(u) });
  const w = Rng.fromSeed(11).normals(new Float64Array(n));
  const res = implicitVjp(cond, w, { tol: 1e-6, maxIter: 10 });
  assert.deepEqual(res.diagnostics.attempts.map((a) => a.solver), ['cg', 'gmres', 'dense']);
  assert.equal(res.diagnostics.solver, 'dense');
  assert.ok(res.diagnostics.converged && res.diagnostics.fellBack);
  const chain = implicitVjp(cond, w, { tol: 1e-6, maxIter: 10, fallback: ['bicgstab', { solver: 'cg', ridge: 1e-3 }] });
  assert.deepEqual(chain.diagnostics.attempts.map((a) => `${a.solver}@${a.ridge}`), ['cg@0', 'bicgstab@0', 'cg@0.001'].slice(0, chain.diagnostics.attempts.length));
  // above denseMaxDim the dense step is skipped
  const big = implicitVjp(cond, w, { tol: 1e-6, maxIter: 10, denseMaxDim: 10 });
  assert.ok(!big.diagnostics.attempts.some((a) => a.solver === 'dense'));
});

test('fallback: BiCGSTAB breaks down on [[0, 1], [1, 0]] (reason breakdown) and GMRES solves it', () => {
  const cond = fixedPointCondition({ dimZ: 2, dimX: 1, vjpZ: (u, out) => out.set([u[0] - u[1], u[1] - u[0]]), vjpX: (u, out) => out.set([u[0]]) });
  // ∂_zFᵀ = I − ∂_zTᵀ = [[0, 1], [1, 0]]
  const res = implicitVjp(cond, Float64Array.of(1, 0), { solver: 'bicgstab' });
  assert.equal(res.diagnostics.attempts[0].reason, 'breakdown');
  assert.equal(res.diagnostics.solver, 'gmres');
  assert.deepEqual(Array.from(res.u), [0, 1]);
  assert.equal(res.xBar[0], 0); // x̄ = −∂_xFᵀu = ∂_xTᵀu = u₀
});

test('implicitVjp: a warm start at the solution costs no iteration; a preconditioner from L-BFGS pairs cuts CG iterations', () => {
  const r = ridgeRegression(60, 30, 12, -4);
  const cond = gradientCondition({ dimZ: 30, dimX: 30, hvp: r.hvp, cross: r.cross });
  const w = Rng.fromSeed(13).normals(new Float64Array(30));
  const first = solveAdjoint(cond, w, { tol: 1e-10 });
  const again = solveAdjoint(cond, w, { tol: 1e-8, init: first.u });
  assert.equal(again.diagnostics.iterations, 0);
  const { vectors } = symEig(matrix(30, 30, Float64Array.from(r.H.data)));
  const pairs: CurvaturePair[] = Array.from({ length: 15 }, (_, k) => {
    const s = Float64Array.from({ length: 30 }, (_, i) => vectors.data[i * 30 + 29 - k]);
    const y = new Float64Array(30);
    r.hvp(s, y);
    return { s, y, rho: 1 / s.reduce((acc, v, i) => acc + v * y[i], 0) };
  });
  const pre = solveAdjoint(cond, w, { tol: 1e-10, precond: lbfgsPreconditioner({ pairs, h0: 1 }) });
  assert.ok(pre.diagnostics.converged);
  assert.ok(pre.diagnostics.iterations < first.diagnostics.iterations, `${pre.diagnostics.iterations} vs ${first.diagnostics.iterations}`);
});

test('implicitVjp: options and shapes are checked up front, naming the function, the field, the value and the expectation', () => {
  const r = ridgeRegression(10, 4, 1);
  const cond = gradientCondition({ dimZ: 4, dimX: 4, hvp: r.hvp, cross: r.cross });
  const w = new Float64Array(4);
  assert.throws(() => implicitVjp(cond, new Float64Array(3)), /implicitVjp: the cotangent w has length 3, expected dimZ = 4 of the gradient condition/);
  assert.throws(() => implicitVjp(cond, w, { solver: 'minres' as never }), /implicitVjp: solver must be one of cg, normal-cg, gmres, bicgstab, neumann, lbfgs-pairs, dense, received minres/);
  assert.throws(() => implicitVjp(cond, w, { solver: 'lbfgs-pairs' }), /implicitVjp: solver lbfgs-pairs needs the option pairs/);
  assert.throws(() => implicitVjp(cond, w, { tol: 0 }), /implicitVjp: tol and atol are both 0/);
  assert.throws(() => implicitVjp(cond, w, { ridge: -1 }), /implicitVjp: ridge must be a finite number ≥ 0, received -1/);
  assert.throws(() => implicitVjp(cond, w, { fallback: ['gmres', { solver: 'dense', ridge: NaN }] }), /implicitVjp: fallback\[1\].ridge must be a finite number ≥ 0, received NaN/);
  assert.throws(() => implicitVjp(cond, w, { init: new Float64Array(2) }), /implicitVjp: init must be a Float64Array of length dimZ = 4, received length 2/);
  assert.throws(() => implicitVjp(cond, w, { tolerance: 1 } as never), /implicitVjp: unknown option "tolerance"/);
  const fp = fixedPointCondition({ dimZ: 2, dimX: 1, vjpZ: (u, out) => out.set(u), vjpX: (u, out) => out.set([u[0]]) });
  assert.throws(() => implicitVjp(fp, new Float64Array(2), { solver: 'normal-cg' }), /implicitVjp: solver normal-cg needs jvpZ/);
  assert.throws(() => implicitVjp(cond, w, { solver: 'dense', denseMaxDim: 2 }), /implicitVjp: solver dense needs dimZ ≤ denseMaxDim = 2, received dimZ 4/);
  assert.throws(() => gradientCondition({ dimZ: 0, dimX: 1, hvp: r.hvp, cross: r.cross }), /gradientCondition: dimZ must be a positive integer, received 0/);
  assert.throws(() => kktCondition({ dimZ: 2, dimX: 1, hvp: r.hvp, cross: r.cross, inequality: { dim: 1, value: Float64Array.of(0), multipliers: Float64Array.of(-1), jvpZ: r.hvp, vjpZ: r.hvp, vjpX: r.hvp } }), /kktCondition: inequality.multipliers\[0\] must be ≥ 0, received -1/);
});
