// Restarted GMRES: the solver contract on random non-symmetric systems, exactness in n steps, stagnation of GMRES(m)
// on the cyclic shift reported as a stall, breakdown on a singular system.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gmres } from './gmres';
import { matrix } from './matrix';
import { Rng } from './rng';
import { cyclicShift, denseSolve, logSpaced, mv, nonSymmetricSystem, relError, residual, withSingularValues } from './fixtures/linear-systems';
import { solverContract } from './fixtures/solver-contract';

solverContract({
  name: 'gmres',
  solve: (A, b, x, o) => gmres(mv(A), b, x, o),
  systems: nonSymmetricSystem(24, 100),
  kappa: 100,
  rtol: 1e-10,
  preconditioned: true,
});

test('gmres without restart (m = n) solves an n × n system in at most n Arnoldi steps (+ n + 1 products in all)', () => {
  const rng = Rng.fromSeed(8);
  const n = 15;
  const A = withSingularValues(logSpaced(n, 1e3), rng);
  const b = rng.normals(new Float64Array(n));
  const x = new Float64Array(n);
  const res = gmres(mv(A), b, x, { restart: n, rtol: 1e-9 });
  assert.ok(res.converged && res.iterations <= n, JSON.stringify(res));
  assert.ok(relError(x, denseSolve(A, b)) < 1e-9 * 1e3 * 10);
});

test('gmres(m < n) stagnates on the cyclic shift (no progress in any cycle): reported as stalled; m = n solves it', () => {
  const n = 12;
  const S = cyclicShift(n);
  const b = new Float64Array(n);
  b[0] = 1;
  const res = gmres(mv(S), b, new Float64Array(n), { restart: 4, maxIter: 1000, stallWindow: 20 });
  assert.equal(res.reason, 'stalled');
  assert.equal(res.stalled, true);
  assert.ok(Math.abs(res.residualNorm - 1) < 1e-12, `residual ${res.residualNorm}`); // exactly no progress
  assert.ok(res.iterations < 1000);
  const x = new Float64Array(n);
  const full = gmres(mv(S), b, x, { restart: n, rtol: 1e-12 });
  assert.ok(full.converged && residual(S, x, b) < 1e-12);
});

test('gmres on a singular system whose Krylov space is invariant without containing b: breakdown, as data', () => {
  // A = diag(1, 0): K(A, b) for b = (1, 1) is span{(1, 1), (1, 0)} = ℝ², but A maps it onto span(e₁): no solution
  const A = matrix(2, 2, Float64Array.of(1, 0, 0, 0));
  const res = gmres(mv(A), Float64Array.of(1, 1), new Float64Array(2), { rtol: 1e-12 });
  assert.equal(res.converged, false);
  assert.ok(res.stalled, JSON.stringify(res));
  assert.ok(res.reason === 'breakdown' || res.reason === 'stalled', res.reason);
  assert.ok(Math.abs(res.residualNorm - 1) < 1e-12, `${res.residualNorm}`); // least-squares residual: the e₂ part of b
});

test('gmres: restart is checked', () => {
  const A = matrix(1, 1, Float64Array.of(1));
  assert.throws(() => gmres(mv(A), Float64Array.of(1), new Float64Array(1), { restart: 0 }), /gmres: restart must be a positive integer, received 0/);
});
