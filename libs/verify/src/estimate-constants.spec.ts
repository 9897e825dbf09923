// Constants of a problem for the safe step rules: exact for a quadratic, a problem's own bilevelConstants() (checked),
// or estimated from oracles (estimateConstants). Reference: on a quadratic seen through its oracles only, the
// estimates (S = 1) must match the closed-form constants (innerConstants, the spectrum of outerHessian).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { ESTIMATE_SAFETY, estimateConstants } from './estimate-constants';
import { linearBudget } from './linear-budget';
import { withoutConstants } from './monitors/fixtures/without-constants';
import { outerSpectrum } from './outer-spectrum';
import type { BilevelConstants, ProblemWithConstants } from './problem-constants';
import { constantsOf } from './problem-constants';
import { safeSabaOptions } from './safe-saba-options';
import { safeSobaOptions } from './safe-soba-options';

const q = quadraticProblem({ dimZ: 4, dimX: 2, nInner: 12, nOuter: 9, mu: 0.2, L: 1, LCross: 0.1, muOuter: 0.1, seed: 5 });
const exact = { ...q.innerConstants(), muOuter: outerSpectrum(q).mu, LOuter: outerSpectrum(q).L };
/**
 * Power iteration stops at relative change 1e-10 after at most 100 iterations: on these 4×4 spectra it converges
 * (gap ratio ≤ 0.9) to ~1e-5; ∇²h by forward differences of step 1e-5 is good to ~1e-5 relative.
 */
const ESTIMATE_RTOL = 1e-3;
const close = (a: number, b: number) => Math.abs(a - b) <= ESTIMATE_RTOL * Math.abs(b);

/** The quadratic as a user's problem with its constants: from the given function. */
function withConstantsOf(p: BilevelProblem, constants: () => BilevelConstants): ProblemWithConstants {
  return { ...withoutConstants(p), bilevelConstants: constants };
}

test('estimateConstants on a quadratic seen through its oracles finds its closed-form constants (S = 1), and S scales them', () => {
  const hidden = withoutConstants(q);
  const raw = estimateConstants(hidden, { safety: 1 });
  for (const key of ['mu', 'L', 'LMaxSample', 'muOuter', 'LOuter'] as const) assert.ok(close(raw[key], exact[key]), `${key}: ${raw[key]} vs ${exact[key]}`);
  const safe = estimateConstants(hidden);
  assert.equal(safe.L, raw.L * ESTIMATE_SAFETY);
  assert.equal(safe.LMaxSample, raw.LMaxSample * ESTIMATE_SAFETY);
  assert.equal(safe.LOuter, raw.LOuter * ESTIMATE_SAFETY);
  assert.equal(safe.mu, raw.mu / ESTIMATE_SAFETY);
  assert.equal(safe.muOuter, raw.muOuter / ESTIMATE_SAFETY);
});

test('the safe step rules and the budget take any problem with its constants; a quadratic gives the same numbers as before', () => {
  const own = withConstantsOf(q, () => exact);
  assert.deepEqual(safeSabaOptions(own), safeSabaOptions(q));
  assert.deepEqual(safeSobaOptions(own), safeSobaOptions(q));
  assert.equal(linearBudget(own, safeSabaOptions(q)), linearBudget(q, safeSabaOptions(q)));
  const rho = 1 / (3 * exact.LMaxSample);
  assert.deepEqual(safeSabaOptions(q), { batchSize: 4, innerStep: rho, outerStep: (rho * exact.mu) / exact.LOuter });
  assert.ok(saba(safeSabaOptions(withConstantsOf(q, () => estimateConstants(withoutConstants(q))))).outer.description);
});

test('a problem without constants, or with bad ones, is refused with what to do', () => {
  assert.throws(() => safeSabaOptions(withoutConstants(q) as never), /safeSabaOptions: problem "quadratic-no-constants" does not expose its constants: give it a bilevelConstants\(\) method/);
  assert.throws(() => constantsOf(withConstantsOf(q, () => ({ ...exact, muOuter: 0 })), 'linearBudget'), /linearBudget: problem "quadratic-no-constants"\.bilevelConstants\(\)\.muOuter must be a finite number > 0, received 0/);
  assert.throws(() => constantsOf(withConstantsOf(q, () => ({ ...exact, L: NaN })), 'f'), /\.L must be a finite number > 0, received NaN/);
});

test('estimateConstants refuses an h that is not strongly convex, and bad options', () => {
  // h shifted by −5‖x‖²: λ_min(∇²h) < 0 everywhere
  const base = withoutConstants(q);
  const concave: BilevelProblem = {
    ...base,
    hypergradient: (x, o) => {
      const hg = q.hypergradient(x, o);
      return { ...hg, grad: Float64Array.from(hg.grad, (g, i) => g - 10 * x[i]) };
    },
  };
  assert.throws(() => estimateConstants(concave, { points: [new Float64Array(2)] }), /estimateConstants: h is not strongly convex at x = \[0\.000, 0\.000\] \(λ_min\(∇²h\) = -.*\): no linear rate/);
  assert.throws(() => estimateConstants(base, { safety: 0.5 }), /estimateConstants: safety must be ≥ 1, received 0\.5/);
  assert.throws(() => estimateConstants(base, { points: [] }), /estimateConstants: points must hold at least one x/);
  assert.throws(() => estimateConstants(base, { points: [new Float64Array(3)] }), /estimateConstants: a point has length 3, expected dim x = 2/);
  assert.throws(() => estimateConstants(base, { maxDimX: 1 }), /estimateConstants: problem "quadratic-no-constants" has dim x = 2 > maxDimX = 1/);
  assert.throws(() => estimateConstants(base, { samples: 3 } as never), /estimateConstants: unknown option "samples"/);
});
