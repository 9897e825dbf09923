// The quadratic family: the average inner Hessian has the prescribed spectrum, the closed form solves the
// bilevel problem (∇h(x*) = 0, h(x*) ≤ h nearby), and every oracle agrees with finite differences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, matrix, nrm2, symEig } from '@bilevel/linalg';
import { quadraticProblem } from './quadratic';

const small = { dimZ: 8, dimX: 4, nInner: 32, nOuter: 24, mu: 0.05, L: 2, LCross: 0.5, seed: 3 };

test('the average inner Hessian has eigenvalues geometrically spaced in [μ, L], to rounding', () => {
  const p = quadraticProblem(small);
  const H = matrix(8, 8);
  const e = new Float64Array(8);
  const col = new Float64Array(8);
  for (let k = 0; k < 8; k++) {
    e.fill(0);
    e[k] = 1;
    p.innerHvp(e, e, e, p.fullInner, col);
    for (let i = 0; i < 8; i++) H.data[i * 8 + k] = col[i];
  }
  const { values } = symEig(H);
  for (let k = 0; k < 8; k++) {
    const expected = 0.05 * Math.pow(2 / 0.05, k / 7);
    assert.ok(Math.abs(values[k] - expected) < 1e-12, `${values[k]} vs ${expected}`);
  }
});

test('closed-form x* is stationary and minimal, and ∇h matches differences of h', () => {
  const p = quadraticProblem(small);
  const { x, value } = p.solution();
  assert.ok(nrm2(p.hypergradient(x).grad) < 1e-10);
  const rng = Rng.fromSeed(9);
  for (let t = 0; t < 5; t++) {
    const d = rng.normals(new Float64Array(4));
    const xp = Float64Array.from(x, (xi, i) => xi + 0.1 * d[i]);
    assert.ok(p.hypergradient(xp).value > value, 'h(x* + δ) > h*');
    const hg = p.hypergradient(xp);
    const eps = 1e-5;
    const fd = (p.hypergradient(Float64Array.from(xp, (xi, i) => xi + eps * d[i])).value - p.hypergradient(Float64Array.from(xp, (xi, i) => xi - eps * d[i])).value) / (2 * eps);
    let dir = 0;
    for (let i = 0; i < 4; i++) dir += hg.grad[i] * d[i];
    // h is quadratic: the central difference is exact up to round-off (~1e-16/1e-5)
    assert.ok(Math.abs(fd - dir) < 1e-8 * Math.max(1, Math.abs(dir)), `${fd} vs ${dir}`);
  }
});

test('oracles agree with finite differences on a minibatch', () => {
  const p = quadraticProblem(small);
  const rng = Rng.fromSeed(2);
  const batch = Int32Array.from([1, 4, 9, 30]);
  const ob = Int32Array.from([0, 7, 23]);
  const z = rng.normals(new Float64Array(8));
  const x = rng.normals(new Float64Array(4));
  const v = rng.normals(new Float64Array(8));
  const eps = 1e-6;
  const fdDir = (f: (s: number) => number) => (f(eps) - f(-eps)) / (2 * eps);
  const u = rng.normals(new Float64Array(8));
  const w = rng.normals(new Float64Array(4));
  const dotp = (a: Float64Array, b: Float64Array) => a.reduce((s, ai, i) => s + ai * b[i], 0);
  const shift = (a: Float64Array, d: Float64Array, s: number) => Float64Array.from(a, (ai, i) => ai + s * d[i]);
  const g = new Float64Array(8);
  p.innerGradZ(z, x, batch, g);
  assert.ok(Math.abs(dotp(g, u) - fdDir((s) => p.innerValue(shift(z, u, s), x, batch))) < 1e-7);
  const hv = new Float64Array(8);
  p.innerHvp(z, x, v, batch, hv);
  const tmp = new Float64Array(8);
  assert.ok(Math.abs(dotp(hv, u) - fdDir((s) => (p.innerGradZ(shift(z, v, s), x, batch, tmp), dotp(tmp, u)))) < 1e-7);
  const cv = new Float64Array(4);
  p.innerCross(z, x, v, batch, cv);
  assert.ok(Math.abs(dotp(cv, w) - fdDir((s) => (p.innerGradZ(z, shift(x, w, s), batch, tmp), dotp(tmp, v)))) < 1e-7);
  const fz = new Float64Array(8);
  p.outerGradZ(z, x, ob, fz);
  assert.ok(Math.abs(dotp(fz, u) - fdDir((s) => p.outerValue(shift(z, u, s), x, ob))) < 1e-7);
  const fx = new Float64Array(4);
  p.outerGradX(z, x, ob, fx);
  assert.ok(Math.abs(dotp(fx, w) - fdDir((s) => p.outerValue(z, shift(x, w, s), ob))) < 1e-7);
  // the optional oracles
  const gx = new Float64Array(4);
  p.innerGradX(z, x, batch, gx);
  assert.ok(Math.abs(dotp(gx, w) - fdDir((s) => p.innerValue(z, shift(x, w, s), batch))) < 1e-7);
  const fhv = new Float64Array(8);
  p.outerHvp(z, x, v, ob, fhv);
  assert.ok(Math.abs(dotp(fhv, u) - fdDir((s) => (p.outerGradZ(shift(z, v, s), x, ob, tmp), dotp(tmp, u)))) < 1e-7);
  const fcv = new Float64Array(4);
  p.outerCross(z, x, v, ob, fcv);
  assert.ok(Math.abs(dotp(fcv, w) - fdDir((s) => (p.outerGradZ(z, shift(x, w, s), ob, tmp), dotp(tmp, v)))) < 1e-7);
});

test('same seed, same problem; invalid sizes are refused', () => {
  assert.deepEqual(quadraticProblem(small).solution().x, quadraticProblem(small).solution().x);
  assert.throws(() => quadraticProblem({ dimZ: 10, nInner: 5 }), /nInner must be an integer ≥ dimZ/);
  assert.throws(() => quadraticProblem({ mu: 2, L: 1 }), /need 0 < mu ≤ L/);
});
