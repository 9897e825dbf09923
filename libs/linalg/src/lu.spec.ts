// LU with partial pivoting: solutions known by construction, pivoting needed, singular matrices reported as data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { luFactor, luSolve } from './lu';
import { gemv } from './gemv';
import { matrix } from './matrix';
import { Rng } from './rng';
import { logSpaced, withSingularValues } from './fixtures/linear-systems';

/** Forward error of a backward-stable solve: ≤ c·n·κ·ε (c generous). */
const FORWARD_ERROR = (n: number, kappa: number) => 100 * n * kappa * Number.EPSILON;

test('luSolve recovers x from b = A·x on random non-symmetric matrices (κ = 1e4) to the backward-stable error', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (n, seed) => {
      const rng = Rng.fromSeed(seed);
      const A = withSingularValues(logSpaced(n, 1e4), rng);
      const xTrue = rng.normals(new Float64Array(n));
      const b = new Float64Array(n);
      gemv(1, A, xTrue, 0, b);
      const f = luFactor(A);
      assert.equal(f.singularAt, -1);
      const x = luSolve(f, b);
      const err = Math.hypot(...x.map((v, i) => v - xTrue[i])) / Math.hypot(...xTrue);
      assert.ok(err <= FORWARD_ERROR(n, 1e4), `${err}`);
    }),
    { seed: 5, numRuns: 60 },
  );
});

test('luFactor pivots: a zero leading entry is no obstacle', () => {
  const f = luFactor(matrix(2, 2, Float64Array.of(0, 1, 1, 0)));
  assert.deepEqual(Array.from(luSolve(f, Float64Array.of(2, 3))), [3, 2]);
});

test('luFactor reports a singular matrix as data (singularAt, pivotRatio 0) and luSolve refuses it', () => {
  const f = luFactor(matrix(3, 3, Float64Array.of(1, 2, 3, 2, 4, 6, 1, 0, 1)));
  assert.ok(f.singularAt >= 0);
  assert.equal(f.pivotRatio, 0);
  assert.throws(() => luSolve(f, new Float64Array(3)), /luSolve: the matrix is singular \(pivot \d is numerically zero\)/);
  assert.throws(() => luFactor(matrix(2, 3)), /luFactor: A must be square, received 2 × 3/);
});
