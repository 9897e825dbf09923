// CG and L-BFGS on problems with known minimizers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conjugateGradient } from './cg';
import { lbfgs } from './lbfgs';

test('conjugateGradient solves a tridiagonal SPD system (1D Laplacian + I) to its tolerance', () => {
  const n = 50;
  const matvec = (p: Float64Array, out: Float64Array) => {
    for (let i = 0; i < n; i++) out[i] = 3 * p[i] - (i > 0 ? p[i - 1] : 0) - (i < n - 1 ? p[i + 1] : 0);
  };
  const xTrue = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
  const b = new Float64Array(n);
  matvec(xTrue, b);
  const x = new Float64Array(n);
  const res = conjugateGradient(matvec, b, x, { rtol: 1e-12 });
  assert.ok(res.converged);
  // κ ≤ 5, so forward error ≤ 5 · 1e-12 relative
  for (let i = 0; i < n; i++) assert.ok(Math.abs(x[i] - xTrue[i]) < 1e-10);
  const warm = conjugateGradient(matvec, b, x, { rtol: 1e-12 });
  assert.ok(warm.iterations <= 1, 'a warm start at the solution needs no iteration');
});

test('conjugateGradient reports non-convergence as data', () => {
  const res = conjugateGradient((p, out) => out.set(p.map((v, i) => v * (i + 1))), new Float64Array(30).fill(1), new Float64Array(30), { maxIter: 3, rtol: 1e-14 });
  assert.equal(res.converged, false);
  assert.equal(res.iterations, 3);
});

test('lbfgs minimizes the Rosenbrock function to its gradient tolerance', () => {
  const fg = (x: Float64Array, g: Float64Array) => {
    const [a, b] = [x[0], x[1]];
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
  };
  const x = Float64Array.from([-1.2, 1]);
  const res = lbfgs(fg, x, { gtol: 1e-9, maxIter: 500 });
  assert.ok(res.converged, JSON.stringify(res));
  assert.ok(Math.abs(x[0] - 1) < 1e-8 && Math.abs(x[1] - 1) < 1e-8);
});

test('lbfgs stops at the precision floor instead of running to maxIter', () => {
  // f = ½‖x‖² + 1e6: at gtol 1e-30 the target is out of reach; round-off must not keep it busy
  let evals = 0;
  const fg = (x: Float64Array, g: Float64Array) => {
    evals++;
    g.set(x);
    return 0.5 * (x[0] * x[0] + x[1] * x[1]) + 1e6;
  };
  const res = lbfgs(fg, Float64Array.from([3, -4]), { gtol: 1e-30, maxIter: 10_000 });
  assert.ok(res.iterations < 100, `${res.iterations} iterations`);
  assert.ok(evals < 2000, `${evals} evaluations`);
  assert.ok(res.gradNorm < 1e-4);
});
