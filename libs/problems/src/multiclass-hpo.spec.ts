// The multiclass HPO problem: closed-form values at z = 0 (uniform softmax), every oracle against central finite
// differences (float64), the dense Hessian against HVPs, Newton's inner solve to 1e-10, the exact hypergradient against
// a finite difference of h and against the generic CG hypergradient, held-out metrics, and errors on bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, matrix, nrm2 } from '@bilevel/linalg';
import { multiclassHpo } from './multiclass-hpo';
import type { MulticlassHpoOptions } from './multiclass-hpo';
import { loadClassificationCsv } from './classification-csv';
import { multiclassDataPath } from './multiclass-data-path';
import { splitTrainValTest } from './split-train-val-test';
import { hypergradientCg, solveInnerLbfgs } from './generic-evaluation';
import { featureMoments } from './dataset';
import type { Dataset } from './dataset';
import { InputError } from '@bilevel/io';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Central differences with step 1e-6 on O(1) functions: truncation ~1e-12, round-off ~1e-10 → 1e-7 relative. */
const FD_REL = 1e-6;
/** Sums of a few hundred rounded terms: n·u ≈ 1e-13. */
const SUM_ABS = 1e-12;
const wine = loadClassificationCsv(multiclassDataPath());
const { train, val, test: testSet } = splitTrainValTest(wine, Rng.fromSeed(0));

function relErr(a: Float64Array, b: Float64Array): number {
  let num = 0;
  for (let i = 0; i < a.length; i++) num = Math.max(num, Math.abs(a[i] - b[i]));
  return num / Math.max(nrm2(a), nrm2(b), 1e-12);
}

test('wine 50/25/25 (stratified: 90/45/43 rows): K = 3, d = 13 + intercept, dimZ = 42, dimX by reg; features standardized by the training split', () => {
  const p = multiclassHpo(train, val, { test: testSet });
  assert.deepEqual([p.nInner, p.nOuter, p.nClasses, p.nFeatures, p.dimZ, p.dimX], [90, 45, 3, 14, 42, 3]);
  assert.equal(multiclassHpo(train, val, { reg: 'feature' }).dimX, 14);
  assert.equal(multiclassHpo(train, val, { reg: 'scalar' }).dimX, 1);
  assert.equal(multiclassHpo(train, val, { reg: 'feature', intercept: false }).dimX, 13);
  const m = featureMoments({ rows: p.A.rows, cols: 14, data: p.A.data });
  for (let j = 0; j < 13; j++) {
    assert.ok(Math.abs(m.mean[j]) < 1e-12 && Math.abs(m.std[j] - 1) < 1e-12);
  }
  assert.equal(m.mean[13], 1); // the intercept column
  assert.equal(m.std[13], 0);
  assert.equal(p.info.layout, "z = W, K×d' row-major (class-major)");
});

test('closed form at z = 0: g = f = log K, ∇_W g = (1/n) Σ (1/K − e_y) a_jᵀ, HVP = (1/n) Σ (1/K)(u − ū) a_jᵀ + e^x v', () => {
  const p = multiclassHpo(train, val);
  const { dimZ: D, nInner: n, nClasses: K, nFeatures: d } = p;
  const z = new Float64Array(D);
  const x = Float64Array.of(0.3, -1, 2);
  assert.ok(Math.abs(p.innerValue(z, x, p.fullInner) - Math.log(K)) < SUM_ABS);
  assert.ok(Math.abs(p.outerValue(z, x, p.fullOuter) - Math.log(K)) < SUM_ABS);
  const g = new Float64Array(D);
  p.innerGradZ(z, x, p.fullInner, g);
  const v = Rng.fromSeed(12).normals(new Float64Array(D));
  const hv = new Float64Array(D);
  p.innerHvp(z, x, v, p.fullInner, hv);
  for (let c = 0; c < K; c++) {
    for (let i = 0; i < d; i++) {
      let s = 0;
      let h = 0;
      for (let j = 0; j < n; j++) {
        const aji = p.A.data[j * d + i];
        s += ((1 / K) - (p.yA[j] === c ? 1 : 0)) * aji;
        // u_j = V a_j, and at uniform p the softmax Hessian is (1/K)(I − 11ᵀ/K)
        let uc = 0;
        let ubar = 0;
        for (let c2 = 0; c2 < K; c2++) {
          let u = 0;
          for (let l = 0; l < d; l++) u += v[c2 * d + l] * p.A.data[j * d + l];
          if (c2 === c) uc = u;
          ubar += u / K;
        }
        h += ((uc - ubar) / K) * aji;
      }
      assert.ok(Math.abs(g[c * d + i] - s / n) < SUM_ABS, `grad ${c},${i}`);
      const expected = h / n + Math.exp(x[c]) * v[c * d + i];
      assert.ok(Math.abs(hv[c * d + i] - expected) < SUM_ABS * Math.max(1, Math.abs(expected)), `hvp ${c},${i}`);
    }
  }
});

for (const reg of ['class', 'feature', 'scalar'] as const) {
  test(`oracles agree with central finite differences (reg ${reg})`, () => {
    const p = multiclassHpo(train, val, { reg });
    const D = p.dimZ;
    const rng = Rng.fromSeed(1);
    const batch = Int32Array.from([3, 17, 40, 41, 60, 88, 3]);
    const vbatch = Int32Array.from([0, 5, 9, 43, 20]);
    const eps = 1e-6;
    for (let trial = 0; trial < 3; trial++) {
      const z = rng.normals(new Float64Array(D));
      const x = rng.normals(new Float64Array(p.dimX));
      const v = rng.normals(new Float64Array(D));
      const zp = Float64Array.from(z);
      const gp = new Float64Array(D);
      const gm = new Float64Array(D);
      const fd = new Float64Array(D);
      // gradient of a scalar function of z by central differences
      const gradFd = (f: (zz: Float64Array) => number) => {
        for (let k = 0; k < D; k++) {
          zp[k] = z[k] + eps;
          const up = f(zp);
          zp[k] = z[k] - eps;
          const down = f(zp);
          zp[k] = z[k];
          fd[k] = (up - down) / (2 * eps);
        }
        return fd;
      };
      // directional derivative of a vector function of z along v
      const dirFd = (f: (zz: Float64Array, out: Float64Array) => void) => {
        for (let k = 0; k < D; k++) zp[k] = z[k] + eps * v[k];
        f(zp, gp);
        for (let k = 0; k < D; k++) zp[k] = z[k] - eps * v[k];
        f(zp, gm);
        zp.set(z);
        return Float64Array.from(gp, (e, k) => (e - gm[k]) / (2 * eps));
      };
      const gz = new Float64Array(D);
      p.innerGradZ(z, x, batch, gz);
      assert.ok(relErr(gz, gradFd((zz) => p.innerValue(zz, x, batch))) < FD_REL, '∇_z g');
      const hv = new Float64Array(D);
      p.innerHvp(z, x, v, batch, hv);
      assert.ok(relErr(hv, dirFd((zz, out) => p.innerGradZ(zz, x, batch, out))) < FD_REL, 'HVP');
      const fz = new Float64Array(D);
      p.outerGradZ(z, x, vbatch, fz);
      assert.ok(relErr(fz, gradFd((zz) => p.outerValue(zz, x, vbatch))) < FD_REL, '∇_z f');
      const fhv = new Float64Array(D);
      p.outerHvp(z, x, v, vbatch, fhv);
      assert.ok(relErr(fhv, dirFd((zz, out) => p.outerGradZ(zz, x, vbatch, out))) < FD_REL, 'outer HVP');
      // x-derivatives: cross = ∂_x ⟨∇_z g, v⟩, ∇_x g = ∂_x g, and the outer ones vanish
      const xp = Float64Array.from(x);
      const cross = new Float64Array(p.dimX);
      const gx = new Float64Array(p.dimX);
      p.innerCross(z, x, v, batch, cross);
      p.innerGradX(z, x, batch, gx);
      const fdC = new Float64Array(p.dimX);
      const fdX = new Float64Array(p.dimX);
      for (let k = 0; k < p.dimX; k++) {
        xp[k] = x[k] + eps;
        p.innerGradZ(z, xp, batch, gp);
        const up = p.innerValue(z, xp, batch);
        xp[k] = x[k] - eps;
        p.innerGradZ(z, xp, batch, gm);
        const down = p.innerValue(z, xp, batch);
        xp[k] = x[k];
        let s = 0;
        for (let i = 0; i < D; i++) s += (gp[i] - gm[i]) * v[i];
        fdC[k] = s / (2 * eps);
        fdX[k] = (up - down) / (2 * eps);
      }
      assert.ok(relErr(cross, fdC) < FD_REL, `cross: ${relErr(cross, fdC)}`);
      assert.ok(relErr(gx, fdX) < FD_REL, `∇_x g: ${relErr(gx, fdX)}`);
      const zero = new Float64Array(p.dimX).fill(7);
      p.outerGradX(z, x, vbatch, zero);
      assert.deepEqual(Array.from(zero), new Array(p.dimX).fill(0));
      zero.fill(7);
      p.outerCross(z, x, v, vbatch, zero);
      assert.deepEqual(Array.from(zero), new Array(p.dimX).fill(0));
    }
  });
}

test('the dense Hessian is symmetric and equals the full-batch HVP column by column (d\' = 14 and 13, n = 90)', () => {
  // odd and even d' and n = 90 ≡ 2 (mod 4) exercise every remainder of the blocked Gram kernel
  for (const intercept of [true, false]) {
    const p = multiclassHpo(train, val, { reg: 'feature', intercept });
    const D = p.dimZ;
    const rng = Rng.fromSeed(3);
    const z = rng.normals(new Float64Array(D));
    const x = rng.normals(new Float64Array(p.dimX));
    const H = p.innerHessian(z, x, matrix(D, D));
    const e = new Float64Array(D);
    const col = new Float64Array(D);
    for (let q = 0; q < D; q++) {
      e.fill(0);
      e[q] = 1;
      p.innerHvp(z, x, e, p.fullInner, col);
      for (let r = 0; r < D; r++) {
        assert.ok(Math.abs(H.data[r * D + q] - col[r]) < SUM_ABS, `H[${r},${q}]`);
        assert.equal(H.data[r * D + q], H.data[q * D + r]);
      }
    }
  }
});

test('Newton solves the inner problem to ‖∇G‖ ≤ 1e-10 and agrees with L-BFGS; a warm start needs no step', () => {
  for (const reg of ['class', 'feature', 'scalar'] as const) {
    const p = multiclassHpo(train, val, { reg });
    const x = new Float64Array(p.dimX).fill(-3);
    const s = p.solveInner(x);
    assert.ok(s.converged && s.gradNorm <= 1e-10, `${reg}: ‖∇G‖ = ${s.gradNorm}`);
    assert.ok(s.iterations <= 30, `${reg}: ${s.iterations} Newton steps`);
    const g = new Float64Array(p.dimZ);
    p.innerGradZ(s.z, x, p.fullInner, g);
    assert.ok(nrm2(g) <= 1e-10);
    const l = solveInnerLbfgs(p, x, { tol: 1e-9 });
    // ‖z − z*‖ ≤ ‖∇G‖/μ with μ = e^{-3}: 1e-9·e^3 ≈ 2e-8
    assert.ok(relErr(s.z, l.z) < 1e-7, `${reg}: Newton vs L-BFGS ${relErr(s.z, l.z)}`);
    assert.equal(p.solveInner(x, { z0: s.z }).iterations, 0);
  }
});

const DIGITS = fileURLToPath(new URL('../../../../shared/data/uci/digits.csv.gz', import.meta.url));

test('digits at full size (K = 10, d\' = 65, dimZ = 650): Newton reaches ‖∇G‖ ≤ 1e-10 from zero', { skip: !existsSync(DIGITS) && 'no ../shared/data' }, () => {
  const parts = splitTrainValTest(loadClassificationCsv(DIGITS), Rng.fromSeed(0));
  const p = multiclassHpo(parts.train, parts.val);
  assert.equal(p.dimZ, 650);
  const s = p.solveInner(new Float64Array(10).fill(-8));
  // measured: 7 steps at e^x = e^-8 (about 0.25 s each here)
  assert.ok(s.converged && s.gradNorm <= 1e-10 && s.iterations <= 15, `‖∇G‖ = ${s.gradNorm} after ${s.iterations} steps`);
});

test('the exact hypergradient matches a central difference of h and the generic CG hypergradient', () => {
  for (const reg of ['class', 'feature'] as const) {
    const p = multiclassHpo(train, val, { reg });
    const x = Rng.fromSeed(5).normals(new Float64Array(p.dimX));
    for (let k = 0; k < p.dimX; k++) x[k] = x[k] * 0.5 - 2;
    const hg = p.hypergradient(x);
    const eps = 1e-5;
    const fd = new Float64Array(p.dimX);
    const xp = Float64Array.from(x);
    for (let k = 0; k < p.dimX; k++) {
      xp[k] = x[k] + eps;
      const up = p.hypergradient(xp, { z0: hg.z }).value;
      xp[k] = x[k] - eps;
      const down = p.hypergradient(xp, { z0: hg.z }).value;
      xp[k] = x[k];
      fd[k] = (up - down) / (2 * eps);
    }
    // h is smooth with O(1) third derivatives here: truncation eps² ≈ 1e-10, round-off 1e-16/eps ≈ 1e-11
    assert.ok(relErr(hg.grad, fd) < 1e-6, `${reg}: ∇h vs FD ${relErr(hg.grad, fd)}`);
    const cg = hypergradientCg(p, x, (xx, o) => p.solveInner(xx, o));
    assert.ok(relErr(hg.grad, cg.grad) < 1e-9, `${reg}: Cholesky vs CG ${relErr(hg.grad, cg.grad)}`);
    assert.equal(hg.value, p.outerValue(hg.z, x, p.fullOuter));
  }
});

test('metrics: validation error always, test error and loss with a test split, counted by argmax', () => {
  const p = multiclassHpo(train, val, { test: testSet });
  const x = new Float64Array(3).fill(-2);
  const { z } = p.solveInner(x);
  const m = p.metrics(x, z);
  assert.deepEqual(Object.keys(m).sort(), ['testError', 'testLoss', 'valError']);
  const errorOf = (M: { rows: number; cols: number; data: Float64Array }, y: Int32Array) => {
    let wrong = 0;
    for (let j = 0; j < M.rows; j++) {
      const logits = [0, 1, 2].map((c) => {
        let s = 0;
        for (let i = 0; i < M.cols; i++) s += z[c * M.cols + i] * M.data[j * M.cols + i];
        return s;
      });
      if (logits.indexOf(Math.max(...logits)) !== y[j]) wrong++;
    }
    return wrong / M.rows;
  };
  assert.equal(m.valError, errorOf(p.B, p.yB));
  assert.ok(p.C && p.yC);
  assert.equal(m.testError, errorOf(p.C, p.yC));
  assert.ok(m.testLoss > 0 && m.testLoss < Math.log(3));
  assert.deepEqual(Object.keys(multiclassHpo(train, val).metrics(x, z)), ['valError']);
});

test('innerConstants bound the Hessian: μ·I ≤ H ≤ L·I on random directions, per-sample bound ≥ L', () => {
  const p = multiclassHpo(train, val);
  const x = Float64Array.of(-1, 0, -2);
  const c = p.innerConstants(x);
  assert.equal(c.mu, Math.exp(-2));
  assert.ok(c.LMaxSample >= c.L);
  const rng = Rng.fromSeed(8);
  const z = rng.normals(new Float64Array(p.dimZ));
  const hv = new Float64Array(p.dimZ);
  for (let t = 0; t < 20; t++) {
    const v = rng.normals(new Float64Array(p.dimZ));
    p.innerHvp(z, x, v, p.fullInner, hv);
    let q = 0;
    for (let k = 0; k < p.dimZ; k++) q += v[k] * hv[k];
    const vv = nrm2(v) ** 2;
    assert.ok(q >= c.mu * vv * (1 - 1e-12) && q <= c.L * vv * (1 + 1e-12));
  }
});

const bad: [string, () => unknown, RegExp][] = [
  ['an unknown reg', () => multiclassHpo(train, val, { reg: 'row' } as unknown as MulticlassHpoOptions), /reg must be "class", "feature" or "scalar", received "row"/],
  ['an unknown standardize', () => multiclassHpo(train, val, { standardize: 'all' } as unknown as MulticlassHpoOptions), /standardize must be/],
  ['an unknown option', () => multiclassHpo(train, val, { regularization: 'class' } as unknown as MulticlassHpoOptions), /unknown option "regularization"/],
  ['a non-boolean intercept', () => multiclassHpo(train, val, { intercept: 1 } as unknown as MulticlassHpoOptions), /intercept must be true or false/],
  [
    'mismatched feature counts',
    () => multiclassHpo(train, { ...val, features: { rows: 1, cols: 2, data: new Float64Array(2) }, labels: Int32Array.of(0) }),
    /validation data has 2 features but the training data has 13/,
  ],
  ['an empty test set', () => multiclassHpo(train, val, { test: { ...val, features: { rows: 0, cols: 13, data: new Float64Array(0) }, labels: new Int32Array(0) } }), /the test data set is empty/],
  ['a label out of range', () => multiclassHpo(train, { ...val, labels: Int32Array.from(val.labels, (l, j) => (j === 4 ? 3 : l)) }), /row 5: label 3 is not a class index in 0..2/],
  ['a single training class', () => multiclassHpo({ ...train, labels: new Int32Array(train.labels.length) }, val), /single class/],
];
for (const [what, build, message] of bad) {
  test(`multiclassHpo rejects ${what} with an InputError`, () => {
    assert.throws(build, (err: unknown) => err instanceof InputError && message.test(err.message));
  });
}

test('oracles reject nothing silently: solveInner checks the lengths of x and z0', () => {
  const p = multiclassHpo(train, val);
  assert.throws(() => p.solveInner(new Float64Array(2)), /x has 2 entries, expected dimX = 3/);
  assert.throws(() => p.solveInner(new Float64Array(3), { z0: new Float64Array(5) }), /z0 has 5 entries, expected dimZ = 42/);
});

test('labels of a split with fewer class names still index the full K', () => {
  // a validation file that happens to hold classes 0..1 only keeps K from the training set
  const twoNames: Dataset = { ...val, classNames: ['class_0', 'class_1'], labels: Int32Array.from(val.labels, (l) => Math.min(l, 1)) };
  assert.equal(multiclassHpo(train, twoNames).nClasses, 3);
});

test('the (K·(d+1))² Hessian and the copies of the data are checked against the memory budget before they are allocated', () => {
  // wine, 13 features and 3 classes: a 42 × 42 Hessian; a 10 KiB budget cannot hold the copies of the data
  assert.throws(
    () => multiclassHpo(train, val, { memoryBudget: 10 * 1024 }),
    (e: unknown) =>
      e instanceof InputError &&
      /multiclass-hpo with 13 features and 3 classes: needs the data as given .* \+ the exact evaluation's dense Hessian \(3 classes × 14\)² × 8 bytes = 13\.8 KiB .* more than the memory budget of 10 KiB/.test(e.message),
  );
  assert.equal(multiclassHpo(train, val, { memoryBudget: 2 ** 20 }).dimZ, 42);
});
