// innerConstantsAt: known constants are passed through; estimates by power iteration agree with the closed forms
// of generated quadratics (rank-one sample Hessians, average Hessian spectrum exactly [μ, L]).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { quadraticProblemArb } from '../quadratic-problem-arb';
import { innerConstantsAt } from './inner-constants-at';
import { withoutConstants } from './fixtures/without-constants';

/** Power iteration reaches the extreme eigenvalues to its 1e-10 stopping rule, or within 1000 iterations. */
const ESTIMATE_RTOL = 1e-4;

test('known constants are used as they are', () => {
  fc.assert(
    fc.property(quadraticProblemArb(), ({ problem }) => {
      const x = new Float64Array(problem.dimX);
      const c = innerConstantsAt(problem, new Float64Array(problem.dimZ), x);
      assert.deepEqual(c, { ...problem.innerConstants(), estimated: false });
    }),
    { seed: 1, numRuns: 10 },
  );
});

test('estimates of L, μ and L_max agree with the closed forms', () => {
  fc.assert(
    fc.property(quadraticProblemArb({ maxKappa: 10 }), ({ problem, params }) => {
      const c = innerConstantsAt(withoutConstants(problem), new Float64Array(problem.dimZ), new Float64Array(problem.dimX), { iterations: 1000 });
      assert.equal(c.estimated, true);
      assert.ok(Math.abs(c.L - params.L) <= ESTIMATE_RTOL * params.L, `L ${c.L} vs ${params.L}`);
      // the spectrum of the average Hessian is exactly {μ, …, L} for dim z ≥ 2, and {L} for dim z = 1
      const lambdaMin = problem.dimZ >= 2 ? params.mu : params.L;
      assert.ok(Math.abs(c.mu - lambdaMin) <= ESTIMATE_RTOL * params.L, `μ ${c.mu} vs ${lambdaMin}`);
      const known = problem.innerConstants().LMaxSample;
      assert.ok(Math.abs(c.LMaxSample! - known) <= ESTIMATE_RTOL * known, `L_max ${c.LMaxSample} vs ${known}`);
    }),
    { seed: 2, numRuns: 20 },
  );
});

test('L_max is not estimated above maxSamples', () => {
  fc.assert(
    fc.property(quadraticProblemArb({ nInner: { min: 8, max: 16 } }), ({ problem }) => {
      const c = innerConstantsAt(withoutConstants(problem), new Float64Array(problem.dimZ), new Float64Array(problem.dimX), { maxSamples: 4 });
      assert.equal(c.LMaxSample, undefined);
    }),
    { seed: 3, numRuns: 5 },
  );
});
