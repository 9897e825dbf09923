// The linear solvers by name: each solves the systems it is registered for, reports as data, refuses the options
// that do not apply to it; the new Krylov wrappers count their products and pass ridge and preconditioner through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, gemv, luFactor, luSolve, matrix, nrm2, randomOrthogonal, Rng } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';
import type { LinearSolverName } from './linear-solvers';
import { LINEAR_SOLVERS, createLinearSolver } from './linear-solvers';

/** U·diag(σ)·Vᵀ (V = U: SPD with eigenvalues σ). */
function build(sigma: number[], rng: Rng, symmetric: boolean): Matrix {
  const n = sigma.length;
  const U = randomOrthogonal(n, rng);
  const V = symmetric ? U : randomOrthogonal(n, rng);
  const US = matrix(n, n, Float64Array.from(U.data, (u, k) => u * sigma[k % n]));
  const A = matrix(n, n);
  gemm(1, US, V, 0, A, false, true);
  return A;
}
const n = 20;
const sigma = Array.from({ length: n }, (_, i) => Math.pow(10, (2 * i) / (n - 1) - 2)); // [0.01, 1]
const rng = Rng.fromSeed(7);
const spd = build(sigma, rng, true);
const general = build(sigma, rng, false);
const b = rng.normals(new Float64Array(n));
const mv = (A: Matrix) => (p: Float64Array, out: Float64Array) => gemv(1, A, p, 0, out);
const rmv = (A: Matrix) => (p: Float64Array, out: Float64Array) => gemv(1, A, p, 0, out, true);
const exact = (A: Matrix, rhs: Float64Array) => luSolve(luFactor(A), Float64Array.from(rhs));
const relErr = (x: Float64Array, y: Float64Array) => nrm2(Float64Array.from(x, (v, i) => v - y[i])) / nrm2(y);
/** κ = 100 and rtol 1e-10: forward error ≤ κ·rtol, with slack 10 for rounding. */
const KRYLOV_ERROR = 100 * 1e-10 * 10;

test('every named solver solves an SPD system (κ = 100): Krylov to rtol, Neumann and Richardson to their contraction', () => {
  const ref = exact(spd, b);
  const specs: Record<LinearSolverName, object> = {
    cg: { rtol: 1e-10 },
    'normal-cg': { rtol: 1e-10, maxIter: 2000 },
    gmres: { rtol: 1e-10 },
    bicgstab: { rtol: 1e-10, maxIter: 2000 },
    // η = 1 = 1/L: error (1 − 0.01)^{N+1}; 3000 terms give e^{-30}
    neumann: { eta: 1, maxIter: 3000 },
    richardson: { eta: 1, maxIter: 3000 },
  };
  for (const name of Object.keys(LINEAR_SOLVERS) as LinearSolverName[]) {
    const x = new Float64Array(n);
    const info = createLinearSolver(name, specs[name]).solve(mv(spd), b, x);
    assert.ok(relErr(x, ref) <= KRYLOV_ERROR, `${name}: ${relErr(x, ref)} ${JSON.stringify(info)}`);
    assert.ok(info.matvecs > 0);
    if (LINEAR_SOLVERS[name].fixedOperator) assert.equal(info.converged, true, name);
  }
});

test('the general-purpose solvers solve a non-symmetric system (κ = 100); normal-cg reads rmatvec', () => {
  const ref = exact(general, b);
  for (const name of ['gmres', 'bicgstab', 'normal-cg'] as const) {
    assert.equal(LINEAR_SOLVERS[name].systems, 'general');
    const x = new Float64Array(n);
    const info = createLinearSolver(name, { rtol: 1e-10, maxIter: 5000 }).solve(mv(general), b, x, rmv(general));
    assert.ok(info.converged && relErr(x, ref) <= KRYLOV_ERROR, `${name}: ${relErr(x, ref)} ${JSON.stringify(info)}`);
  }
  // without rmatvec, normal-cg takes A as symmetric: on this A it solves another system
  const x = new Float64Array(n);
  createLinearSolver('normal-cg', { rtol: 1e-10, maxIter: 5000 }).solve(mv(general), b, x);
  assert.ok(relErr(x, ref) > 1e-3);
});

test('the Krylov wrappers count their products: cg as before, gmres and bicgstab as linalg reports them', () => {
  let calls = 0;
  const counted = (p: Float64Array, out: Float64Array) => {
    calls++;
    gemv(1, general, p, 0, out);
  };
  for (const name of ['gmres', 'bicgstab'] as const) {
    calls = 0;
    const info = createLinearSolver(name, { rtol: 1e-8, maxIter: 5000 }).solve(counted, b, new Float64Array(n));
    assert.equal(info.matvecs, calls, name);
  }
});

test('ridge and preconditioner pass through the named solvers: (A + λI)x = b; the exact inverse preconditions CG to one step', () => {
  const ridge = 0.5;
  const shifted = matrix(n, n, Float64Array.from(spd.data));
  for (let i = 0; i < n; i++) shifted.data[i * n + i] += ridge;
  const ref = exact(shifted, b);
  for (const name of ['cg', 'normal-cg', 'gmres', 'bicgstab'] as const) {
    const x = new Float64Array(n);
    createLinearSolver(name, { rtol: 1e-12, ridge, maxIter: 1000 }).solve(mv(spd), b, x);
    assert.ok(relErr(x, ref) < 1e-10, `${name}: ${relErr(x, ref)}`);
  }
  const x = new Float64Array(n);
  const info = createLinearSolver('cg', { rtol: 1e-9, precond: (r, out) => out.set(exact(spd, r)) }).solve(mv(spd), b, x);
  assert.equal(info.iterations, 1);
  assert.deepEqual(createLinearSolver('cg', { precond: () => {} }).options, { rtol: 1e-10, atol: 0, precond: true });
});

test('a breakdown is data: cg on an indefinite system says stalled, reason indefinite', () => {
  const A = matrix(2, 2, Float64Array.of(1, 0, 0, -1));
  const info = createLinearSolver('cg').solve(mv(A), Float64Array.of(1, 1), new Float64Array(2));
  assert.equal(info.stalled, true);
  assert.equal(info.reason, 'indefinite');
  assert.equal(info.converged, false);
});

test('createLinearSolver: an unknown name or an option that does not apply is a RangeError naming both', () => {
  assert.throws(() => createLinearSolver('minres'), /createLinearSolver: unknown linear solver "minres"; expected one of cg, normal-cg, gmres, bicgstab, neumann, richardson/);
  assert.throws(() => createLinearSolver('cg', { restart: 5 }), /createLinearSolver: option "restart" does not apply to cg/);
  assert.throws(() => createLinearSolver('richardson', { ridge: 1 }), /option "ridge" does not apply to richardson/);
  assert.throws(() => createLinearSolver('gmres', { restart: 0 }), /gmresSolver: restart must be a positive integer, received 0/);
  assert.throws(() => createLinearSolver('bicgstab', { rtol: 0, atol: 0 }), /bicgstabSolver: rtol and atol are both 0/);
  assert.deepEqual(createLinearSolver('neumann', { maxIter: 7, eta: 0.2 }).options, { terms: 7, eta: 0.2 });
  assert.deepEqual(createLinearSolver('richardson', { maxIter: 7, eta: 0.2 }).options, { steps: 7, step: 0.2 });
  assert.deepEqual(createLinearSolver('gmres').options, { rtol: 1e-10, atol: 0, restart: 30 });
});
