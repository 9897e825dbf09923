// BiCGSTAB: the solver contract on random non-symmetric systems with a positive-definite symmetric part, the
// classic breakdown on a symmetric indefinite matrix, reported as data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bicgstab } from './bicgstab';
import { gmres } from './gmres';
import { matrix } from './matrix';
import { mv, positiveRealSystem } from './fixtures/linear-systems';
import { solverContract } from './fixtures/solver-contract';

solverContract({
  name: 'bicgstab',
  solve: (A, b, x, o) => bicgstab(mv(A), b, x, o),
  // I + S + N: the symmetric part has eigenvalues in [1.1, 2], ‖N‖ ≈ 1; κ(A) ≤ ~10
  systems: positiveRealSystem(24),
  kappa: 10,
  rtol: 1e-10,
  preconditioned: true,
});

test('bicgstab breaks down on [[0, 1], [1, 0]]x = e₁ (r̂ᵀAp = 0 at the first step): reason breakdown; GMRES solves it', () => {
  const A = matrix(2, 2, Float64Array.of(0, 1, 1, 0));
  const b = Float64Array.of(1, 0);
  const res = bicgstab(mv(A), b, new Float64Array(2), { rtol: 1e-12 });
  assert.equal(res.reason, 'breakdown');
  assert.equal(res.stalled, true);
  assert.equal(res.converged, false);
  assert.equal(res.iterations, 0);
  const x = new Float64Array(2);
  assert.ok(gmres(mv(A), b, x, { rtol: 1e-12 }).converged);
  assert.deepEqual(Array.from(x), [0, 1]);
});

test('bicgstab: breakdownTol is checked', () => {
  const A = matrix(1, 1, Float64Array.of(1));
  assert.throws(() => bicgstab(mv(A), Float64Array.of(1), new Float64Array(1), { breakdownTol: -1 }), /bicgstab: breakdownTol must be a finite number ≥ 0, received -1/);
});
