import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dot, gemm, gemv, matrix, nrm2, randomOrthogonal, Rng } from '@bilevel/linalg';
import type { CurvaturePair } from './lbfgs-inverse';
import { lbfgsInverse } from './lbfgs-inverse';

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
