// The implicit-differentiation example of docs/solvers-and-parts.md (which runs there as a guide block, from the front
// door), checked here from this library's own entry point against the problem's closed-form hypergradient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2 } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { bilevelCondition, implicitVjp } from '../index';

test('implicitVjp example: the hypergradient from implicitVjp equals problem.hypergradient to 1e-9, by GMRES without fallback', () => {
  const logged: unknown[][] = [];
  const console = { log: (...args: unknown[]) => logged.push(args) };
  const problem = quadraticProblem({ dimZ: 10, dimX: 5, nInner: 64, nOuter: 64, seed: 1 });
  const x = new Float64Array(5).fill(0.5);
  const { z } = problem.solveInner(x); // z*(x)
  const [gz, gx] = [new Float64Array(10), new Float64Array(5)];
  problem.outerGradZ(z, x, problem.fullOuter, gz);
  problem.outerGradX(z, x, problem.fullOuter, gx);
  const { xBar, diagnostics } = implicitVjp(bilevelCondition(problem, z, x), gz, { solver: 'gmres', tol: 1e-10 });
  const hypergradient = gx.map((g, k) => g + xBar[k]); // ∇h(x) = ∇_xF + (dz*/dx)ᵀ∇_zF
  console.log(hypergradient, diagnostics.solver, diagnostics.iterations, diagnostics.fellBack);
  const ref = problem.hypergradient(x).grad;
  assert.ok(nrm2(Float64Array.from(hypergradient, (g, k) => g - ref[k])) <= 1e-9 * nrm2(ref));
  assert.deepEqual(logged[0].slice(1), ['gmres', diagnostics.iterations, false]);
  assert.ok(diagnostics.iterations > 0 && diagnostics.iterations <= 10);
});
