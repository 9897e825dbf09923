// Batched Broyden: fixed points of a contraction per sample, the inverse factors (applied and transposed), the
// secant equation, the adjoint (OPA) update, the limited memory, and non-convergence reported as data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyBroydenInverse, BatchedBroyden } from './broyden';
import { SAMPLE_STATUS } from './fixed-point-batch';
import type { BatchMap } from './fixed-point-batch';
import { Rng } from './rng';

/** Tolerance of the fixed-point residuals checked after a solve to 1e-10. */
const FIXED_POINT_TOL = 1e-9;
/** Round-off tolerance of identities of the factors (exact in exact arithmetic). */
const ROUNDOFF = 1e-11;

/** A tanh layer z ↦ tanh(W z + c_b) with ‖W‖₂ < 1 (a contraction), one c_b per sample. */
function tanhLayer(B: number, d: number, seed: number, scale = 0.9) {
  const rng = Rng.fromSeed(seed);
  const W = new Float64Array(d * d);
  rng.normals(W);
  // scale to spectral norm ≤ scale by the Frobenius bound
  let fro = 0;
  for (const w of W) fro += w * w;
  for (let i = 0; i < W.length; i++) W[i] *= scale / Math.sqrt(fro);
  const c = new Float64Array(B * d);
  rng.normals(c);
  const map: BatchMap = (z, out) => {
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < d; i++) {
        let s = c[b * d + i];
        for (let j = 0; j < d; j++) s += W[i * d + j] * z[b * d + j];
        out[b * d + i] = Math.tanh(s);
      }
    }
  };
  return { W, c, map };
}

function residual(map: BatchMap, z: Float64Array): number {
  const f = new Float64Array(z.length);
  map(z, f);
  let worst = 0;
  for (let i = 0; i < z.length; i++) worst = Math.max(worst, Math.abs(z[i] - f[i]));
  return worst;
}

test('BatchedBroyden reaches the fixed point of every sample of a contraction, in fewer map calls than the plain iteration', () => {
  const B = 4;
  const d = 6;
  const { map } = tanhLayer(B, d, 1);
  const z = new Float64Array(B * d);
  const res = new BatchedBroyden(B, d).solve(map, z, { tol: 1e-10, maxIter: 50 });
  assert.ok(res.converged, `converged ${res.convergedCount}/${B}`);
  assert.ok(residual(map, z) < FIXED_POINT_TOL);
  // the plain iteration z ← f(z) to the same accuracy
  const y = new Float64Array(B * d);
  const f = new Float64Array(B * d);
  let plain = 0;
  while (residual(map, y) > FIXED_POINT_TOL && plain < 1000) {
    map(y, f);
    y.set(f);
    plain++;
  }
  assert.ok(res.evaluations < plain, `Broyden ${res.evaluations} map calls, plain iteration ${plain}`);
  assert.deepEqual([...res.status], [0, 0, 0, 0]);
});

test('BatchedBroyden: samples stop on their own test; a converged sample is frozen while the others go on', () => {
  const B = 3;
  const d = 4;
  const { map, c } = tanhLayer(B, d, 2);
  // sample 1 starts at its fixed point already
  const z = new Float64Array(B * d);
  const zStar = new Float64Array(B * d);
  new BatchedBroyden(B, d).solve(map, zStar, { tol: 1e-13, maxIter: 100 });
  z.set(zStar.subarray(d, 2 * d), d);
  const res = new BatchedBroyden(B, d).solve(map, z, { tol: 1e-8, maxIter: 100 });
  assert.ok(res.converged);
  assert.equal(res.sampleIterations[1], 0);
  assert.ok(res.sampleIterations[0] > 0 && res.sampleIterations[2] > 0);
  assert.deepEqual([...z.subarray(d, 2 * d)], [...zStar.subarray(d, 2 * d)]);
  assert.equal(c.length, B * d);
});

test('BatchedBroyden: Hᵀ is the transpose of H, the copy applies the same operator, and a linear map is solved in ≤ 2d steps', () => {
  const B = 2;
  const d = 5;
  const rng = Rng.fromSeed(3);
  const A = Float64Array.from({ length: d * d }, () => 0.15 * rng.normal());
  const c = Float64Array.from({ length: B * d }, () => rng.normal());
  const map: BatchMap = (z, out) => {
    for (let b = 0; b < B; b++) for (let i = 0; i < d; i++) {
      let s = c[b * d + i];
      for (let j = 0; j < d; j++) s += A[i * d + j] * z[b * d + j];
      out[b * d + i] = s;
    }
  };
  const qn = new BatchedBroyden(B, d);
  const z = new Float64Array(B * d);
  const res = qn.solve(map, z, { tol: 1e-14, maxIter: 3 });
  assert.equal(res.iterations, 3);
  // ⟨H x, y⟩ = ⟨x, Hᵀ y⟩ for random x, y
  const x = Float64Array.from({ length: B * d }, () => rng.normal());
  const y = Float64Array.from({ length: B * d }, () => rng.normal());
  const hx = qn.apply(x, new Float64Array(B * d));
  const hty = qn.apply(y, new Float64Array(B * d), true);
  let l = 0;
  let r = 0;
  for (let i = 0; i < B * d; i++) {
    l += hx[i] * y[i];
    r += x[i] * hty[i];
  }
  assert.ok(Math.abs(l - r) < ROUNDOFF * (1 + Math.abs(l)), `${l} vs ${r}`);
  // the copy applies the same operator
  const inv = qn.inverse();
  const hx2 = applyBroydenInverse(inv, x, new Float64Array(B * d));
  assert.deepEqual([...hx2], [...hx]);
  // on a linear map Broyden's method terminates in at most 2d steps (Gay, SINUM 1979)
  const z2 = new Float64Array(B * d);
  const qn2 = new BatchedBroyden(B, d);
  const full = qn2.solve(map, z2, { tol: 1e-15, maxIter: 2 * d });
  assert.ok(full.maxResidual < 1e-12, `residual ${full.maxResidual}`);
});

test('BatchedBroyden.adjointUpdate: afterwards Hᵀw = σ exactly for each sample (the adjoint secant condition)', () => {
  const B = 3;
  const d = 4;
  const { map } = tanhLayer(B, d, 4);
  const qn = new BatchedBroyden(B, d);
  qn.solve(map, new Float64Array(B * d), { tol: 1e-12, maxIter: 4 });
  const rng = Rng.fromSeed(5);
  const sigma = Float64Array.from({ length: B * d }, () => rng.normal());
  sigma.fill(0, d, 2 * d); // sample 1 is not updated
  const w = Float64Array.from({ length: B * d }, () => rng.normal());
  const before = qn.apply(w, new Float64Array(B * d), true);
  assert.equal(qn.adjointUpdate(sigma, w), 2);
  const after = qn.apply(w, new Float64Array(B * d), true);
  for (const b of [0, 2]) for (let j = 0; j < d; j++) assert.ok(Math.abs(after[b * d + j] - sigma[b * d + j]) < ROUNDOFF, `sample ${b}`);
  assert.deepEqual([...after.subarray(d, 2 * d)], [...before.subarray(d, 2 * d)]);
});

test('BatchedBroyden with a memory of 2 terms still converges, keeping at most 2 terms a sample', () => {
  const B = 2;
  const d = 6;
  const { map } = tanhLayer(B, d, 6);
  const qn = new BatchedBroyden(B, d, { memory: 2 });
  const z = new Float64Array(B * d);
  const res = qn.solve(map, z, { tol: 1e-10, maxIter: 200 });
  assert.ok(res.converged);
  assert.ok(residual(map, z) < FIXED_POINT_TOL);
  assert.ok([...qn.count].every((k) => k <= 2));
});

test('BatchedBroyden reports non-convergence as data: the cap, a residual that blows up, a non-finite map', () => {
  const d = 2;
  // no fixed point: f(z) = z + 1 (the residual stays 1): the cap
  const shift: BatchMap = (z, out) => {
    for (let i = 0; i < z.length; i++) out[i] = z[i] + 1;
  };
  const capped = new BatchedBroyden(1, d).solve(shift, new Float64Array(d), { maxIter: 7 });
  assert.equal(capped.converged, false);
  assert.equal(capped.iterations, 7);
  assert.equal(capped.status[0], SAMPLE_STATUS.maxIter);
  // a map whose residual grows with every call: diverged long before the cap
  let calls = 0;
  const growing: BatchMap = (z, out) => {
    calls++;
    for (let i = 0; i < z.length; i++) out[i] = z[i] + 10 ** calls;
  };
  const blown = new BatchedBroyden(1, d).solve(growing, new Float64Array(d), { maxIter: 100, divergence: 1e4 });
  assert.equal(blown.status[0], SAMPLE_STATUS.diverged);
  assert.ok(blown.iterations < 10, `stopped after ${blown.iterations}`);
  // NaN from the map: diverged at once
  const nan: BatchMap = (_z, out) => out.fill(Number.NaN);
  const bad = new BatchedBroyden(2, d).solve(nan, new Float64Array(2 * d), { maxIter: 100 });
  assert.equal(bad.divergedCount, 2);
  assert.equal(bad.iterations, 0);
  assert.equal(bad.maxResidual, Infinity);
});

test('BatchedBroyden: bad options are one clear RangeError naming the field', () => {
  assert.throws(() => new BatchedBroyden(0, 3), /BatchedBroyden: batch must be a positive integer, received 0/);
  assert.throws(() => new BatchedBroyden(1, 3, { memory: 0 }), /options.memory must be a positive integer/);
  const qn = new BatchedBroyden(1, 3);
  assert.throws(() => qn.solve((z, o) => o.set(z), new Float64Array(2)), /z must be a Float64Array of batch × dim = 3 numbers, received length 2/);
  assert.throws(() => qn.solve((z, o) => o.set(z), new Float64Array(3), { tol: -1 }), /tol must be a finite number ≥ 0, received -1/);
  assert.throws(() => qn.solve((z, o) => o.set(z), new Float64Array(3), { maxItr: 3 } as never), /unknown option "maxItr"/);
});

test('BatchedBroyden.solve calls afterIteration once an iteration, with the active samples, where adjoint updates may be made', () => {
  const B = 2;
  const d = 4;
  const { map } = tanhLayer(B, d, 7);
  const qn = new BatchedBroyden(B, d);
  const seen: number[] = [];
  const rng = Rng.fromSeed(8);
  const res = qn.solve(map, new Float64Array(B * d), { tol: 1e-10, maxIter: 50 }, (it, _z, active) => {
    seen.push(it);
    assert.equal(active.length, B);
    if (it === 2) qn.adjointUpdate(Float64Array.from({ length: B * d }, () => rng.normal()), Float64Array.from({ length: B * d }, () => rng.normal()));
  });
  assert.ok(res.converged);
  assert.deepEqual(seen, Array.from({ length: res.iterations }, (_, i) => i + 1));
});
