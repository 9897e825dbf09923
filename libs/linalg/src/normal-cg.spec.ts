// CG on the normal equations (CGLS): the solver contract on random non-symmetric systems, least-squares solutions of
// inconsistent systems, the ridge on A (not on AᵀA).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalCg } from './normal-cg';
import { matrix } from './matrix';
import { mv, nonSymmetricSystem, rmv } from './fixtures/linear-systems';
import { solverContract } from './fixtures/solver-contract';

solverContract({
  name: 'normalCg',
  solve: (A, b, x, o) => normalCg(mv(A), rmv(A), b, x, o),
  // κ(AᵀA) = κ² = 400: CGLS's rate is set by κ(A)
  systems: nonSymmetricSystem(24, 20),
  kappa: 20,
  rtol: 1e-10,
  preconditioned: false,
  maxIter: (n) => 100 * n,
});

test('normalCg: on an inconsistent singular system it stops at the least-squares solution (reason least-squares)', () => {
  // A = [[1, 1], [0, 0]]: range = span(e₁), b = (2, 1) is outside; least-squares solutions x₁ + x₂ = 2, the one
  // reached from 0 is the minimum-norm (1, 1) (CGLS iterates stay in the range of Aᵀ)
  const A = matrix(2, 2, Float64Array.of(1, 1, 0, 0));
  const x = new Float64Array(2);
  const res = normalCg(mv(A), rmv(A), Float64Array.of(2, 1), x, { rtol: 1e-12 });
  assert.equal(res.reason, 'least-squares');
  assert.equal(res.converged, false);
  assert.equal(res.stalled, false);
  assert.ok(Math.abs(x[0] - 1) < 1e-12 && Math.abs(x[1] - 1) < 1e-12, `${x}`);
  assert.ok(Math.abs(res.residualNorm - 1) < 1e-12); // the part of b outside the range
});

test('normalCg: an indefinite symmetric system, where CG breaks down, is solved', () => {
  const A = matrix(3, 3, Float64Array.of(2, 1, 0, 1, -1, 0, 0, 0, -3));
  const b = Float64Array.of(1, 2, 3);
  const x = new Float64Array(3);
  const res = normalCg(mv(A), rmv(A), b, x, { rtol: 1e-12 });
  assert.ok(res.converged, JSON.stringify(res));
  // [[2, 1], [1, −1]]⁻¹(1, 2) = (1, −1); −3x₃ = 3
  [1, -1, -1].forEach((v, i) => assert.ok(Math.abs(x[i] - v) < 1e-10, `${x}`));
});

test('normalCg: rmatvec is required and lsqRtol is checked', () => {
  const A = matrix(1, 1, Float64Array.of(1));
  assert.throws(() => normalCg(mv(A), undefined as never, Float64Array.of(1), new Float64Array(1)), /normalCg: rmatvec/);
  assert.throws(() => normalCg(mv(A), rmv(A), Float64Array.of(1), new Float64Array(1), { lsqRtol: -1 }), /normalCg: lsqRtol must be a finite number ≥ 0, received -1/);
});
