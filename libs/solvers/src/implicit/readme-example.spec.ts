// The README's "Implicit differentiation" example, verbatim, checked against the problem's closed-form hypergradient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { nrm2 } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { bilevelCondition, implicitVjp } from '../index';

test('README example: the hypergradient from implicitVjp equals problem.hypergradient to 1e-9, by GMRES without fallback', () => {
  const logged: unknown[][] = [];
  const console = { log: (...args: unknown[]) => logged.push(args) };
  // --- README code from here ---
  const problem = quadraticProblem({ dimZ: 10, dimX: 5, nInner: 64, nOuter: 64, seed: 1 });
  const x = new Float64Array(5).fill(0.5);
  const { z } = problem.solveInner(x); // z*(x)
  const [gz, gx] = [new Float64Array(10), new Float64Array(5)];
  problem.outerGradZ(z, x, problem.fullOuter, gz);
  problem.outerGradX(z, x, problem.fullOuter, gx);
  const { xBar, diagnostics } = implicitVjp(bilevelCondition(problem, z, x), gz, { solver: 'gmres', tol: 1e-10 });
  const hypergradient = gx.map((g, k) => g + xBar[k]); // ∇h(x) = ∇_xF + (dz*/dx)ᵀ∇_zF
  console.log(hypergradient, diagnostics.solver, diagnostics.iterations, diagnostics.fellBack);
  // --- to here ---
  const ref = problem.hypergradient(x).grad;
  assert.ok(nrm2(Float64Array.from(hypergradient, (g, k) => g - ref[k])) <= 1e-9 * nrm2(ref));
  assert.deepEqual(logged[0].slice(1), ['gmres', diagnostics.iterations, false]);
  assert.ok(diagnostics.iterations > 0 && diagnostics.iterations <= 10);
});

test('README example: the code in README.md is the code this spec runs, line for line', () => {
  const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Implicit differentiation'));
  const block = section.slice(section.indexOf('```ts\n') + 6, section.indexOf('\n```', section.indexOf('```ts\n')));
  const spec = readFileSync(new URL(import.meta.url), 'utf8');
  const body = spec.slice(spec.indexOf('// --- README code from here ---') + 32, spec.indexOf('  // --- to here ---'));
  const code = body.split('\n').map((l) => l.replace(/^ {2}/, '')).filter((l) => l.length > 0);
  const imports = block.split('\n').filter((l) => l.startsWith('import '));
  assert.deepEqual(block.split('\n').filter((l) => l.length > 0 && !l.startsWith('import ')), code);
  assert.deepEqual(imports, ["import { quadraticProblem } from '@bilevel/problems';", "import { bilevelCondition, implicitVjp } from '@bilevel/solvers';"]);
});
