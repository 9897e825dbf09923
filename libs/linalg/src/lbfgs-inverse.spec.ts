// The L-BFGS two-loop inverse: no pairs, the secant equation, the hereditary property, the ridge, and its use as a
// preconditioner of CG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conjugateGradient } from './cg';
import { dot } from './dot';
import { gemm } from './gemm';
import { gemv } from './gemv';
import { matrix } from './matrix';
import { nrm2 } from './nrm2';
import { randomOrthogonal } from './random-orthogonal';
import { Rng } from './rng';
import type { CurvaturePair } from './lbfgs-inverse';
import { lbfgsInverse, lbfgsPreconditioner } from './lbfgs-inverse';
import { denseSolve, mv, plusRidge, relError } from './fixtures/linear-systems';

const n = 8;
const rng = Rng.fromSeed(1);
const Q = randomOrthogonal(n, rng);
const lambda = Array.from({ length: n }, (_, i) => 0.1 + i);
const QL = matrix(n, n, Float64Array.from(Q.data, (q, k) => q * lambda[k % n]));
const A = matrix(n, n);
gemm(1, QL, Q, 0, A, false, true);
const pair = (s: Float64Array): CurvaturePair => {
  const y = new Float64Array(n);
  gemv(1, A, s, 0, y);
  return { s, y, rho: 1 / dot(s, y) };
};
const column = (j: number) => Float64Array.from({ length: n }, (_, i) => Q.data[i * n + j]);

test('lbfgsInverse: no pairs gives h0·q', () => {
  const q = rng.normals(new Float64Array(n));
  const out = lbfgsInverse({ pairs: [], h0: 0.5 }, q, new Float64Array(n));
  assert.deepEqual(Array.from(out), Array.from(q, (v) => 0.5 * v));
});

test('lbfgsInverse: the secant equation B⁻¹y = s holds for the newest pair; B⁻¹ is symmetric positive definite', () => {
  const pairs = Array.from({ length: 4 }, () => pair(rng.normals(new Float64Array(n))));
  const newest = pairs[pairs.length - 1];
  const out = lbfgsInverse({ pairs, h0: 1 }, newest.y, new Float64Array(n));
  assert.ok(nrm2(Float64Array.from(out, (v, i) => v - newest.s[i])) <= 1e-12 * nrm2(newest.s));
  for (let t = 0; t < 20; t++) {
    const u = rng.normals(new Float64Array(n));
    const w = rng.normals(new Float64Array(n));
    const bu = lbfgsInverse({ pairs, h0: 1 }, u, new Float64Array(n));
    const bw = lbfgsInverse({ pairs, h0: 1 }, w, new Float64Array(n));
    assert.ok(dot(u, bu) > 0);
    assert.ok(Math.abs(dot(w, bu) - dot(u, bw)) <= 1e-12 * nrm2(bu) * nrm2(w) * 10);
  }
});

test('lbfgsInverse: n A-conjugate pairs of a quadratic reproduce A⁻¹ exactly (hereditary property of BFGS)', () => {
  // eigenvectors are A-conjugate; with y = A s for each, the BFGS inverse after n pairs is A⁻¹ whatever h0 is
  const pairs = Array.from({ length: n }, (_, j) => pair(column(j)));
  const q = rng.normals(new Float64Array(n));
  const x = lbfgsInverse({ pairs, h0: 3 }, q, new Float64Array(n));
  const ax = new Float64Array(n);
  gemv(1, A, x, 0, ax);
  assert.ok(nrm2(Float64Array.from(ax, (v, i) => v - q[i])) <= 1e-12 * nrm2(q));
  // with one pair fewer, the missing eigendirection keeps h0: the property can fail
  const partial = lbfgsInverse({ pairs: pairs.slice(1), h0: 3 }, q, new Float64Array(n));
  gemv(1, A, partial, 0, ax);
  assert.ok(nrm2(Float64Array.from(ax, (v, i) => v - q[i])) > 1e-3 * nrm2(q));
});

test('lbfgsInverse with ridge λ: n conjugate pairs of A give (A + λI)⁻¹ exactly (the pairs (s, y + λs) of A + λI)', () => {
  const pairs = Array.from({ length: n }, (_, j) => pair(column(j)));
  const q = rng.normals(new Float64Array(n));
  for (const ridge of [0.01, 1, 10]) {
    const x = lbfgsInverse({ pairs, h0: 3 }, q, new Float64Array(n), ridge);
    assert.ok(relError(x, denseSolve(plusRidge(A, ridge), q)) <= 1e-12, `λ = ${ridge}`);
  }
});

test('lbfgsPreconditioner: CG preconditioned by the inverse from half the pairs needs fewer iterations than plain CG', () => {
  const m = 40;
  const r = Rng.fromSeed(9);
  const Qm = randomOrthogonal(m, r);
  const ev = Array.from({ length: m }, (_, i) => Math.pow(1e4, i / (m - 1)));
  const QLm = matrix(m, m, Float64Array.from(Qm.data, (v, k) => v * ev[k % m]));
  const Am = matrix(m, m);
  gemm(1, QLm, Qm, 0, Am, false, true);
  // pairs along the 20 stiffest eigenvectors: the preconditioned spectrum is the 20 softest eigenvalues
  const pairs: CurvaturePair[] = Array.from({ length: 20 }, (_, k) => {
    const s = Float64Array.from({ length: m }, (_, i) => Qm.data[i * m + (m - 1 - k)]);
    const y = new Float64Array(m);
    gemv(1, Am, s, 0, y);
    return { s, y, rho: 1 / dot(s, y) };
  });
  const b = r.normals(new Float64Array(m));
  const plain = conjugateGradient(mv(Am), b, new Float64Array(m), { rtol: 1e-10 });
  const x = new Float64Array(m);
  const pre = conjugateGradient(mv(Am), b, x, { rtol: 1e-10, precond: lbfgsPreconditioner({ pairs, h0: 1 }) });
  assert.ok(plain.converged && pre.converged);
  assert.ok(pre.iterations < plain.iterations, `${pre.iterations} vs ${plain.iterations}`);
  assert.ok(relError(x, denseSolve(Am, b)) < 1e-10 * 1e4 * 10);
});
