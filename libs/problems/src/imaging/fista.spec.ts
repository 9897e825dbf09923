import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fista, fistaWorkspace } from './fista';

/** A diagonal quadratic ½Σ d_i (u_i − b_i)² with spectrum [μ, L]: minimizer b, ∇f = d ⊙ (u − b). */
function quadratic(n: number, mu: number, L: number, seed: number) {
  const d = Float64Array.from({ length: n }, (_, i) => mu * (L / mu) ** (i / (n - 1)));
  const b = Float64Array.from({ length: n }, (_, i) => Math.sin(seed + 3 * i));
  return { d, b, grad: (u: Float64Array, g: Float64Array) => u.forEach((e, i) => (g[i] = d[i] * (e - b[i]))) };
}

test('fista: reaches ‖∇f‖ ≤ tol on strongly convex quadratics, so ‖z − z*‖ ≤ tol/μ; a solved start costs no iteration', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 40 }), fc.double({ min: 1e-3, max: 1, noNaN: true }), fc.integer({ min: 0, max: 99 }), (n, mu, seed) => {
      const q = quadratic(n, mu, 1, seed);
      const z = new Float64Array(n);
      const res = fista(q.grad, z, fistaWorkspace(n), { L: 1, mu, tol: 1e-10, maxIter: 100_000 });
      assert.ok(res.converged && res.gradNorm <= 1e-10);
      const err = Math.sqrt(z.reduce((a, e, i) => a + (e - q.b[i]) ** 2, 0));
      assert.ok(err <= 1e-10 / mu + 1e-15, `‖z − z*‖ = ${err}`);
      assert.equal(fista(q.grad, z, fistaWorkspace(n), { L: 1, mu, tol: 1e-10, maxIter: 10 }).iterations, 0);
    }),
    { numRuns: 50, seed: 3 },
  );
});

test('fista: the strongly convex momentum needs O(√κ log(1/ε)) iterations, far fewer than plain FISTA at κ = 10⁴', () => {
  const q = quadratic(50, 1e-4, 1, 1);
  const run = (mu: number) => fista(q.grad, new Float64Array(50), fistaWorkspace(50), { L: 1, mu, tol: 1e-8, maxIter: 1_000_000 }).iterations;
  const strong = run(1e-4);
  const plain = run(0);
  // √κ·ln(‖∇f₀‖/tol) ≈ 100·18 = 1800 at most; measured: strongly convex 1277, plain 19232
  assert.ok(strong <= 2000 && plain > 3 * strong, `strongly convex ${strong}, plain ${plain}`);
});
