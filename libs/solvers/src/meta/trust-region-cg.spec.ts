import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { conjugateGradient, dot, nrm2 } from '@bilevel/linalg';
import { trustRegionCg } from './trust-region-cg';

/** Agreement with plain CG where the ball does not bind (the same recursions, rounding only). */
const SAME_ITERATES = 1e-12;

/** A diagonal operator diag(d) as a matvec (its eigenvalues are d, its eigenvectors the unit vectors). */
const diagonal = (d: readonly number[]) => (p: Float64Array, out: Float64Array) => {
  for (let i = 0; i < d.length; i++) out[i] = d[i] * p[i];
};
/** The model m(x) = ½xᵀ(A + ρI)x − bᵀx of the trust-region problem. */
const model = (d: readonly number[], b: Float64Array, x: Float64Array, ridge = 0) => {
  let m = 0;
  for (let i = 0; i < d.length; i++) m += 0.5 * (d[i] + ridge) * x[i] * x[i] - b[i] * x[i];
  return m;
};

test('trustRegionCg: inside the ball its iterates are plain CG\'s, on any SPD diagonal system (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0.1, max: 10, noNaN: true }), { minLength: 2, maxLength: 8 }), fc.integer({ min: 1, max: 8 }), (d, steps) => {
      const b = Float64Array.from(d, (_, i) => (i % 3) - 0.7);
      const plain = new Float64Array(d.length);
      conjugateGradient(diagonal(d), b, plain, { rtol: 1e-14, atol: 0, maxIter: steps });
      const x = new Float64Array(d.length);
      // the solution's norm is at most ‖b‖/min d: a ball twice that never binds
      const r = trustRegionCg(diagonal(d), b, x, { radius: (2 * nrm2(b)) / Math.min(...d), maxIter: steps, rtol: 1e-14 });
      assert.notEqual(r.reason, 'boundary');
      assert.ok(nrm2(x.map((e, i) => e - plain[i])) <= SAME_ITERATES * nrm2(plain), `steps ${steps}`);
    }),
    { seed: 18, numRuns: 60 },
  );
});

test('trustRegionCg: a curvature near 0 makes plain CG\'s step huge; the ball caps it at ‖x‖ = Δ and the model still decreases', () => {
  // eigenvalues 1e-6 and 1: the exact solution has ‖x‖ ≈ 1e6 along the first axis
  const d = [1e-6, 1];
  const b = Float64Array.of(1, 1);
  const plain = new Float64Array(2);
  conjugateGradient(diagonal(d), b, plain, { rtol: 1e-14, maxIter: 5 });
  assert.ok(nrm2(plain) > 1e5, `plain CG ‖x‖ = ${nrm2(plain)}`);
  const x = new Float64Array(2);
  const r = trustRegionCg(diagonal(d), b, x, { radius: 3, maxIter: 5, rtol: 1e-14 });
  assert.equal(r.reason, 'boundary');
  assert.ok(Math.abs(nrm2(x) - 3) < 1e-12, `‖x‖ = ${nrm2(x)}`);
  // at least the decrease of the Cauchy point (the model's minimizer along b in the ball): Steihaug's guarantee
  const tauC = Math.min(dot(b, b) / (d[0] * b[0] ** 2 + d[1] * b[1] ** 2), 3 / nrm2(b));
  assert.ok(model(d, b, x) <= model(d, b, b.map((e) => tauC * e)) + 1e-12);
});

test('trustRegionCg: negative curvature is followed to the edge (first direction: x = Δ·b/‖b‖), a ridge shifts the spectrum', () => {
  const b = Float64Array.of(3, 4);
  const x = new Float64Array(2);
  const r = trustRegionCg(diagonal([-1, -2]), b, x, { radius: 2, maxIter: 5, rtol: 1e-12 });
  assert.deepEqual({ reason: r.reason, iterations: r.iterations }, { reason: 'indefinite', iterations: 1 });
  assert.ok(Math.abs(x[0] - 1.2) < 1e-15 && Math.abs(x[1] - 1.6) < 1e-15, `x = ${x}`);
  // A = diag(−1, −2) with a ridge of 4: diag(3, 2), solution (1, 2) inside a ball of 10
  const y = new Float64Array(2);
  const s = trustRegionCg(diagonal([-1, -2]), b, y, { radius: 10, maxIter: 5, rtol: 1e-12, ridge: 4 });
  assert.equal(s.reason, 'converged');
  assert.ok(Math.abs(y[0] - 1) < 1e-12 && Math.abs(y[1] - 2) < 1e-12, `y = ${y}`);
  assert.throws(() => trustRegionCg(diagonal([1]), Float64Array.of(1), new Float64Array(1), { radius: 0, maxIter: 1, rtol: 0 }), /trustRegionCg: options\.radius must be a positive finite number, received 0/);
  assert.throws(() => trustRegionCg(diagonal([1]), Float64Array.of(1), new Float64Array(2), { radius: 1, maxIter: 1, rtol: 0 }), /trustRegionCg: x has length 2, expected 1/);
});
