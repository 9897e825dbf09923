// The far start has the requested hypergradient norm, deterministic in its seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2 } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { farStart } from './far-start';

const problem = quadraticProblem({ dimZ: 3, dimX: 4, nInner: 8, nOuter: 8, seed: 1 });
/** ∇h is affine, so ‖∇h(x₀)‖ = G up to the round-off of the closed form. */
const GRADIENT_TOL = 1e-9;

test('‖∇h(x₀)‖ = G, on the ray from x*; the same for the same seed, another for another seed', () => {
  const a = farStart(problem, 7, 100);
  assert.ok(Math.abs(nrm2(problem.hypergradient(a).grad) - 100) < GRADIENT_TOL * 100);
  assert.deepEqual(farStart(problem, 7, 100), a);
  assert.notDeepEqual(farStart(problem, 8, 100), a);
  const xs = problem.solution().x;
  const half = farStart(problem, 7, 50);
  half.forEach((v, i) => assert.ok(Math.abs(v - xs[i] - (a[i] - xs[i]) / 2) < 1e-9));
});

test('a problem without a closed-form solution is refused', () => {
  const opaque = { ...problem, name: 'opaque', solution: undefined, dimX: 4 } as unknown as typeof problem;
  assert.throws(() => farStart(opaque, 1, 1), /farStart: problem "opaque" has no closed-form solution\(\)/);
  assert.throws(() => farStart(problem, 1, -1), /gradientNorm must be a finite number ≥ 0/);
});
