// Implicit differentiation, the deterministic baseline: gradient descent on h with a hypergradient accurate to the
// inner and linear-system tolerances, so it converges linearly at GD's rate on a strongly convex quadratic h.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, symEig } from '@bilevel/linalg';
import { quadraticProblem, referenceSolution } from '@bilevel/problems';
import { buildProblem } from '@bilevel/cli';
import { implicitDiff, CONTRACT_QUADRATIC } from '@bilevel/solvers';
import { runLoop } from '@bilevel/streams';

const problem = quadraticProblem(CONTRACT_QUADRATIC);
const spectrum = symEig(problem.outerHessian()).values;
const [muH, Lh] = [spectrum[0], spectrum[spectrum.length - 1]];
const g0 = nrm2(problem.hypergradient(new Float64Array(problem.dimX)).grad);
const rel = (x: Float64Array) => nrm2(problem.hypergradient(x).grad) / g0;

test('implicitDiff: ‖∇h‖ contracts at least by GD\'s (1 − μ_h/L_h) per step, then reaches the tolerance floor', () => {
  // theory: GD with step 1/L_h on a quadratic h gives ‖∇h_k‖ ≤ (1 − μ_h/L_h)^k ‖∇h_0‖ (here 0.891^k)
  const bound = Math.pow(1 - muH / Lh, 100);
  for (const options of [{}, { linsys: 'exact' as const }, { inner: 'lbfgs' as const }, { inner: 'gd' as const, innerStep: 1 }]) {
    const r100 = rel(runLoop(problem, implicitDiff({ ...options, outerStep: 1 / Lh }), { maxIter: 100 }).x);
    assert.ok(r100 <= bound * 1.01, `${JSON.stringify(options)}: ${r100} > ${bound}`); // measured 2.4e-6 ≤ 9.7e-6
    const r200 = rel(runLoop(problem, implicitDiff({ ...options, outerStep: 1 / Lh }), { maxIter: 200 }).x);
    // measured 1.0e-10 (CG), 2.3e-11 (exact), 5.3e-11 (L-BFGS), 3.2e-10 (GD): the 1e-10 tolerances set the floor
    assert.ok(r200 < 1e-9, `${JSON.stringify(options)}: ${r200}`);
  }
});

test('implicitDiff (exact inner and linear system) reaches round-off: rel‖∇h‖ < 1e-13 in 400 steps', () => {
  const last = runLoop(problem, implicitDiff({ linsys: 'exact', outerStep: 1 / Lh }), { maxIter: 400 });
  assert.ok(rel(last.x) < 1e-13, `${rel(last.x)}`); // measured 9.3e-16
});

test('implicitDiff on logistic HPO (breast cancer): x reaches the L-BFGS reference to 1e-6', () => {
  const logreg = buildProblem({ problem: 'logreg-hpo', reg: 'scalar', standardize: 'train', seed: 0 });
  const ref = referenceSolution(logreg); // x* = −5.573
  const last = runLoop(logreg, implicitDiff({ outerStep: 30 }), { maxIter: 60 });
  // measured |x − x*| = 2e-8 after 50 steps with γ = 30 (h is flat in x: ∇h is O(1e-2) at x = 0)
  assert.ok(Math.abs(last.x[0] - ref.x[0]) < 1e-6, `x = ${last.x[0]} vs ${ref.x[0]}`);
});
