// outerSmoothnessAt: exact for a QuadraticProblem; the finite-difference power iteration agrees with it when the
// problem is seen without its class (forward differences); skipped above maxDimX.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { outerSpectrum } from '../outer-spectrum';
import { quadraticProblemArb } from '../quadratic-problem-arb';
import { outerSmoothnessAt } from './outer-smoothness-at';
import { withoutConstants } from './fixtures/without-constants';

/**
 * h is quadratic, so forward differences are exact up to the inner solves' error / ε (‖∇_z G‖ ≤ 1e-10 gives a
 * hypergradient error of order 1e-10·κ, over ε = 1e-5: about 1e-4 at κ ≤ 10); the Hessian formed from them
 * (dim x ≤ 10) has eigenvalues as accurate.
 */
const FD_RTOL = 1e-3;

test('exact for a quadratic problem', () => {
  fc.assert(
    fc.property(quadraticProblemArb(), ({ problem }) => {
      const r = outerSmoothnessAt(problem, new Float64Array(problem.dimX));
      assert.deepEqual(r, { L: outerSpectrum(problem).L, estimated: false });
    }),
    { seed: 4, numRuns: 10 },
  );
});

test('the finite-difference estimate agrees with L_h', () => {
  fc.assert(
    fc.property(quadraticProblemArb({ maxKappa: 10 }), ({ problem }) => {
      const x = Float64Array.from({ length: problem.dimX }, (_, i) => 0.3 * (i + 1));
      const r = outerSmoothnessAt(withoutConstants(problem), x)!;
      const exact = outerSpectrum(problem).L;
      assert.equal(r.estimated, true);
      assert.ok(Math.abs(r.L - exact) <= FD_RTOL * exact, `${r.L} vs ${exact}`);
    }),
    { seed: 5, numRuns: 20 },
  );
});

test('the power-iteration estimate (dim x above iterations) stays within the spectrum [μ_h, L_h]', () => {
  fc.assert(
    fc.property(quadraticProblemArb({ maxKappa: 10, dimX: { min: 3, max: 4 } }), ({ problem }) => {
      const x = new Float64Array(problem.dimX);
      const r = outerSmoothnessAt(withoutConstants(problem), x, { iterations: 2 })!;
      const { mu, L } = outerSpectrum(problem);
      assert.ok(r.L <= L * (1 + FD_RTOL) && r.L >= mu * (1 - FD_RTOL), `${r.L} outside [${mu}, ${L}]`);
    }),
    { seed: 7, numRuns: 10 },
  );
});

test('undefined above maxDimX', () => {
  fc.assert(
    fc.property(quadraticProblemArb({ dimX: { min: 3, max: 4 } }), ({ problem }) => {
      assert.equal(outerSmoothnessAt(withoutConstants(problem), new Float64Array(problem.dimX), { maxDimX: 2 }), undefined);
    }),
    { seed: 6, numRuns: 5 },
  );
});
