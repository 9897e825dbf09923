// Batched Anderson acceleration: fixed points of a contraction per sample, faster than the plain iteration; exact
// on a linear map once the history spans it; the first step is f(x₀); non-convergence reported as data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchedAnderson } from './anderson';
import { SAMPLE_STATUS } from './fixed-point-batch';
import type { BatchMap } from './fixed-point-batch';
import { Rng } from './rng';

/**
 * A tanh layer z ↦ tanh(W z + c_b), W Gaussian with spectral radius ≈ scale (entries N(0, scale²/d), circular law): a contraction,
 * slow when scale is near 1 and c small (tanh' ≈ 1).
 */
function tanhLayer(B: number, d: number, seed: number, scale = 0.9, cScale = 1): BatchMap {
  const rng = Rng.fromSeed(seed);
  const W = new Float64Array(d * d);
  rng.normals(W);
  for (let i = 0; i < W.length; i++) W[i] *= scale / Math.sqrt(d);
  const c = new Float64Array(B * d);
  rng.normals(c);
  for (let i = 0; i < c.length; i++) c[i] *= cScale;
  return (z, out) => {
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < d; i++) {
        let s = c[b * d + i];
        for (let j = 0; j < d; j++) s += W[i * d + j] * z[b * d + j];
        out[b * d + i] = Math.tanh(s);
      }
    }
  };
}

/** The largest per-sample relative residual ‖z_b − f_b‖/‖f_b‖ (the solvers' test). */
function relResidual(map: BatchMap, z: Float64Array, B: number): number {
  const f = new Float64Array(z.length);
  map(z, f);
  const d = z.length / B;
  let worst = 0;
  for (let b = 0; b < B; b++) {
    let rr = 0;
    let ff = 0;
    for (let j = b * d; j < (b + 1) * d; j++) {
      rr += (z[j] - f[j]) ** 2;
      ff += f[j] ** 2;
    }
    worst = Math.max(worst, Math.sqrt(rr / ff));
  }
  return worst;
}

test('BatchedAnderson (history 5, ridge 1e-4: jaxopt DEQ defaults) reaches every fixed point of a slow contraction in far fewer map calls than the plain iteration', () => {
  const B = 4;
  const d = 8;
  const map = tanhLayer(B, d, 1, 0.97, 0.1);
  const z = new Float64Array(B * d);
  const tol = 1e-10;
  const res = new BatchedAnderson(B, d).solve(map, z, { tol, maxIter: 500 });
  assert.ok(res.converged, `converged ${res.convergedCount}/${B}, worst ${res.maxResidual}`);
  assert.ok(relResidual(map, z, B) <= tol);
  const y = new Float64Array(B * d);
  const f = new Float64Array(B * d);
  let plain = 1;
  while (relResidual(map, y, B) > tol && plain < 5000) {
    map(y, f);
    y.set(f);
    plain++;
  }
  assert.ok(3 * res.evaluations < plain, `Anderson ${res.evaluations} map calls, plain iteration ${plain}`);
});

test('BatchedAnderson: one iteration is the plain step x₁ = f(x₀); without ridge a linear map in d dimensions is solved once d + 1 iterates are mixed', () => {
  const d = 3;
  const map = tanhLayer(1, d, 2);
  const z = new Float64Array(d);
  const f0 = new Float64Array(d);
  map(z, f0);
  new BatchedAnderson(1, d).solve(map, z, { maxIter: 1, tol: 0 });
  assert.deepEqual([...z], [...f0]);
  // linear f(z) = A z + c: the residuals of d + 1 iterates span R^d, so the mix is the fixed point (up to round-off)
  const rng = Rng.fromSeed(3);
  const A = Float64Array.from({ length: d * d }, () => 0.3 * rng.normal());
  const c = Float64Array.from({ length: d }, () => rng.normal());
  const linear: BatchMap = (x, out) => {
    for (let i = 0; i < d; i++) {
      let s = c[i];
      for (let j = 0; j < d; j++) s += A[i * d + j] * x[j];
      out[i] = s;
    }
  };
  const x = new Float64Array(d);
  const res = new BatchedAnderson(1, d, { history: d + 1, ridge: 0 }).solve(linear, x, { tol: 1e-10, maxIter: d + 1 });
  assert.ok(res.converged, `residual ${res.maxResidual} after ${res.iterations}`);
});

test('BatchedAnderson reports a map without fixed point at the cap, and a non-finite one as diverged', () => {
  const shift: BatchMap = (z, out) => {
    for (let i = 0; i < z.length; i++) out[i] = z[i] + 1;
  };
  const capped = new BatchedAnderson(2, 2).solve(shift, new Float64Array(4), { maxIter: 6 });
  assert.equal(capped.converged, false);
  assert.equal(capped.maxIterCount, 2);
  assert.equal(capped.iterations, 6);
  const nan: BatchMap = (_z, out) => out.fill(Number.NaN);
  const bad = new BatchedAnderson(1, 2).solve(nan, new Float64Array(2), { maxIter: 50 });
  assert.equal(bad.status[0], SAMPLE_STATUS.diverged);
  assert.equal(bad.evaluations, 1);
});

test('BatchedAnderson: bad options are one clear RangeError naming the field', () => {
  assert.throws(() => new BatchedAnderson(1, 2, { history: 0 }), /BatchedAnderson: options.history must be a positive integer, received 0/);
  assert.throws(() => new BatchedAnderson(1, 2, { ridge: -1 }), /options.ridge must be a finite number ≥ 0/);
  assert.throws(() => new BatchedAnderson(1, 2, { beta: 1.5 }), /options.beta must be in \(0, 1\]/);
});
