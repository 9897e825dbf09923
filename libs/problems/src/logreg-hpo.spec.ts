// The logistic HPO problem: closed-form values at z = 0, oracles against central finite differences (float64),
// Newton's inner solve, and the exact hypergradient against a finite difference of h.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, nrm2 } from '@bilevel/linalg';
import { logregHpo } from './logreg-hpo';
import { loadUciCsv } from './uci-csv';
import { splitDataset } from './dataset';
import { bundledDataPath } from './bundled';
import { featureMoments } from './dataset';

/** Central differences with step 1e-6 on O(1) functions: truncation ~1e-12, round-off ~1e-10 → 1e-7 relative. */
const FD_REL = 1e-6;
const data = loadUciCsv(bundledDataPath('breast_cancer.csv'));
const { train, val } = splitDataset(data, 0.6, Rng.fromSeed(0));

function relErr(a: Float64Array, b: Float64Array): number {
  let num = 0;
  for (let i = 0; i < a.length; i++) num = Math.max(num, Math.abs(a[i] - b[i]));
  return num / Math.max(nrm2(a), nrm2(b), 1e-12);
}

test('split 60/40 and ±1 labels from the smallest class', () => {
  const p = logregHpo(train, val);
  assert.equal(p.nInner, 341);
  assert.equal(p.nOuter, 228);
  assert.equal(p.dimZ, 30);
  assert.equal(p.dimX, 1);
  const negatives = p.yA.filter((y) => y === -1).length;
  assert.equal(negatives, train.labels.filter((l) => l === 0).length);
  // standardized with the training moments: training columns have mean 0 and std 1
  const m = featureMoments(p.A);
  for (let j = 0; j < 30; j++) {
    assert.ok(Math.abs(m.mean[j]) < 1e-12);
    assert.ok(Math.abs(m.std[j] - 1) < 1e-12);
  }
});

test('closed form at z = 0: g = log 2, ∇_z g = −mean(y_j a_j)/2, HVP = (1/4n) Aᵀ A v + e^x v', () => {
  const p = logregHpo(train, val);
  const z = new Float64Array(30);
  const x = Float64Array.from([0.3]);
  // sums of n = 341 rounded terms: allow n·u ≈ 1e-13
  assert.ok(Math.abs(p.innerValue(z, x, p.fullInner) - Math.log(2)) < 1e-13);
  const g = new Float64Array(30);
  p.innerGradZ(z, x, p.fullInner, g);
  for (let k = 0; k < 30; k++) {
    let s = 0;
    for (let j = 0; j < p.nInner; j++) s += p.yA[j] * p.A.data[j * 30 + k];
    assert.ok(Math.abs(g[k] - -s / (2 * p.nInner)) < 1e-13);
  }
  // at z = 0 every margin is 0, so ℓ'' = 1/4 and HVP = (1/4n) AᵀA v + e^x v
  const v = Rng.fromSeed(12).normals(new Float64Array(30));
  const hv = new Float64Array(30);
  p.innerHvp(z, x, v, p.fullInner, hv);
  for (let k = 0; k < 30; k++) {
    let s = 0;
    for (let j = 0; j < p.nInner; j++) {
      let av = 0;
      for (let i = 0; i < 30; i++) av += p.A.data[j * 30 + i] * v[i];
      s += av * p.A.data[j * 30 + k];
    }
    const expected = s / (4 * p.nInner) + Math.exp(0.3) * v[k];
    assert.ok(Math.abs(hv[k] - expected) < 1e-12 * Math.max(1, Math.abs(expected)));
  }
});

for (const reg of ['scalar', 'feature'] as const) {
  test(`oracles agree with central finite differences (reg ${reg})`, () => {
    const p = logregHpo(train, val, { reg });
    const rng = Rng.fromSeed(1);
    const batch = Int32Array.from([3, 17, 40, 41, 100, 200, 300]);
    const vbatch = Int32Array.from([0, 5, 9, 100, 227]);
    for (let trial = 0; trial < 3; trial++) {
      const z = rng.normals(new Float64Array(30));
      const x = rng.normals(new Float64Array(p.dimX));
      const v = rng.normals(new Float64Array(30));
      const eps = 1e-6;
      const gz = new Float64Array(30);
      p.innerGradZ(z, x, batch, gz);
      const fdG = new Float64Array(30);
      const fdH = new Float64Array(30);
      const zp = Float64Array.from(z);
      const gp = new Float64Array(30);
      const gm = new Float64Array(30);
      for (let k = 0; k < 30; k++) {
        zp[k] = z[k] + eps;
        const vp = p.innerValue(zp, x, batch);
        zp[k] = z[k] - eps;
        const vm = p.innerValue(zp, x, batch);
        zp[k] = z[k];
        fdG[k] = (vp - vm) / (2 * eps);
      }
      assert.ok(relErr(gz, fdG) < FD_REL, `∇_z g: ${relErr(gz, fdG)}`);
      for (let k = 0; k < 30; k++) zp[k] = z[k] + eps * v[k];
      p.innerGradZ(zp, x, batch, gp);
      for (let k = 0; k < 30; k++) zp[k] = z[k] - eps * v[k];
      p.innerGradZ(zp, x, batch, gm);
      for (let k = 0; k < 30; k++) fdH[k] = (gp[k] - gm[k]) / (2 * eps);
      const hv = new Float64Array(30);
      p.innerHvp(z, x, v, batch, hv);
      assert.ok(relErr(hv, fdH) < FD_REL, `HVP: ${relErr(hv, fdH)}`);
      const cross = new Float64Array(p.dimX);
      p.innerCross(z, x, v, batch, cross);
      const fdC = new Float64Array(p.dimX);
      const xp = Float64Array.from(x);
      for (let k = 0; k < p.dimX; k++) {
        xp[k] = x[k] + eps;
        p.innerGradZ(z, xp, batch, gp);
        xp[k] = x[k] - eps;
        p.innerGradZ(z, xp, batch, gm);
        xp[k] = x[k];
        let s = 0;
        for (let i = 0; i < 30; i++) s += (gp[i] - gm[i]) * v[i];
        fdC[k] = s / (2 * eps);
      }
      assert.ok(relErr(cross, fdC) < FD_REL, `cross: ${relErr(cross, fdC)}`);
      const fz = new Float64Array(30);
      p.outerGradZ(z, x, vbatch, fz);
      zp.set(z);
      for (let k = 0; k < 30; k++) {
        zp[k] = z[k] + eps;
        const vp = p.outerValue(zp, x, vbatch);
        zp[k] = z[k] - eps;
        const vm = p.outerValue(zp, x, vbatch);
        zp[k] = z[k];
        fdG[k] = (vp - vm) / (2 * eps);
      }
      assert.ok(relErr(fz, fdG) < FD_REL, `∇_z f: ${relErr(fz, fdG)}`);
      // optional oracles: ∇_x g against differences of g in x, ∇²_zz f·v against differences of ∇_z f along v
      const gx = new Float64Array(p.dimX);
      p.innerGradX(z, x, batch, gx);
      const fdX = new Float64Array(p.dimX);
      for (let k = 0; k < p.dimX; k++) {
        xp[k] = x[k] + eps;
        const vp = p.innerValue(z, xp, batch);
        xp[k] = x[k] - eps;
        const vm = p.innerValue(z, xp, batch);
        xp[k] = x[k];
        fdX[k] = (vp - vm) / (2 * eps);
      }
      assert.ok(relErr(gx, fdX) < FD_REL, `∇_x g: ${relErr(gx, fdX)}`);
      const fhv = new Float64Array(30);
      p.outerHvp(z, x, v, vbatch, fhv);
      for (let k = 0; k < 30; k++) zp[k] = z[k] + eps * v[k];
      p.outerGradZ(zp, x, vbatch, gp);
      for (let k = 0; k < 30; k++) zp[k] = z[k] - eps * v[k];
      p.outerGradZ(zp, x, vbatch, gm);
      for (let k = 0; k < 30; k++) fdH[k] = (gp[k] - gm[k]) / (2 * eps);
      assert.ok(relErr(fhv, fdH) < FD_REL, `outer HVP: ${relErr(fhv, fdH)}`);
    }
  });
}

test('Newton solves the inner problem to 1e-10 and the exact hypergradient matches a difference of h', () => {
  const p = logregHpo(train, val);
  for (const x0 of [-4, -1, 0.5]) {
    const x = Float64Array.from([x0]);
    const sol = p.solveInner(x);
    assert.ok(sol.converged && sol.gradNorm <= 1e-10, `‖∇G‖ = ${sol.gradNorm}`);
    assert.ok(sol.iterations < 30);
    const hg = p.hypergradient(x);
    const eps = 1e-5;
    const hp = p.hypergradient(Float64Array.from([x0 + eps])).value;
    const hm = p.hypergradient(Float64Array.from([x0 - eps])).value;
    const fd = (hp - hm) / (2 * eps);
    // truncation O(eps²·h''') ~ 1e-10, inner-solve error 1e-10/eps ~ 1e-5 worst case: 1e-5 relative + 1e-8 absolute
    assert.ok(Math.abs(hg.grad[0] - fd) <= 1e-5 * Math.abs(fd) + 1e-8, `∇h ${hg.grad[0]} vs FD ${fd}`);
  }
});

test('innerConstants bound the Hessian: μ ≤ vᵀHv/‖v‖² ≤ L', () => {
  const p = logregHpo(train, val);
  const x = Float64Array.from([-2]);
  const { L, mu, LMaxSample } = p.innerConstants(x);
  assert.ok(LMaxSample >= L && L > mu && mu === Math.exp(-2));
  const rng = Rng.fromSeed(4);
  const hv = new Float64Array(30);
  for (let i = 0; i < 20; i++) {
    const z = rng.normals(new Float64Array(30));
    const v = rng.normals(new Float64Array(30));
    p.innerHvp(z, x, v, p.fullInner, hv);
    let q = 0;
    for (let k = 0; k < 30; k++) q += v[k] * hv[k];
    const r = q / nrm2(v) ** 2;
    assert.ok(r >= mu * (1 - 1e-12) && r <= L * (1 + 1e-12));
  }
});

test('mismatched feature counts and bad options are input errors', () => {
  const narrow = { ...val, features: { rows: val.features.rows, cols: 2, data: new Float64Array(val.features.rows * 2) } };
  assert.throws(() => logregHpo(train, narrow), /training data has 30 features but validation data has 2/);
  assert.throws(() => logregHpo(train, val, { reg: 'bogus' as 'scalar' }), /reg must be "scalar" or "feature", received "bogus"/);
});

/** n rows × d features of small integers, labels alternating 0/1. */
function wideData(n: number, d: number, source: string) {
  const values = new Float64Array(n * d);
  for (let k = 0; k < values.length; k++) values[k] = (k * 7) % 3;
  return { features: { rows: n, cols: d, data: values }, labels: Int32Array.from({ length: n }, (_, i) => i % 2), classNames: ['a', 'b'], source };
}

test('20,000 features (the 960 KB CSV of issue 16): the exact evaluation\'s 20,000² Hessian is refused by the default memory budget before anything is allocated; a raised budget admits it', () => {
  const tr = wideData(14, 20_000, 'wide.csv [train]');
  const va = wideData(10, 20_000, 'wide.csv [val]');
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(
    () => logregHpo(tr, va),
    /wide\.csv \[train\]: logreg-hpo with 20000 features: needs .* \+ the exact evaluation's dense Hessian 20000 × 20000 × 8 bytes = 2\.98 GiB \(.* in all\), more than the memory budget of 2 GiB; raise it with --memory-budget/,
  );
  assert.ok(process.memoryUsage().arrayBuffers - before < 2 ** 20, 'refused before the copies of the data');
  // admitted with a budget that holds it: the Hessian is only allocated at the first exact evaluation
  const p = logregHpo(tr, va, { memoryBudget: 4 * 2 ** 30 });
  assert.equal(p.dimZ, 20_000);
  assert.throws(() => logregHpo(tr, va, { memoryBudget: 0 }), /logregHpo: options.memoryBudget must be a positive integer/);
});

test('a million features is refused (no platform allocates its Hessian) whatever the budget', () => {
  const tr = wideData(2, 1_000_000, 'm.svm');
  assert.throws(() => logregHpo(tr, tr, { memoryBudget: Number.MAX_SAFE_INTEGER }), /m\.svm: logreg-hpo with 1000000 features: the exact evaluation's dense Hessian 1000000 × 1000000 × 8 bytes: 1000000000000 elements, more than the 4294967296/);
});

test('200,000 training rows build: the smallest label is found without spreading the labels into Math.min', () => {
  const big = wideData(200_000, 1, 'tall');
  const p = logregHpo(big, wideData(10, 1, 'tall-val'), { standardize: 'none' });
  assert.equal(p.nInner, 200_000);
  assert.equal(p.yA[0], -1);
});

test('the evaluation reuses one Hessian buffer: repeated hypergradients give the same result as a fresh problem', () => {
  const p = logregHpo(train, val);
  const x = Float64Array.from([-1]);
  const first = p.hypergradient(x);
  p.hypergradient(Float64Array.from([0.5]));
  const again = p.hypergradient(x);
  assert.equal(again.value, first.value);
  assert.deepEqual(again.grad, first.grad);
  assert.deepEqual(again.grad, logregHpo(train, val).hypergradient(x).grad);
});
