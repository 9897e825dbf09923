// The generic evaluation from oracles (solveInnerLbfgs, hypergradientCg, referenceSolution) on a problem without a
// closed form: logistic HPO on breast cancer, seen through its oracles only. Reference: the problem's own Newton
// solve, which reaches ‖∇_z G‖ ≈ 1e-16 (the expected z* and h).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, Rng } from '@bilevel/linalg';
import { bundledDataPath } from './bundled';
import { splitDataset } from './dataset';
import { hypergradientCg, referenceSolution, solveInnerLbfgs } from './generic-evaluation';
import { logregHpo } from './logreg-hpo';
import { loadUciCsv } from './uci-csv';
import type { BilevelProblem } from './bilevel-problem';

const data = loadUciCsv(bundledDataPath('breast_cancer.csv'));
const { train, val } = splitDataset(data, 0.6, Rng.fromSeed(0));
const problem = logregHpo(train, val, { reg: 'scalar' });
/** The documented default target of every exact inner solve. */
const DEFAULT_TOL = 1e-10;
/** ‖z − z*‖ ≤ ‖∇_z G‖/μ with μ = e^x ≥ e^−5: 1e-10/0.0067 < 2e-8. */
const Z_TOL = 2e-8;

/** The same problem as a plain object of oracles, with the generic evaluation (as a user's problem would have). */
function oraclesOnly(p: BilevelProblem): BilevelProblem {
  const o: BilevelProblem = {
    name: 'oracles-only',
    dimZ: p.dimZ,
    dimX: p.dimX,
    nInner: p.nInner,
    nOuter: p.nOuter,
    precision: 'float64',
    fullInner: p.fullInner,
    fullOuter: p.fullOuter,
    innerValue: (z, x, b) => p.innerValue(z, x, b),
    outerValue: (z, x, b) => p.outerValue(z, x, b),
    innerGradZ: (z, x, b, out) => p.innerGradZ(z, x, b, out),
    innerHvp: (z, x, v, b, out) => p.innerHvp(z, x, v, b, out),
    innerCross: (z, x, v, b, out) => p.innerCross(z, x, v, b, out),
    outerGradZ: (z, x, b, out) => p.outerGradZ(z, x, b, out),
    outerGradX: (z, x, b, out) => p.outerGradX(z, x, b, out),
    solveInner: (x, options) => solveInnerLbfgs(o, x, options),
    hypergradient: (x, options) => hypergradientCg(o, x, o.solveInner, options),
  };
  return o;
}

test('solveInnerLbfgs reaches the documented ‖∇_z G‖ ≤ 1e-10 where the L-BFGS line search stalls at the precision of G', () => {
  // at these x, L-BFGS alone stopped at ‖∇_z G‖ = 1.9e-10 … 6.1e-9 (its value-based line search can no longer see a
  // decrease of G): the Newton–CG polish on HVPs finishes the solve
  for (const xv of [-5, -2, 0, 2]) {
    const x = Float64Array.of(xv);
    const got = solveInnerLbfgs(problem, x);
    const want = problem.solveInner(x);
    assert.ok(got.converged, `x = ${xv}: stopped at ‖∇_z G‖ = ${got.gradNorm.toExponential(2)}`);
    assert.ok(got.gradNorm <= DEFAULT_TOL);
    assert.equal(got.tol, DEFAULT_TOL);
    const diff = nrm2(Float64Array.from(got.z, (v, i) => v - want.z[i]));
    assert.ok(diff <= Z_TOL, `x = ${xv}: ‖z − z*‖ = ${diff}`);
  }
});

test('an inner solve stopped short says so, and the hypergradient carries it: converged false, the norm reached and the target', () => {
  const x = Float64Array.of(0);
  const short = solveInnerLbfgs(problem, x, { maxIter: 2, tol: 1e-12 });
  assert.equal(short.converged, false);
  assert.equal(short.tol, 1e-12);
  assert.equal(short.iterations, 2, 'the iteration cap bounds the polish too');
  assert.ok(short.gradNorm > 1e-12);
  const p = oraclesOnly(problem);
  const hg = p.hypergradient(x, { maxIter: 2, tol: 1e-12 });
  assert.equal(hg.innerConverged, false);
  assert.equal(hg.innerTol, 1e-12);
  assert.equal(hg.innerGradNorm, short.gradNorm);
  const full = p.hypergradient(x);
  assert.equal(full.innerConverged, true);
  assert.equal(full.innerTol, DEFAULT_TOL);
  assert.ok(full.innerGradNorm <= DEFAULT_TOL);
});

test('the problems with their own solvers report converged and the target too (closed form, Newton)', () => {
  const x = Float64Array.of(-1);
  const newton = problem.hypergradient(x, { tol: 1e-9 });
  assert.equal(newton.innerConverged, true);
  assert.equal(newton.innerTol, 1e-9);
  const capped = problem.solveInner(x, { maxIter: 1, tol: 1e-14 });
  assert.equal(capped.converged, false);
  assert.equal(capped.tol, 1e-14);
});

test('referenceSolution reports whether it converged, and the inner solve at x*', () => {
  const p = oraclesOnly(problem);
  const ref = referenceSolution(p, { gtol: 1e-7 });
  assert.equal(ref.method, 'lbfgs');
  assert.equal(ref.converged, ref.gradNorm <= 1e-7);
  assert.equal(ref.converged, true);
  assert.equal(ref.gtol, 1e-7);
  assert.equal(ref.innerConverged, true);
  assert.ok(ref.innerGradNorm <= DEFAULT_TOL);
  const capped = referenceSolution(p, { gtol: 1e-30, maxIter: 1 });
  assert.equal(capped.converged, false);
});
