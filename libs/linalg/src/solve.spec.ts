// Cholesky and the Jacobi eigen-solver on matrices whose answers are known by construction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cholesky, choleskySolve } from './cholesky';
import { symEig } from './sym-eig';
import { gemm } from './gemm';
import { gemv } from './gemv';
import { matrix } from './matrix';
import { Rng } from './rng';
import { randomOrthogonal } from './random-orthogonal';

/** Q·diag(λ)·Qᵀ with Q random orthogonal: a symmetric matrix with known spectrum. */
function withSpectrum(lambda: number[], rng: Rng) {
  const n = lambda.length;
  const Q = randomOrthogonal(n, rng);
  const QL = matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) QL.data[i * n + j] = Q.data[i * n + j] * lambda[j];
  const A = matrix(n, n);
  gemm(1, QL, Q, 0, A, false, true);
  return A;
}

test('randomOrthogonal gives QᵀQ = I to rounding', () => {
  const Q = randomOrthogonal(12, Rng.fromSeed(3));
  const QtQ = matrix(12, 12);
  gemm(1, Q, Q, 0, QtQ, true, false);
  for (let i = 0; i < 12; i++) for (let j = 0; j < 12; j++) assert.ok(Math.abs(QtQ.data[i * 12 + j] - (i === j ? 1 : 0)) < 1e-14);
});

test('symEig recovers a prescribed spectrum', () => {
  const lambda = [0.1, 0.5, 1, 2, 7.5, 10];
  const { values, vectors } = symEig(withSpectrum(lambda, Rng.fromSeed(1)));
  lambda.forEach((l, i) => assert.ok(Math.abs(values[i] - l) < 1e-12 * 10, `${values[i]} vs ${l}`));
  const QtQ = matrix(6, 6);
  gemm(1, vectors, vectors, 0, QtQ, true, false);
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) assert.ok(Math.abs(QtQ.data[i * 6 + j] - (i === j ? 1 : 0)) < 1e-12);
});

test('cholesky solves an SPD system to near machine precision', () => {
  const A = withSpectrum([0.01, 0.3, 1, 4, 9, 20, 50], Rng.fromSeed(7));
  const xTrue = Rng.fromSeed(8).normals(new Float64Array(7));
  const b = new Float64Array(7);
  gemv(1, A, xTrue, 0, b);
  const L = cholesky(A, matrix(7, 7));
  const x = choleskySolve(L, Float64Array.from(b));
  // forward error ≤ κ(A)·u·‖x‖ with κ = 5000
  for (let i = 0; i < 7; i++) assert.ok(Math.abs(x[i] - xTrue[i]) < 5000 * 1e-15 * 10);
});

test('cholesky refuses an indefinite matrix and names the pivot', () => {
  assert.throws(() => cholesky(matrix(2, 2, Float64Array.from([1, 2, 2, 1]))), /not positive definite \(pivot 1/);
});
