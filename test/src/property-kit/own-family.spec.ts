// The property kit on a family of the user's own (issue 16, item 14): SABA with the safe steps, read from constants
// the problems estimate from their oracles, converges linearly within the budget and replays from its seed on
// generated non-quadratic logistic-ridge problems; the same property catches a SABA whose linear system drops the HVP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from '@bilevel/solvers';
import { saba } from '@bilevel/solvers';
import { checkSolver, linearConvergence, safeSabaOptions } from '@bilevel/verify';
import type { LogisticRidgeProblem } from './logistic-ridge-family';
import { logisticRidgeArb } from './logistic-ridge-family';

const SEED = 42;
const problems = logisticRidgeArb();
const safeSaba = (p: LogisticRidgeProblem) => saba(safeSabaOptions(p));

test('SABA with safe steps keeps the project properties on a user-built non-quadratic family (estimated constants)', () =>
  checkSolver(safeSaba, { convergence: 'linear', seed: SEED, numRuns: 10, replay: { problems }, linear: { problems } }));

/** The problem with ∇²_zz g·v dropped, for the linear-system stream only (delegation: the class has #private fields). */
function withoutHvp(p: BilevelProblem): BilevelProblem {
  return {
    name: p.name,
    dimZ: p.dimZ,
    dimX: p.dimX,
    nInner: p.nInner,
    nOuter: p.nOuter,
    precision: p.precision,
    fullInner: p.fullInner,
    fullOuter: p.fullOuter,
    innerValue: (z, x, b) => p.innerValue(z, x, b),
    outerValue: (z, x, b) => p.outerValue(z, x, b),
    innerGradZ: (z, x, b, out) => p.innerGradZ(z, x, b, out),
    innerHvp: (_z, _x, _v, _b, out) => out.fill(0),
    innerCross: (z, x, v, b, out) => p.innerCross(z, x, v, b, out),
    outerGradZ: (z, x, b, out) => p.outerGradZ(z, x, b, out),
    outerGradX: (z, x, b, out) => p.outerGradX(z, x, b, out),
    solveInner: (x, o) => p.solveInner(x, o),
    hypergradient: (x, o) => p.hypergradient(x, o),
  };
}

test('on that family the linear-convergence property fails for a SABA whose linear system drops the HVP', async () => {
  const mutant = (p: LogisticRidgeProblem): Solver => {
    const s = safeSaba(p);
    const linsys: StreamPart = { ...s.linsys, init: (problem, rng) => s.linsys.init(withoutHvp(problem), rng) };
    return { ...s, name: 'saba-without-hvp', linsys };
  };
  const result = await fc.check(linearConvergence(mutant, { problems }), { seed: SEED, numRuns: 10, endOnFailure: true });
  assert.equal(result.failed, true);
  assert.match(String(result.errorInstance), /linearConvergence: solver "saba-without-hvp" reduced ‖∇h‖ from .* within the budget T = \d+/);
  assert.match(String(result.counterexample?.[0]), /^new LogisticRidgeProblem\(\{"dimZ":/);
});
