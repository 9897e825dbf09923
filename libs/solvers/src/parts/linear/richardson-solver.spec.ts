import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, Rng } from '@bilevel/linalg';
import type { Matvec } from './linear-solver';
import { neumannSolver } from './neumann-solver';
import { richardsonSolver } from './richardson-solver';

// A = diag(d): the error of each coordinate contracts by exactly (1 − βd_i) per step.
const d = Float64Array.from([0.1, 0.3, 0.5, 1, 2]);
const A: Matvec = (p, out) => {
  for (let i = 0; i < d.length; i++) out[i] = d[i] * p[i];
};

test('richardsonSolver: x_K − x* = (I − βA)^K (x₀ − x*), coordinate by coordinate', () => {
  const rng = Rng.fromSeed(1);
  const b = rng.normals(new Float64Array(d.length));
  const x0 = rng.normals(new Float64Array(d.length));
  const beta = 0.4;
  for (const K of [1, 3, 17]) {
    const x = Float64Array.from(x0);
    const info = richardsonSolver({ steps: K, step: beta }).solve(A, b, x);
    assert.deepEqual(info, { iterations: K, matvecs: K });
    for (let i = 0; i < d.length; i++) {
      const xs = b[i] / d[i];
      const expected = xs + Math.pow(1 - beta * d[i], K) * (x0[i] - xs);
      assert.ok(Math.abs(x[i] - expected) <= 1e-13 * (1 + Math.abs(xs)), `K=${K} i=${i}`);
    }
  }
});

test('richardsonSolver from zero: K steps equal the Neumann series with K − 1 products', () => {
  const b = Rng.fromSeed(2).normals(new Float64Array(d.length));
  const x = new Float64Array(d.length);
  richardsonSolver({ steps: 8, step: 0.3 }).solve(A, b, x);
  const y = new Float64Array(d.length);
  neumannSolver({ terms: 7, eta: 0.3 }).solve(A, b, y);
  assert.ok(nrm2(Float64Array.from(x, (v, i) => v - y[i])) <= 1e-14 * nrm2(y));
});

test('richardsonSolver: options are validated', () => {
  assert.throws(() => richardsonSolver({ steps: 0 }), /richardsonSolver: steps must be a positive integer, received 0/);
  assert.throws(() => richardsonSolver({ step: -0.1 }), /richardsonSolver: step must be a positive finite number, received -0.1/);
  assert.throws(() => richardsonSolver({ eta: 1 } as never), /richardsonSolver: unknown option "eta"/);
  assert.deepEqual(richardsonSolver().options, { steps: 10, step: 0.1 });
});
