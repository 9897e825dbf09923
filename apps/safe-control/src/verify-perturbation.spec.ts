// Issue 23, item 1: `verify` says CERTIFIED only when the system's conditions hold. Every numeric field of trained
// PJ and lane-keeping files (fixtures/) is perturbed by fast-check (scale, sign flip, noise, zero) and the files are
// verified; whenever the verdict is CERTIFIED, an independent float64 check of the system's conditions (10⁵ samples
// per condition and the best point of its own counterexample search, independent-check.ts) must hold. A few cases
// here; verify-perturbation.slow.ts runs many more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LANE_KEEPING, LANE_KEEPING_A, LANE_KEEPING_B, PJ } from '@bilevel/control';
import { independentCheck } from './independent-check';
import { INDEPENDENT, fixture, numericLeaves, perturbationProperty, tally } from './verify-perturbation';

const root = mkdtempSync(join(tmpdir(), 'safe-control-perturb-'));

test('the independent check restates the systems, holds on the trained fixtures and finds the violations of broken ones', () => {
  for (const [ind, sys] of [[INDEPENDENT.pj, PJ], [INDEPENDENT['lane-keeping'], LANE_KEEPING]] as const) {
    // the same system definitions, typed in twice: a drift in either is caught here
    assert.deepEqual([ind.nx, ind.domain, ind.initial, ind.unsafe, ind.dt, ind.lambdaB, ind.discrete], [sys.nx, sys.domain, sys.initial, sys.unsafe, sys.dt, sys.terms.lambdaB, sys.discrete]);
    assert.deepEqual(ind.params, sys.params.map((p) => ({ lo: p.lo, hi: p.hi })));
  }
  const x = [0.3, -1.2, 2.1, 0.7];
  const f = new Float64Array(4);
  LANE_KEEPING.dynamics(x, [0.5], [], f);
  const image = INDEPENDENT['lane-keeping'].map(x, 0.5, []);
  image.forEach((v, i) => assert.ok(Math.abs(v - (x[i] + LANE_KEEPING.dt * f[i])) < 1e-12, `x⁺_${i}`));
  assert.deepEqual([LANE_KEEPING_A[1][3], LANE_KEEPING_B[3]], [-0.186, 0.315]);
  for (const system of ['pj', 'lane-keeping'] as const) {
    const { policy, certificate } = fixture(system);
    const ok = independentCheck(INDEPENDENT[system], policy, certificate, { samples: 20_000 });
    assert.ok(ok.holds, `${system}: ${JSON.stringify(ok.worst)}`);
    const terms = certificate.terms as { exponents: number[]; coefficient: number }[];
    const raised = { ...certificate, terms: terms.map((t) => (t.exponents.every((e) => e === 0) ? { ...t, coefficient: t.coefficient + 2.5 } : t)) };
    const bad = independentCheck(INDEPENDENT[system], policy, raised, { samples: 20_000 });
    assert.equal(bad.holds, false, `${system}: B + 2.5 must break B ≤ 0 on X₀`);
    assert.ok(bad.worst[0].condition === 'initial' && bad.worst[0].value > 0);
  }
  // a policy that drives PJ the wrong way: the derivative condition fails, and the search finds a point
  const { policy, certificate } = fixture('pj');
  const wrong = independentCheck(INDEPENDENT.pj, { ...policy, theta: [5, 8, 8] }, certificate, { samples: 5_000 });
  assert.equal(wrong.holds, false);
  assert.ok(wrong.worst[2].value > 0);
});

test('PJ: a perturbed policy or certificate is CERTIFIED only when the independent check of the system conditions holds', async (t) => {
  const { policy, certificate } = fixture('pj');
  assert.equal(numericLeaves(policy).length + numericLeaves(certificate).length, 7 + 24, 'the fields perturbed');
  const outcomes = await perturbationProperty('pj', 12, 23, join(root, 'pj'));
  t.diagnostic(`PJ, 12 cases: ${tally(outcomes)}`);
});

test('lane keeping: the same property on one case (the sound verifier needs ~10 s per certified case)', async (t) => {
  const outcomes = await perturbationProperty('lane-keeping', 1, 23, join(root, 'lane-keeping'));
  t.diagnostic(`lane keeping, 1 case: ${tally(outcomes)}`);
});
