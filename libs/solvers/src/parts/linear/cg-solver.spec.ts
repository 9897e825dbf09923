import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cholesky, choleskySolve, gemm, gemv, matrix, nrm2, randomOrthogonal, Rng } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';
import { cgSolver } from './cg-solver';
import { richardsonSolver } from './richardson-solver';

/** Q·diag(λ)·Qᵀ with a random orthogonal Q: an SPD matrix with exactly the eigenvalues λ. */
function spd(lambda: number[], rng: Rng): Matrix {
  const n = lambda.length;
  const Q = randomOrthogonal(n, rng);
  const QL = matrix(n, n, Float64Array.from(Q.data, (q, k) => q * lambda[k % n]));
  const A = matrix(n, n);
  gemm(1, QL, Q, 0, A, false, true);
  return A;
}
const mv = (A: Matrix) => (p: Float64Array, out: Float64Array) => gemv(1, A, p, 0, out);
const residual = (A: Matrix, x: Float64Array, b: Float64Array) => {
  const r = Float64Array.from(b);
  gemv(-1, A, x, 1, r);
  return nrm2(r);
};
const exact = (A: Matrix, b: Float64Array) => choleskySolve(cholesky(matrix(A.rows, A.cols, Float64Array.from(A.data))), Float64Array.from(b));

test('cgSolver: residual ≤ rtol·‖b‖ on random SPD systems (κ = 100), checked independently', () => {
  const rng = Rng.fromSeed(3);
  for (let trial = 0; trial < 5; trial++) {
    const n = 40;
    const A = spd(Array.from({ length: n }, (_, i) => 0.01 * Math.pow(100, i / (n - 1))), rng);
    const b = rng.normals(new Float64Array(n));
    const x = new Float64Array(n);
    const info = cgSolver({ rtol: 1e-10 }).solve(mv(A), b, x);
    assert.ok(info.converged);
    assert.ok(residual(A, x, b) <= 1e-10 * nrm2(b), `residual ${residual(A, x, b)}`);
    // ‖x − x*‖ ≤ ‖A⁻¹‖·‖r‖ = 100 · 1e-10 ‖b‖
    const xs = exact(A, b);
    assert.ok(nrm2(Float64Array.from(x, (v, i) => v - xs[i])) <= 100 * 1e-10 * nrm2(b));
    // one product per iteration plus one for the initial residual at the warm start
    assert.equal(info.matvecs, info.iterations + 1);
  }
});

test('cgSolver: at most k iterations when A has k distinct eigenvalues (Krylov property); Richardson needs far more', () => {
  const rng = Rng.fromSeed(4);
  const n = 30;
  const A = spd(Array.from({ length: n }, (_, i) => [1, 2, 5][i % 3]), rng);
  const b = rng.normals(new Float64Array(n));
  const info = cgSolver({ rtol: 1e-10 }).solve(mv(A), b, new Float64Array(n));
  assert.ok(info.converged && info.iterations <= 3, `CG took ${info.iterations} iterations`);
  // the same budget of products with gradient steps (step 1/L) is nowhere near: the property can fail
  const y = new Float64Array(n);
  richardsonSolver({ steps: 4, step: 0.2 }).solve(mv(A), b, y);
  assert.ok(residual(A, y, b) > 1e-3 * nrm2(b));
});

test('cgSolver: warm start at the solution takes 0 iterations; from a nearby point fewer than cold', () => {
  const rng = Rng.fromSeed(5);
  const n = 40;
  const A = spd(Array.from({ length: n }, (_, i) => 0.01 * Math.pow(100, i / (n - 1))), rng);
  const b = rng.normals(new Float64Array(n));
  const xs = exact(A, b);
  const atSolution = Float64Array.from(xs);
  assert.equal(cgSolver({ rtol: 1e-8 }).solve(mv(A), b, atSolution).iterations, 0);
  const near = Float64Array.from(xs, (v) => v * (1 + 1e-4));
  const warm = cgSolver({ rtol: 1e-10 }).solve(mv(A), b, near).iterations;
  const cold = cgSolver({ rtol: 1e-10 }).solve(mv(A), b, new Float64Array(n)).iterations;
  assert.ok(warm < cold, `warm ${warm} vs cold ${cold}`);
});

test('cgSolver: an iteration cap is reported as data, not thrown', () => {
  const rng = Rng.fromSeed(6);
  const n = 20;
  const A = spd(Array.from({ length: n }, (_, i) => 0.01 * Math.pow(100, i / (n - 1))), rng);
  const b = rng.normals(new Float64Array(n));
  const info = cgSolver({ rtol: 1e-12, maxIter: 2 }).solve(mv(A), b, new Float64Array(n));
  assert.equal(info.iterations, 2);
  assert.equal(info.converged, false);
  assert.ok(info.residualNorm! > 1e-12 * nrm2(b));
});

test('cgSolver: options are validated with function, field, value and expectation', () => {
  assert.throws(() => cgSolver({ rtol: -1 }), /cgSolver: rtol must be a finite number ≥ 0, received -1/);
  assert.throws(() => cgSolver({ maxIter: 1.5 }), /cgSolver: maxIter must be a positive integer, received 1.5/);
  assert.throws(() => cgSolver({ rtol: 0, atol: 0 }), /cgSolver: rtol and atol are both 0/);
  assert.throws(() => cgSolver({ tol: 1 } as never), /cgSolver: unknown option "tol"/);
  assert.deepEqual(cgSolver().options, { rtol: 1e-10, atol: 0 });
});
