// Data hyper-cleaning on the bundled Fashion-MNIST subset: the draw and the corruption, closed forms at z = 0, every
// oracle against central finite differences (float64), the batch-sparse cross oracle, the exact inner solve and
// hypergradient, the detector metrics, and the option errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, nrm2 } from '@bilevel/linalg';
import { DataCleaning, dataCleaning } from './data-cleaning';
import { InputError } from '@bilevel/io';
import { loadFashionMnist } from './loaders/fashion-mnist';
import { bundledFashionMnistDir } from './bundled-fashion-mnist';
import { sampleWeightOracles } from './sample-weight-oracles';

/** Central differences with step 1e-5 on O(1) smooth functions: truncation ~1e-10, round-off ~1e-11 → 1e-6 relative. */
const FD_REL = 1e-6;
const small = dataCleaning({ n: 60, m: 30, seed: 3 });

/** ⟨a, b⟩. */
function dotp(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Central difference of f along the direction d at w: (f(w + εd) − f(w − εd)) / 2ε. */
function fd(f: (w: Float64Array) => number, w: Float64Array, d: Float64Array, eps = 1e-5): number {
  const plus = Float64Array.from(w, (t, i) => t + eps * d[i]);
  const minus = Float64Array.from(w, (t, i) => t - eps * d[i]);
  return (f(plus) - f(minus)) / (2 * eps);
}

function assertClose(actual: number, expected: number, scale: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= FD_REL * Math.max(1, scale), `${what}: ${actual} vs ${expected}`);
}

test('bundled defaults: n = 700, m = 200, 200 test images, 784×10 model, one weight per sample', () => {
  const p = dataCleaning();
  assert.equal(p.nInner, 700);
  assert.equal(p.nOuter, 200);
  assert.equal(p.dimZ, 7840);
  assert.equal(p.dimX, 700);
  assert.equal(p.test.rows, 200);
  assert.equal(p.name, 'datacleaning');
  // labels replaced with probability 0.5, wrong with probability 0.45: 315 expected, binomial sd ≈ 13
  assert.ok(Math.abs(p.corruptedCount - 315) < 60, `wrong labels ${p.corruptedCount}`);
  for (let i = 0; i < p.nInner; i++) assert.equal(p.corrupted[i], p.trainLabels[i] !== p.trueLabels[i] ? 1 : 0);
  assert.equal(p.info?.wrongLabels, p.corruptedCount);
});

test('the draw and the corruption are fixed by the seed; p = 0 corrupts nothing, p = 1 about 90%', () => {
  const a = dataCleaning({ n: 300, m: 100, seed: 5 });
  const b = dataCleaning({ n: 300, m: 100, seed: 5 });
  const c = dataCleaning({ n: 300, m: 100, seed: 6 });
  assert.deepEqual(a.trainLabels, b.trainLabels);
  assert.deepEqual(a.train.value, b.train.value);
  assert.notDeepEqual(a.trainLabels, c.trainLabels);
  assert.equal(dataCleaning({ n: 300, m: 100, p: 0 }).corruptedCount, 0);
  const all = dataCleaning({ n: 300, m: 100, p: 1 }).corruptedCount;
  assert.ok(all > 240 && all < 300, `p = 1: ${all} wrong of 300`);
});

test('closed form at z = 0: every CE is log 10, ∇_z f = mean of a_j (1/10 − e_y)ᵀ', () => {
  const z = new Float64Array(small.dimZ);
  const x = Rng.fromSeed(1).normals(new Float64Array(small.dimX));
  let meanSigma = 0;
  for (let i = 0; i < small.nInner; i++) meanSigma += 1 / (1 + Math.exp(-x[i]));
  meanSigma /= small.nInner;
  assert.ok(Math.abs(small.innerValue(z, x, small.fullInner) - meanSigma * Math.log(10)) < 1e-14);
  assert.ok(Math.abs(small.outerValue(z, x, small.fullOuter) - Math.log(10)) < 1e-14);
  const g = new Float64Array(small.dimZ);
  small.outerGradZ(z, x, small.fullOuter, g);
  const { mean, invStd } = small.scaling;
  const X = small.val;
  const ref = new Float64Array(small.dimZ);
  for (let j = 0; j < small.nOuter; j++) {
    const a = new Float64Array(small.pixels);
    for (let q = 0; q < small.pixels; q++) a[q] = -mean[q] * invStd[q];
    for (let e = X.rowStart[j]; e < X.rowStart[j + 1]; e++) a[X.pixel[e]] = (X.value[e] - mean[X.pixel[e]]) * invStd[X.pixel[e]];
    for (let q = 0; q < small.pixels; q++) {
      for (let c = 0; c < 10; c++) ref[q * 10 + c] += (a[q] * (0.1 - (c === small.valLabels[j] ? 1 : 0))) / small.nOuter;
    }
  }
  let err = 0;
  for (let k = 0; k < small.dimZ; k++) err = Math.max(err, Math.abs(g[k] - ref[k]));
  assert.ok(err < 1e-13, `max error ${err}`);
});

test('oracles agree with central finite differences along random directions', () => {
  const p = small;
  const rng = Rng.fromSeed(11);
  const batch = Int32Array.from([0, 3, 7, 8, 21, 40, 59]);
  const vbatch = Int32Array.from([1, 2, 13, 29]);
  for (let trial = 0; trial < 2; trial++) {
    const z = rng.normals(new Float64Array(p.dimZ)).map((t) => 0.02 * t);
    const x = rng.normals(new Float64Array(p.dimX));
    const v = rng.normals(new Float64Array(p.dimZ)).map((t) => 0.02 * t);
    const dz = rng.normals(new Float64Array(p.dimZ));
    const dx = rng.normals(new Float64Array(p.dimX));
    const out = new Float64Array(p.dimZ);
    const outX = new Float64Array(p.dimX);

    p.innerGradZ(z, x, batch, out);
    assertClose(dotp(out, dz), fd((w) => p.innerValue(w, x, batch), z, dz), nrm2(out) * nrm2(dz), '∇_z g');
    p.innerGradX!(z, x, batch, outX);
    assertClose(dotp(outX, dx), fd((w) => p.innerValue(z, w, batch), x, dx), nrm2(outX) * nrm2(dx), '∇_x g');
    const gz = new Float64Array(p.dimZ);
    p.innerHvp(z, x, v, batch, out);
    assertClose(dotp(out, dz), fd((w) => (p.innerGradZ(w, x, batch, gz), dotp(gz, v)), z, dz), nrm2(out) * nrm2(dz), '∇²_zz g·v');
    p.innerCross(z, x, v, batch, outX);
    assertClose(dotp(outX, dx), fd((w) => (p.innerGradZ(z, w, batch, gz), dotp(gz, v)), x, dx), nrm2(outX) * nrm2(dx), '∇²_xz g·v');

    p.outerGradZ(z, x, vbatch, out);
    assertClose(dotp(out, dz), fd((w) => p.outerValue(w, x, vbatch), z, dz), nrm2(out) * nrm2(dz), '∇_z f');
    p.outerHvp!(z, x, v, vbatch, out);
    assertClose(dotp(out, dz), fd((w) => (p.outerGradZ(w, x, vbatch, gz), dotp(gz, v)), z, dz), nrm2(out) * nrm2(dz), '∇²_zz f·v');
    p.outerGradX(z, x, vbatch, outX);
    assert.ok(outX.every((t) => t === 0));
    p.outerCross!(z, x, v, vbatch, outX);
    assert.ok(outX.every((t) => t === 0));
  }
});

test('the cross product of a batch lives on its own weights; innerCrossOnBatch is its restriction', () => {
  const p = small;
  assert.equal(sampleWeightOracles(p), p);
  assert.equal(p.outerIndependentOfX, true);
  const rng = Rng.fromSeed(12);
  const z = rng.normals(new Float64Array(p.dimZ)).map((t) => 0.02 * t);
  const v = rng.normals(new Float64Array(p.dimZ));
  const x = rng.normals(new Float64Array(p.dimX));
  const batch = Int32Array.from([5, 1, 44, 30]);
  const dense = new Float64Array(p.dimX).fill(NaN);
  p.innerCross(z, x, v, batch, dense);
  const onBatch = new Float64Array(batch.length);
  p.innerCrossOnBatch(z, x, v, batch, onBatch);
  const inBatch = new Set(batch);
  for (let i = 0; i < p.dimX; i++) if (!inBatch.has(i)) assert.equal(dense[i], 0);
  batch.forEach((i, k) => assert.equal(dense[i], onBatch[k]));
  assert.ok(onBatch.some((t) => t !== 0));
});

test('innerHessianDiagonal equals the diagonal read off HVPs with unit vectors, at a random (z, x), on a batch and in full', () => {
  const p = small;
  const rng = Rng.fromSeed(21);
  const z = rng.normals(new Float64Array(p.dimZ)).map((t) => 0.05 * t);
  const x = rng.normals(new Float64Array(p.dimX));
  const unit = new Float64Array(p.dimZ);
  const hv = new Float64Array(p.dimZ);
  for (const batch of [Int32Array.from([7, 3, 3, 59, 0]), p.fullInner]) {
    const diag = new Float64Array(p.dimZ).fill(NaN);
    p.innerHessianDiagonal(z, x, batch, diag);
    // every class of a spread of pixels (the first, the last, pixels stored by no row, the busiest ones)
    for (let j = 0; j < p.dimZ; j += 37) {
      unit.fill(0);
      unit[j] = 1;
      p.innerHvp(z, x, unit, batch, hv);
      assert.ok(Math.abs(diag[j] - hv[j]) <= 1e-12 * Math.abs(hv[j]), `batch of ${batch.length}, entry ${j}: ${diag[j]} vs ${hv[j]}`);
    }
    assert.ok(diag.every((t) => t >= 2 * p.C), 'the diagonal of a convex loss plus C‖z‖² is at least 2C');
  }
});

test('batch means: the full-batch gradient is the size-weighted mean of block gradients', () => {
  const p = small;
  const rng = Rng.fromSeed(13);
  const z = rng.normals(new Float64Array(p.dimZ)).map((t) => 0.02 * t);
  const x = rng.normals(new Float64Array(p.dimX));
  const full = new Float64Array(p.dimZ);
  p.innerGradZ(z, x, p.fullInner, full);
  const acc = new Float64Array(p.dimZ);
  const part = new Float64Array(p.dimZ);
  for (const [lo, hi] of [
    [0, 25],
    [25, 60],
  ]) {
    p.innerGradZ(z, x, p.fullInner.subarray(lo, hi), part);
    for (let k = 0; k < p.dimZ; k++) acc[k] += ((hi - lo) / p.nInner) * part[k];
  }
  for (let k = 0; k < p.dimZ; k++) assert.ok(Math.abs(acc[k] - full[k]) < 1e-14 * Math.max(1, Math.abs(full[k])) + 1e-15);
});

test('exact inner solve to ‖∇G‖ ≤ 1e-10 and the hypergradient against a finite difference of h', () => {
  const p = small;
  const rng = Rng.fromSeed(14);
  const x = rng.normals(new Float64Array(p.dimX));
  const sol = p.solveInner(x);
  assert.ok(sol.converged && sol.gradNorm <= 1e-10, `‖∇G‖ = ${sol.gradNorm}`);
  const g = new Float64Array(p.dimZ);
  p.innerGradZ(sol.z, x, p.fullInner, g);
  assert.ok(nrm2(g) <= 1e-10);
  const hg = p.hypergradient(x, { z0: sol.z });
  const dx = rng.normals(new Float64Array(p.dimX));
  const h = (w: Float64Array) => p.outerValue(p.solveInner(w, { z0: sol.z }).z, w, p.fullOuter);
  // step 1e-4: truncation ~1e-9 here; the inner solves (‖∇G‖ ≈ 1e-11) move h by ~1e-11, i.e. ~1e-7 in the
  // difference quotient, about 1e-3 of this slope (≈ 9e-5)
  const slope = fd(h, x, dx, 1e-4);
  assert.ok(Math.abs(dotp(hg.grad, dx) - slope) <= 1e-3 * Math.abs(slope), `${dotp(hg.grad, dx)} vs ${slope}`);
  // v* solves H v = −∇_z F
  const hv = new Float64Array(p.dimZ);
  p.innerHvp(hg.z, x, hg.v, p.fullInner, hv);
  const b = new Float64Array(p.dimZ);
  p.outerGradZ(hg.z, x, p.fullOuter, b);
  let res = 0;
  for (let k = 0; k < p.dimZ; k++) res = Math.max(res, Math.abs(hv[k] + b[k]));
  assert.ok(res < 1e-10, `linear-system residual ${res}`);
});

test('metrics: test and validation error of z; precision and recall of "weight < 0.5" as a detector', () => {
  const p = small;
  const sol = p.solveWeighted(p.baselineWeights('clean'), { tol: 1e-6 });
  const perfect = Float64Array.from(p.corrupted, (c) => (c ? -2 : 2));
  const m = p.metrics(perfect, sol.z);
  assert.equal(m.detectorPrecision, 1);
  assert.equal(m.detectorRecall, 1);
  assert.equal(m.flaggedFraction, p.corruptedCount / p.nInner);
  assert.ok(m.testError > 0 && m.testError < 0.6, `test error ${m.testError}`);
  assert.ok(m.valError >= 0 && m.valError < 0.6);
  const none = p.metrics(new Float64Array(p.dimX), sol.z);
  assert.equal(none.detectorPrecision, 0);
  assert.equal(none.detectorRecall, 0);
  const all = p.metrics(new Float64Array(p.dimX).fill(-1), sol.z);
  assert.equal(all.detectorRecall, 1);
  assert.equal(all.detectorPrecision, p.corruptedCount / p.nInner);
});

test('baselines: all weights 1, or n/n_clean on the right labels and 0 on the wrong ones', () => {
  const w = small.baselineWeights('clean');
  let s = 0;
  for (let i = 0; i < small.nInner; i++) {
    if (small.corrupted[i]) assert.equal(w[i], 0);
    s += w[i];
  }
  assert.ok(Math.abs(s - small.nInner) < 1e-9);
  assert.ok(small.baselineWeights('corrupted').every((t) => t === 1));
});

test('innerConstants: μ = 2C, and L bounds the curvature along random directions', () => {
  const p = small;
  const x = new Float64Array(p.dimX);
  const { L, mu, LMaxSample } = p.innerConstants(x);
  assert.equal(mu, 2 * 0.01, 'μ = 2C at the default C = 0.01');
  assert.ok(LMaxSample >= L);
  const rng = Rng.fromSeed(15);
  const z = rng.normals(new Float64Array(p.dimZ)).map((t) => 0.02 * t);
  const out = new Float64Array(p.dimZ);
  for (let t = 0; t < 3; t++) {
    const v = rng.normals(new Float64Array(p.dimZ));
    p.innerHvp(z, x, v, p.fullInner, out);
    const q = dotp(out, v) / dotp(v, v);
    assert.ok(q >= mu - 1e-12 && q <= L * (1 + 1e-9), `Rayleigh quotient ${q} outside [${mu}, ${L}]`);
  }
});

test('options and data errors are InputErrors naming the field and what was expected', () => {
  assert.throws(() => dataCleaning({ n: 0 }), (e: unknown) => e instanceof InputError && /n must be a positive integer, received 0/.test(e.message));
  assert.throws(() => dataCleaning({ p: 1.5 }), /p must be a probability in \[0, 1\], received 1\.5/);
  assert.throws(() => dataCleaning({ C: 0 }), /C must be a finite number > 0/);
  assert.throws(() => dataCleaning({ seed: 0.5 }), /seed must be a safe integer/);
  assert.throws(() => dataCleaning({ bogus: 1 } as never), /unknown option "bogus"/);
  assert.throws(() => dataCleaning({ n: 800, m: 200 }), (e: unknown) => e instanceof InputError && /n \+ m = 800 \+ 200 = 1000 samples requested but the training file holds 900 images/.test(e.message));
  assert.throws(() => dataCleaning({ dir: '/nonexistent/fashion' }), (e: unknown) => e instanceof InputError && /nonexistent/.test(e.message));
  const dir = bundledFashionMnistDir();
  const data = { train: loadFashionMnist(dir), test: loadFashionMnist(dir, { split: 'test' }) };
  assert.throws(() => dataCleaning({ dir, data }), /either dir or data/);
  const ok = dataCleaning({ data, n: 100, m: 50 });
  assert.ok(ok instanceof DataCleaning);
  assert.equal(ok.nInner, 100);
  const wrongSize = { ...data.test, height: 14, width: 56 };
  assert.throws(() => dataCleaning({ data: { train: data.train, test: { ...wrongSize, width: 28, height: 27 } }, n: 10, m: 10 }), /test images are 27×28/);
});

test('prepareBatches pairs the given batches in the set-up (validation rows for the outer side); the oracles give the same bits', () => {
  const prepared = dataCleaning({ n: 200, m: 100, seed: 5 });
  const plain = dataCleaning({ n: 200, m: 100, seed: 5 });
  const pairs = prepared.train.simd?.pairs;
  if (!pairs) return; // no SIMD, or no room within the budget: nothing to prepare
  const rng = Rng.fromSeed(2);
  const inner = [0, 1, 2].map((b) => Int32Array.from({ length: 64 }, (_, k) => (b * 64 + k) % 200));
  const outer = [Int32Array.from({ length: 50 }, (_, k) => 2 * k)];
  assert.ok(!inner.some((b) => pairs.has(b)) && !pairs.has(outer[0]), 'nothing is paired before');
  prepared.prepareBatches('inner', inner);
  prepared.prepareBatches('outer', outer);
  assert.ok(inner.every((b) => pairs.has(b)) && pairs.has(outer[0]), 'every batch is paired by prepareBatches');
  const z = Float64Array.from({ length: prepared.dimZ }, () => 0.1 * rng.normal());
  const v = Float64Array.from({ length: prepared.dimZ }, () => rng.normal());
  const x = Float64Array.from({ length: prepared.dimX }, () => rng.normal());
  const same = (a: Float64Array, b: Float64Array, what: string) => assert.ok(a.every((t, i) => Object.is(t, b[i])), what);
  for (const b of inner) {
    const [g1, g2, h1, h2] = [0, 1, 2, 3].map(() => new Float64Array(prepared.dimZ));
    prepared.innerGradZ(z, x, b, g1);
    plain.innerGradZ(z, x, b, g2);
    same(g1, g2, 'innerGradZ');
    prepared.innerHvp(z, x, v, b, h1);
    plain.innerHvp(z, x, v, b, h2);
    same(h1, h2, 'innerHvp');
  }
  const [f1, f2] = [0, 1].map(() => new Float64Array(prepared.dimZ));
  prepared.outerGradZ(z, x, outer[0], f1);
  plain.outerGradZ(z, x, outer[0], f2);
  same(f1, f2, 'outerGradZ');
});
