// The arbitrary of quadratic bilevel problems: every generated problem respects the documented bounds, is rebuilt
// exactly from its printed parameters, shrinks to small readable counterexamples, and bad options are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nrm2 } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { generatedQuadratic, quadraticProblemArb } from './quadratic-problem-arb';

const SEED = 42;
const NUM_RUNS = 30;
/** Closed-form x* is stationary to round-off (‖∇h(x*)‖ of order ε_mach·‖∇²h‖·‖x*‖ for these small, well-conditioned problems). */
const STATIONARITY_TOL = 1e-9;
/** Relative rounding allowed on κ = L/μ (L is stored with 4 significant digits). */
const KAPPA_ROUNDING = 1e-12;

test('generated problems respect the documented bounds, and x* is stationary', () => {
  const maxKappa = 20;
  fc.assert(
    fc.property(quadraticProblemArb({ maxKappa, muOuter: { min: 0.1, max: 0.2 } }), ({ params, problem, facts }) => {
      assert.ok(params.nInner >= params.dimZ, 'quadraticProblem needs nInner ≥ dimZ');
      assert.ok(params.dimZ >= 1 && params.dimZ <= 6 && params.dimX >= 1 && params.dimX <= 4);
      assert.ok(params.mu >= 0.1 && params.mu <= 1);
      assert.ok(facts.kappa >= 1 && facts.kappa <= maxKappa * (1 + KAPPA_ROUNDING), `κ = ${facts.kappa}`);
      assert.ok(params.LCross >= 0 && params.LCross <= 0.1);
      assert.ok(facts.muOuter >= 0.1 * (1 - 1e-9), `μ_h = ${facts.muOuter} below the muOuter floor`);
      assert.ok(facts.LMaxSample >= params.L * (1 - 1e-9), 'a per-sample curvature bound is at least the average one');
      assert.ok(nrm2(problem.hypergradient(problem.solution().x).grad) < STATIONARITY_TOL);
    }),
    { seed: SEED, numRuns: NUM_RUNS },
  );
});

test('the printed parameters rebuild the same problem, bit for bit', () => {
  fc.assert(
    fc.property(quadraticProblemArb(), ({ params, problem }) => {
      const again = quadraticProblem(params);
      assert.deepEqual(again.solution().x, problem.solution().x);
      assert.deepEqual(generatedQuadratic(params).facts, generatedQuadratic(params).facts);
    }),
    { seed: SEED, numRuns: 10 },
  );
});

test('a counterexample prints as the quadraticProblem call that rebuilds it, and shrinks to small sizes', () => {
  // Arrange: a property that fails as soon as dimZ ≥ 3
  const prop = fc.property(quadraticProblemArb(), ({ params }) => params.dimZ < 3);
  // Act
  const result = fc.check(prop, { seed: SEED, numRuns: 100 });
  // Assert
  assert.equal(result.failed, true);
  const [g] = result.counterexample!;
  assert.equal(g.params.dimZ, 3, 'shrunk to the smallest failing dimension');
  assert.equal(g.params.dimX, 1, 'unrelated sizes shrink to their minimum');
  const printed = fc.stringify(result.counterexample);
  assert.match(printed, /quadraticProblem\(\{"dimZ":3,"dimX":1,/);
  assert.match(printed, /κ=/);
  const rebuilt = quadraticProblem(JSON.parse(/quadraticProblem\((\{.*?\})\)/.exec(printed)![1]));
  assert.deepEqual(rebuilt.solution().x, g.problem.solution().x);
});

test('fixed ranges give constant parameters', () => {
  const [g] = fc.sample(
    quadraticProblemArb({ dimZ: { min: 2, max: 2 }, dimX: { min: 3, max: 3 }, nInner: { min: 5, max: 5 }, nOuter: { min: 7, max: 7 }, mu: { min: 0.5, max: 0.5 }, maxKappa: 1, LCross: { min: 0, max: 0 }, muOuter: { min: 0.2, max: 0.2 } }),
    { seed: SEED, numRuns: 1 },
  );
  assert.deepEqual({ ...g.params, seed: 0 }, { dimZ: 2, dimX: 3, nInner: 5, nOuter: 7, mu: 0.5, L: 0.5, LCross: 0, muOuter: 0.2, seed: 0 });
});

test('invalid options are refused up front, naming the function, the field and the value', () => {
  assert.throws(() => quadraticProblemArb({ dimZ: { min: 0, max: 3 } }), /quadraticProblemArb: dimZ must be \{ min, max \} with 1 ≤ min ≤ max.*"min":0/);
  assert.throws(() => quadraticProblemArb({ mu: { min: 0, max: 1 } }), /quadraticProblemArb: mu must be \{ min, max \} with 0 < min/);
  assert.throws(() => quadraticProblemArb({ maxKappa: 0.5 }), /quadraticProblemArb: maxKappa must be ≥ 1, received 0.5/);
  assert.throws(() => quadraticProblemArb({ nInner: { min: 3, max: 2.5 } }), /nInner/);
  assert.throws(() => quadraticProblemArb({ kappa: 3 } as never), /unknown option "kappa"/);
});
