// sl-BAMM on the merely convex toy of its repository (algorithms.md A1 (e)): the lower level has a family of
// minimizers {z₁ = x, z₂ free}; the averaged steps select z₂ = x (best for F) and reach x* = 1, plain G steps stall.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, Rng } from '@bilevel/linalg';
import { finiteDifferenceAudit } from '@bilevel/verify';
import { slBamm } from '@bilevel/solvers';
import { runLoop } from '@bilevel/streams';
import { averagedToy } from './averaged-toy';

const n = 10;
const toy = averagedToy(n);
/** The repository's start: x₀ = z₀ = 0.01·1 (strategy3.py `x0, y0 = 0.01`). */
const start = { x0: new Float64Array(n).fill(0.01), z0: new Float64Array(2 * n).fill(0.01) };
const err = (x: Float64Array) => nrm2(x.map((e) => e - 1)) / Math.sqrt(n);

test('the toy problem: oracles agree with finite differences, the optional ones included', () => {
  assert.ok(finiteDifferenceAudit(toy, { seed: 3 }).ok);
  // outerHvp and outerCross are not in the audit: F is quadratic, so central differences of ∇_zF are exact
  const rng = Rng.fromSeed(4);
  const [z, v, u] = [0, 1, 2].map(() => rng.normals(new Float64Array(2 * n)));
  const [x, w] = [0, 1].map(() => rng.normals(new Float64Array(n)));
  const gz = (zz: Float64Array, xx: Float64Array) => {
    const out = new Float64Array(2 * n);
    toy.outerGradZ(zz, xx, toy.fullOuter, out);
    return out;
  };
  const shift = (a: Float64Array, d: Float64Array, s: number) => a.map((e, i) => e + s * d[i]);
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, e, i) => s + e * b[i], 0);
  const hvp = new Float64Array(2 * n);
  toy.outerHvp!(z, x, u, toy.fullOuter, hvp);
  const fdHvp = gz(shift(z, u, 1), x).map((e, i) => (e - gz(shift(z, u, -1), x)[i]) / 2);
  assert.ok(nrm2(hvp.map((e, i) => e - fdHvp[i])) < 1e-12 * nrm2(hvp));
  const cross = new Float64Array(n);
  toy.outerCross!(z, x, v, toy.fullOuter, cross);
  const fdCross = (dot(gz(z, shift(x, w, 1)), v) - dot(gz(z, shift(x, w, -1)), v)) / 2;
  assert.ok(Math.abs(dot(cross, w) - fdCross) < 1e-12 * Math.abs(fdCross));
});

test('A1 T1: s3 defaults reach ‖x − 1‖/‖1‖ < 1e-3 in 5000 iterations, and z → (1, 1), the selected minimizer', () => {
  // Measured: 5.5e-5 (x), 3.5e-5 (z₁), 5.8e-5 (z₂); 1e-2 at 2000 iterations. The box's sim: 6e-5.
  const last = runLoop(toy, slBamm(), { ...start, maxIter: 5000 });
  assert.ok(err(last.x) < 1e-3, `x: ${err(last.x)}`);
  assert.ok(err(last.z.subarray(0, n)) < 1e-3 && err(last.z.subarray(n)) < 1e-3, 'z');
  // one full-batch pass per oracle: inner ∇_zF, ∇_zG; linsys 2 HVPs of F and of G, ∇_zF; outer ∇_xF and both crosses
  const c = last.counts;
  assert.deepEqual([c.inner.outerGradZ, c.inner.innerGrad, c.linsys.hvp, c.linsys.outerHvp, c.linsys.outerGradZ], [5000, 5000, 10000, 10000, 5000]);
  assert.deepEqual([c.outer.outerGradX, c.outer.outerCross, c.outer.cross], [5000, 5000, 5000]);
  assert.equal(last.diagnostics.linsys?.exactStep, 1);
});

test('A1 T2: without the averaging (φ = G) it stalls at x = (1 + z₂⁰)/2, err > 0.3', () => {
  // With φ = G, z₂ never moves (∇_{z₂}G = 0) and the x-direction is x − z₂⁰ + (z₁ − 1) at v₁ = 1 − z₁, z₁ = x: zero at
  // x = (1 + z₂⁰)/2 = 0.505, err 0.495 (measured 0.495 at 20000 iterations, every x_i within 3e-15 of 0.505). The scheduled
  // v step is used: with ∇²G singular the exact step ‖r‖²/rᵀ∇²G r is unbounded (measured: v₂ ~ 7e8, x swinging
  // between −9 and 1.4; err 0.63 at 20000 iterations), which says nothing about the selection.
  const last = runLoop(toy, slBamm({ averaging: false, linsysStep: 'schedule' }), { ...start, maxIter: 20_000 });
  assert.ok(err(last.x) > 0.3, `x: ${err(last.x)}`);
  assert.ok(last.x.every((e) => Math.abs(e - 0.505) < 1e-9), `x: ${last.x[0]}`);
  assert.ok(last.z.subarray(n).every((e) => e === 0.01), 'z₂ never moves');
  // and with the averaging, the same scheduled step converges (measured 4.5e-5 at 5000 iterations)
  const averaged = runLoop(toy, slBamm({ linsysStep: 'schedule' }), { ...start, maxIter: 5000 });
  assert.ok(err(averaged.x) < 1e-3, `averaged: ${err(averaged.x)}`);
});
