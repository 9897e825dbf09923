// The autodiff logistic problem (tfjs, float32) against the analytic LogregHpo (float64 closed-form oracles, see
// libs/problems/src/logreg-hpo.ts) on the same standardized data: the first 120 rows of the bundled breast-cancer
// set, split 60/60.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@bilevel/linalg';
import { logregHpo } from '@bilevel/problems';
import type { LogregHpo } from '@bilevel/problems';
import { autodiffProblem, AUTODIFF_INNER_TOL } from './autodiff-problem';
import type { AutodiffProblem } from './autodiff-problem';
import { initEngine } from './engine';
import { breastCancerSlice } from './fixtures/breast-cancer-slice';
import { logregAutodiff } from './logreg-autodiff';

/**
 * Autodiff (float32) vs analytic (float64), norm-wise relative: the only difference is float32 round-off, unit
 * roundoff 6e-8 amplified by the accumulations (30-term dot products, means over up to 60 samples) to ~1e-7..1e-6
 * (measured ≤ 5e-7). 1e-4 leaves two orders of margin; a formula or op mistake is off by far more (≥ 1e-2).
 */
const AGREEMENT_TOL = 1e-4;
/** Values: float32 relative round-off of a sum of ~30 O(1) terms (measured ≤ 3e-7 relative). */
const VALUE_TOL = 1e-5;
/**
 * Hypergradient: float32 z* (‖∇G‖ ≤ 1e-5 with μ = e^x ≥ e^{-1}), v* by CG on float32 HVPs and a float32 cross
 * product: ~1e-6 expected (measured ≤ 5e-7); 1e-3 leaves margin.
 */
const HYPERGRADIENT_TOL = 1e-3;
const BATCH = 32;

const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  let s = 1e-12;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(a[i]), Math.abs(b[i]));
  }
  return d / s;
};

const data = breastCancerSlice();
const cases: { reg: 'scalar' | 'feature'; analytic: LogregHpo; autodiff: AutodiffProblem; dispose: () => void }[] = [];

before(async () => {
  await initEngine();
  for (const reg of ['scalar', 'feature'] as const) {
    const analytic = logregHpo(data.train, data.val, { reg });
    const { problem, dispose } = logregAutodiff(analytic, 'softplus');
    cases.push({ reg, analytic, autodiff: problem, dispose });
  }
});
after(() => cases.forEach((c) => c.dispose()));

/** Every oracle of both problems at (z, x, v, batches); returns the worst relative error per oracle. */
function compareAt(an: LogregHpo, ad: AutodiffProblem, rng: Rng, batchSize: number | 'full') {
  const z = rng.normals(new Float64Array(an.dimZ));
  const x = rng.normals(new Float64Array(an.dimX));
  const v = rng.normals(new Float64Array(an.dimZ));
  const bIn = batchSize === 'full' ? an.fullInner : rng.permutation(an.nInner).subarray(0, batchSize);
  const bOut = batchSize === 'full' ? an.fullOuter : rng.permutation(an.nOuter).subarray(0, batchSize);
  const [a, b] = [new Float64Array(an.dimZ), new Float64Array(an.dimZ)];
  const [p, q] = [new Float64Array(an.dimX), new Float64Array(an.dimX)];
  const errors: Record<string, number> = {};
  const vecCase = (name: string, fa: () => void, fb: () => void, ua: Float64Array, ub: Float64Array) => {
    fa();
    fb();
    errors[name] = relErr(ua, ub);
  };
  errors.innerValue = relErr([an.innerValue(z, x, bIn)], [ad.innerValue(z, x, bIn)]);
  errors.outerValue = relErr([an.outerValue(z, x, bOut)], [ad.outerValue(z, x, bOut)]);
  vecCase('innerGradZ', () => an.innerGradZ(z, x, bIn, a), () => ad.innerGradZ(z, x, bIn, b), a, b);
  vecCase('innerHvp', () => an.innerHvp(z, x, v, bIn, a), () => ad.innerHvp(z, x, v, bIn, b), a, b);
  vecCase('innerCross', () => an.innerCross(z, x, v, bIn, p), () => ad.innerCross(z, x, v, bIn, q), p, q);
  vecCase('outerGradZ', () => an.outerGradZ(z, x, bOut, a), () => ad.outerGradZ(z, x, bOut, b), a, b);
  vecCase('outerGradX', () => an.outerGradX(z, x, bOut, p), () => ad.outerGradX(z, x, bOut, q), p, q);
  vecCase('innerGradX', () => an.innerGradX(z, x, bIn, p), () => ad.innerGradX(z, x, bIn, q), p, q);
  vecCase('outerHvp', () => an.outerHvp(z, x, v, bOut, a), () => ad.outerHvp(z, x, v, bOut, b), a, b);
  vecCase('outerCross', () => an.outerCross(z, x, v, bOut, p), () => ad.outerCross(z, x, v, bOut, q), p, q);
  return errors;
}

for (const reg of ['scalar', 'feature'] as const) {
  test(`autodiff logistic (reg ${reg}) agrees with the analytic LogregHpo on every oracle at random points`, (t) => {
    const { analytic, autodiff } = cases.find((c) => c.reg === reg)!;
    assert.equal(autodiff.dimX, reg === 'scalar' ? 1 : analytic.dimZ);
    let worst = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom<number | 'full'>(BATCH, 'full'), (seed, batchSize) => {
        const errors = compareAt(analytic, autodiff, Rng.fromSeed(seed), batchSize);
        for (const [name, e] of Object.entries(errors)) {
          const tol = name.endsWith('Value') ? VALUE_TOL : AGREEMENT_TOL;
          assert.ok(e <= tol, `${name}: relative error ${e.toExponential(2)} > ${tol} (seed ${seed}, batch ${batchSize})`);
          worst = Math.max(worst, name.endsWith('Value') ? 0 : e);
        }
      }),
      { numRuns: 12, seed: 42 },
    );
    t.diagnostic(`max relative error autodiff vs analytic over derivative oracles (reg ${reg}): ${worst.toExponential(2)}`);
  });

  test(`autodiff logistic (reg ${reg}): solveInner and hypergradient match the analytic ones`, (t) => {
    const { analytic, autodiff } = cases.find((c) => c.reg === reg)!;
    const x = Rng.fromSeed(5).normals(new Float64Array(analytic.dimX)).map((e) => 0.5 * e);

    const inner = autodiff.solveInner(x);
    const hg = autodiff.hypergradient(x);
    const ref = analytic.hypergradient(x);

    assert.ok(inner.converged && inner.gradNorm <= AUTODIFF_INNER_TOL, `inner solve stopped at ‖∇G‖ = ${inner.gradNorm}`);
    assert.ok(relErr(inner.z, ref.z) <= HYPERGRADIENT_TOL, `z* relative error ${relErr(inner.z, ref.z)}`);
    const e = relErr(hg.grad, ref.grad);
    assert.ok(e <= HYPERGRADIENT_TOL, `∇h relative error ${e}`);
    assert.ok(Math.abs(hg.value - ref.value) <= VALUE_TOL * Math.abs(ref.value));
    t.diagnostic(`‖∇G‖ = ${inner.gradNorm.toExponential(2)} after ${inner.iterations} iterations; ∇h relative error ${e.toExponential(2)}`);
  });
}

test('innerHvp and innerCross at the same arguments share one double-backprop pass', () => {
  const { analytic, autodiff } = cases[1];
  const rng = Rng.fromSeed(11);
  const z = rng.normals(new Float64Array(analytic.dimZ));
  const x = rng.normals(new Float64Array(analytic.dimX));
  const v = rng.normals(new Float64Array(analytic.dimZ));
  const hv = new Float64Array(analytic.dimZ);
  const cr = new Float64Array(analytic.dimX);
  const hv2 = new Float64Array(analytic.dimZ);
  const cr2 = new Float64Array(analytic.dimX);
  const before0 = autodiff.counters();

  autodiff.innerHvp(z, x, v, analytic.fullInner, hv);
  autodiff.innerCross(z, x, v, analytic.fullInner, cr);
  const afterPair = autodiff.counters();
  v[0] += 1; // the caller reuses its buffer: a new v must not hit the cache
  autodiff.innerHvpCross(z, x, v, analytic.fullInner, hv2, cr2);
  const afterChange = autodiff.counters();

  assert.equal(afterPair.secondOrderPasses - before0.secondOrderPasses, 1);
  assert.equal(afterPair.cacheHits - before0.cacheHits, 1);
  assert.equal(afterChange.secondOrderPasses - afterPair.secondOrderPasses, 1);
  analytic.innerHvp(z, x, v, analytic.fullInner, hv);
  analytic.innerCross(z, x, v, analytic.fullInner, cr);
  assert.ok(relErr(hv, hv2) <= AGREEMENT_TOL && relErr(cr, cr2) <= AGREEMENT_TOL);
});

test('oracles leak no tensors: tf.memory().numTensors is unchanged after many calls', () => {
  const { analytic, autodiff } = cases[0];
  const rng = Rng.fromSeed(3);
  const z = rng.normals(new Float64Array(analytic.dimZ));
  const x = rng.normals(new Float64Array(analytic.dimX));
  const v = rng.normals(new Float64Array(analytic.dimZ));
  const g = new Float64Array(analytic.dimZ);
  const c = new Float64Array(analytic.dimX);
  const batch = analytic.fullInner.subarray(0, BATCH);
  autodiff.innerHvp(z, x, v, batch, g); // warm-up (kernel registration, backend buffers)
  const tensors = tf.memory().numTensors;

  for (let k = 0; k < 40; k++) {
    v[k % v.length] += 0.01;
    autodiff.innerValue(z, x, batch);
    autodiff.outerValue(z, x, batch);
    autodiff.innerGradZ(z, x, batch, g);
    autodiff.outerGradZ(z, x, batch, g);
    autodiff.outerGradX(z, x, batch, c);
    autodiff.innerHvp(z, x, v, batch, g);
    autodiff.innerCross(z, x, v, batch, c);
  }
  autodiff.hypergradient(new Float64Array(analytic.dimX));

  assert.equal(tf.memory().numTensors, tensors);
});

test('time per oracle call on a batch of 32: analytic vs autodiff (reported, not asserted)', (t) => {
  const { analytic, autodiff } = cases[0];
  const rng = Rng.fromSeed(9);
  const z = rng.normals(new Float64Array(analytic.dimZ));
  const x = rng.normals(new Float64Array(analytic.dimX));
  const v = rng.normals(new Float64Array(analytic.dimZ));
  const out = new Float64Array(analytic.dimZ);
  const batch = analytic.fullInner.subarray(0, BATCH);
  const perCall = (reps: number, f: (k: number) => void) => {
    for (let k = 0; k < 5; k++) f(k);
    const t0 = performance.now();
    for (let k = 0; k < reps; k++) f(k);
    return (performance.now() - t0) / reps;
  };
  const rows = [
    ['innerGradZ', perCall(2000, () => analytic.innerGradZ(z, x, batch, out)), perCall(100, () => autodiff.innerGradZ(z, x, batch, out))],
    [
      'innerHvp',
      perCall(2000, () => analytic.innerHvp(z, x, v, batch, out)),
      perCall(100, (k) => {
        v[0] = k; // defeat the HVP/cross cache: every call is a double-backprop pass
        autodiff.innerHvp(z, x, v, batch, out);
      }),
    ],
  ] as const;
  for (const [name, a, b] of rows) t.diagnostic(`${name}: analytic ${(1000 * a).toFixed(1)} µs, autodiff (${tf.getBackend()}) ${(1000 * b).toFixed(0)} µs per call`);
  assert.ok(rows.every(([, a, b]) => a > 0 && b > 0));
});

test('outerGradX is exactly zero when F does not depend on x (no "Cannot compute gradient")', () => {
  const { analytic, autodiff } = cases[1];
  const out = new Float64Array(analytic.dimX).fill(7);
  autodiff.outerGradX(new Float64Array(analytic.dimZ).fill(0.1), new Float64Array(analytic.dimX), analytic.fullOuter, out);
  assert.deepEqual(Array.from(out), new Array(analytic.dimX).fill(0));
});

test('a custom solveInner replaces the default one, and hypergradient uses it', () => {
  let calls = 0;
  const sq = (t: tf.Tensor1D) => tf.sum(tf.square(t));
  const problem = autodiffProblem({
    dimZ: 2,
    dimX: 1,
    nInner: 1,
    nOuter: 1,
    // G = ½‖z − x·1‖², F = ½‖z‖²: z* = x·1, h(x) = x², ∇h = 2x
    g: (z, x) => tf.mul(0.5, sq(tf.sub(z, x))),
    f: (z) => tf.mul(0.5, sq(z)),
    solveInner: (x) => {
      calls++;
      return { z: Float64Array.from([x[0], x[0]]), gradNorm: 0, iterations: 0, converged: true };
    },
  });

  const hg = problem.hypergradient(Float64Array.from([1.5]));

  assert.equal(calls, 1);
  assert.ok(Math.abs(hg.grad[0] - 3) <= AGREEMENT_TOL * 3, `∇h = ${hg.grad[0]}, expected 3`);
});

test('autodiffProblem validates its spec up front, naming the field, the value and what was expected', () => {
  const g = (z: tf.Tensor1D) => tf.sum(z) as tf.Scalar;
  const ok = { dimZ: 2, dimX: 1, nInner: 3, nOuter: 3, g, f: g };
  assert.throws(() => autodiffProblem({ ...ok, dimZ: 0 }), /autodiffProblem: spec\.dimZ must be a positive integer, received 0/);
  assert.throws(() => autodiffProblem({ ...ok, nOuter: 2.5 }), /spec\.nOuter must be a positive integer, received 2\.5/);
  assert.throws(() => autodiffProblem({ ...ok, dimX: NaN }), /spec\.dimX must be a positive integer, received NaN/);
  assert.throws(() => autodiffProblem({ ...ok, f: undefined as never }), /spec\.f must be a function \(z, x, batch\) => tf\.Scalar, received undefined/);
  assert.throws(() => autodiffProblem({ ...ok, solveInner: 3 as never }), /spec\.solveInner must be a function/);
  assert.throws(() => autodiffProblem(null as never), /spec must be an object/);
});

test('oracles reject bad arguments and non-scalar losses with the oracle and the expectation named', () => {
  const tensors = tf.memory().numTensors;
  const problem = autodiffProblem({
    name: 'bad',
    dimZ: 2,
    dimX: 1,
    nInner: 3,
    nOuter: 3,
    g: (z) => tf.square(z) as unknown as tf.Scalar, // a vector, not the mean loss
    f: (z) => tf.sum(z) as tf.Scalar,
  });
  const z = new Float64Array(2);
  const x = new Float64Array(1);
  assert.throws(() => problem.innerValue(z, x, Int32Array.from([0])), /spec\.g must return a scalar \(rank-0\) tensor.*shape \[2\]/);
  assert.throws(() => problem.outerValue(new Float64Array(3), x, Int32Array.from([0])), /bad\.outerValue: z must be a Float64Array of length 2, received length 3/);
  assert.throws(() => problem.outerGradZ(z, x, Int32Array.from([0, 3]), new Float64Array(2)), /bad\.outerGradZ: batch\[1\] = 3 is outside 0\.\.2/);
  assert.throws(() => problem.outerGradX(z, x, new Int32Array(0), new Float64Array(1)), /batch must be a non-empty Int32Array/);
  assert.equal(tf.memory().numTensors, tensors);
});
