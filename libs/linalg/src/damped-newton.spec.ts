// dampedNewton: one full step on a quadratic lands on the closed-form minimizer; on a strongly convex non-quadratic
// (log-sum-exp plus a ridge) it reaches ‖∇f‖ ≤ 1e-10 from far away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dampedNewton } from './damped-newton';
import { matrix } from './matrix';
import type { Matrix } from './matrix';

test('a quadratic ½zᵀAz − bᵀz is solved in one step (z = A⁻¹b)', () => {
  const A = [4, 1, 1, 3];
  const b = [1, 2];
  const f = {
    value: (z: Float64Array) => 0.5 * (A[0] * z[0] * z[0] + 2 * A[1] * z[0] * z[1] + A[3] * z[1] * z[1]) - b[0] * z[0] - b[1] * z[1],
    gradient: (z: Float64Array, g: Float64Array) => {
      g[0] = A[0] * z[0] + A[1] * z[1] - b[0];
      g[1] = A[2] * z[0] + A[3] * z[1] - b[1];
    },
    hessian: (_z: Float64Array, H: Matrix) => H.data.set(A),
  };
  const r = dampedNewton(f, new Float64Array(2), matrix(2, 2), { tol: 1e-12, maxIter: 10 });
  // A⁻¹b = (1/11)·[3·1 − 1·2, −1·1 + 4·2] = [1/11, 7/11]
  assert.ok(Math.abs(r.z[0] - 1 / 11) < 1e-14 && Math.abs(r.z[1] - 7 / 11) < 1e-14);
  assert.equal(r.iterations, 1);
  assert.ok(r.converged);
});

test('log-sum-exp plus a ridge: converges to ‖∇f‖ ≤ 1e-10 from far away', () => {
  const c = [3, -1, 0.5];
  const mu = 0.1;
  const soft = (z: Float64Array) => {
    const e = Array.from(z, (v, i) => Math.exp(v - c[i]));
    const s = e.reduce((a, v) => a + v, 0);
    return { p: e.map((v) => v / s), lse: Math.log(s) };
  };
  const f = {
    value: (z: Float64Array) => soft(z).lse + 0.5 * mu * z.reduce((a, t) => a + t * t, 0),
    gradient: (z: Float64Array, g: Float64Array) => soft(z).p.forEach((p, i) => (g[i] = p + mu * z[i])),
    hessian: (z: Float64Array, H: Matrix) => {
      const { p } = soft(z);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) H.data[i * 3 + j] = (i === j ? p[i] + mu : 0) - p[i] * p[j];
    },
  };
  const r = dampedNewton(f, Float64Array.of(40, -30, 25), matrix(3, 3), { tol: 1e-10, maxIter: 100 });
  assert.ok(r.converged, `‖∇f‖ = ${r.gradNorm}`);
  const g = new Float64Array(3);
  f.gradient(r.z, g);
  assert.ok(Math.hypot(...g) <= 1e-10);
});
