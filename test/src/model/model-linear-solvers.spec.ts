// modelProblem takes any LinearSolver of @bilevel/solvers for the hypergradient's system (the structural
// `solve(matvec, b, x)` contract): built by name with createLinearSolver, they reproduce the default CG's ∇h.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { bundledDataPath, loadUciCsv, logregHpo, splitDataset } from '@bilevel/problems';
import { logregModel } from '@bilevel/autodiff';
import { createLinearSolver } from '@bilevel/solvers';

const relErr = (a: Float64Array, b: Float64Array) => Math.max(...Array.from(a, (e, i) => Math.abs(e - b[i]))) / Math.max(...Array.from(b, Math.abs));

test('createLinearSolver("gmres") and a Neumann series with η = 1/L give the CG hypergradient of a modelProblem', () => {
  const { train, val } = splitDataset(loadUciCsv(bundledDataPath('breast_cancer.csv')), 0.6, Rng.fromSeed(0));
  const analytic = logregHpo(train, val, { reg: 'scalar' });
  const x = Float64Array.of(-1);
  const cg = logregModel(analytic).hypergradient(x);
  const gmres = logregModel(analytic, { linearSolver: createLinearSolver('gmres', { rtol: 1e-12, maxIter: 500 }) }).hypergradient(x);
  assert.equal(gmres.linear.solver, 'gmres');
  assert.ok(relErr(gmres.grad, cg.grad) <= 1e-9, `gmres: ${relErr(gmres.grad, cg.grad)}`);
  // Neumann: v = η Σ_{q<N} (I − ηH)^q b converges at the rate 1 − ημ; μ ≥ e^x = 0.37 and L from the problem
  const { L } = analytic.innerConstants(x);
  const neumann = logregModel(analytic, { linearSolver: createLinearSolver('neumann', { eta: 1 / L, maxIter: 3000 }) }).hypergradient(x);
  assert.equal(neumann.linear.solver, 'neumann');
  assert.ok(relErr(neumann.grad, cg.grad) <= 1e-6, `neumann: ${relErr(neumann.grad, cg.grad)}`);
});
