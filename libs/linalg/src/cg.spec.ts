// Conjugate gradient: the solver contract on random SPD systems, preconditioning, ridge, curvature and stall reports,
// and the plain method kept to the bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conjugateGradient } from './cg';
import { dot } from './dot';
import { nrm2 } from './nrm2';
import { matrix } from './matrix';
import { Rng } from './rng';
import { denseSolve, logSpaced, mv, relError, spdSystem, withSpectrum } from './fixtures/linear-systems';
import { solverContract } from './fixtures/solver-contract';

solverContract({
  name: 'conjugateGradient',
  solve: (A, b, x, o) => conjugateGradient(mv(A), b, x, o),
  systems: spdSystem(24, 100),
  kappa: 100,
  rtol: 1e-10,
  preconditioned: true,
});

/** The method as written before preconditioning, ridge and stall reports existed (reference for the bit test). */
function cgBefore(matvec: (p: Float64Array, out: Float64Array) => void, b: Float64Array, x: Float64Array, rtol: number, maxIter: number) {
  const n = b.length;
  const r = new Float64Array(n);
  const p = new Float64Array(n);
  const ap = new Float64Array(n);
  matvec(x, ap);
  for (let i = 0; i < n; i++) r[i] = b[i] - ap[i];
  const target = rtol * nrm2(b);
  let rr = dot(r, r);
  p.set(r);
  let it = 0;
  while (Math.sqrt(rr) > target && it < maxIter) {
    matvec(p, ap);
    const pap = dot(p, ap);
    if (!(pap > 0)) break;
    const alpha = rr / pap;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * ap[i];
    }
    const rrNew = dot(r, r);
    const beta = rrNew / rr;
    rr = rrNew;
    for (let i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
    it++;
  }
  return { iterations: it, residualNorm: Math.sqrt(rr) };
}

test('conjugateGradient without preconditioner and ridge takes the same steps as before, to the bit (cap reached or not)', () => {
  const rng = Rng.fromSeed(21);
  for (const [kappa, maxIter] of [[1e2, 400], [1e6, 15], [1e6, 400]] as const) {
    const A = withSpectrum(logSpaced(40, kappa), rng);
    const b = rng.normals(new Float64Array(40));
    const x0 = rng.normals(new Float64Array(40));
    const x = Float64Array.from(x0);
    const y = Float64Array.from(x0);
    const now = conjugateGradient(mv(A), b, x, { rtol: 1e-12, maxIter });
    const before = cgBefore(mv(A), b, y, 1e-12, maxIter);
    assert.ok(x.every((v, i) => Object.is(v, y[i])), `κ = ${kappa}, cap ${maxIter}`);
    assert.equal(now.iterations, before.iterations);
    assert.ok(Object.is(now.residualNorm, before.residualNorm));
  }
});

test('conjugateGradient with the exact inverse as preconditioner converges in one iteration', () => {
  const rng = Rng.fromSeed(2);
  const A = withSpectrum(logSpaced(12, 1e5), rng);
  const b = rng.normals(new Float64Array(12));
  const exact = (r: Float64Array, out: Float64Array) => out.set(denseSolve(A, r));
  const x = new Float64Array(12);
  const res = conjugateGradient(mv(A), b, x, { rtol: 1e-9, precond: exact });
  assert.equal(res.iterations, 1);
  assert.ok(res.converged);
  assert.ok(relError(x, denseSolve(A, b)) < 1e-9 * 1e5);
});

test('conjugateGradient: an indefinite matrix ends as data (reason indefinite, stalled), a ridge makes it definite', () => {
  const A = matrix(3, 3, Float64Array.of(2, 0, 0, 0, 1, 0, 0, 0, -0.5));
  const b = Float64Array.of(1, 1, 1);
  const res = conjugateGradient(mv(A), b, new Float64Array(3), { rtol: 1e-12 });
  assert.equal(res.converged, false);
  assert.equal(res.reason, 'indefinite');
  assert.equal(res.stalled, true);
  const x = new Float64Array(3);
  const ridged = conjugateGradient(mv(A), b, x, { rtol: 1e-12, ridge: 1 });
  assert.ok(ridged.converged);
  // (A + I)⁻¹b = (1/3, 1/2, 2)
  [1 / 3, 1 / 2, 2].forEach((v, i) => assert.ok(Math.abs(x[i] - v) < 1e-12));
});

test('conjugateGradient: on a 2×2 indefinite system it stops at the first direction of non-positive curvature and keeps the iterate before it (truncated CG)', () => {
  const A = matrix(2, 2, Float64Array.of(1, 0, 0, -1));
  // b = (1, 1): bᵀAb = 0 at the first direction, where plain CG divides by zero; x stays the warm start
  const x0 = new Float64Array(2);
  const first = conjugateGradient(mv(A), Float64Array.of(1, 1), x0, { rtol: 1e-12 });
  assert.equal(first.reason, 'indefinite');
  assert.equal(first.iterations, 0);
  assert.deepEqual([...x0], [0, 0]);
  // b = (1, 1/2): p₀ = b has curvature 3/4 > 0, so x₁ = (5/4)/(3/4)·b = (5/3, 5/6); p₁ = (10/9, 20/9) has
  // curvature (100 − 400)/81 < 0: CG stops there and keeps x₁ (not the saddle A⁻¹b = (1, −1/2) a second step reaches)
  const x = new Float64Array(2);
  const second = conjugateGradient(mv(A), Float64Array.of(1, 0.5), x, { rtol: 1e-12 });
  assert.equal(second.reason, 'indefinite');
  assert.equal(second.iterations, 1);
  assert.equal(second.converged, false);
  [5 / 3, 5 / 6].forEach((v, i) => assert.ok(Math.abs(x[i] - v) < 1e-14, `x[${i}] = ${x[i]}`));
});

test('conjugateGradient: a slow solve stops as stalled under a demanding stall test (100× every 3 steps); off by default, it converges', () => {
  const rng = Rng.fromSeed(4);
  const A = withSpectrum(logSpaced(100, 1e6), rng);
  const b = rng.normals(new Float64Array(100));
  const stalled = conjugateGradient(mv(A), b, new Float64Array(100), { rtol: 1e-10, maxIter: 2000, stallWindow: 3, stallFactor: 0.01 });
  assert.equal(stalled.reason, 'stalled');
  assert.equal(stalled.stalled, true);
  assert.equal(stalled.converged, false);
  const plain = conjugateGradient(mv(A), b, new Float64Array(100), { rtol: 1e-10, maxIter: 2000 });
  assert.equal(plain.reason, 'converged');
  assert.ok(plain.iterations > stalled.iterations);
});

test('conjugateGradient: a NaN from the operator is reported as non-finite', () => {
  const res = conjugateGradient((p, out) => out.fill(NaN), Float64Array.of(1, 2), new Float64Array(2));
  assert.equal(res.reason, 'non-finite');
  assert.equal(res.converged, false);
});
