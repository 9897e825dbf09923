// stepConditions: the bounds in closed form for given constants (values chosen so each bound is exact in binary
// or compared with a relative tolerance), the SOBA schedule at step t, and solvers without known conditions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amigo, implicitDiff, saba, soba, srba, stocbio } from '@bilevel/solvers';
import { conditionNeeds, stepConditions } from './step-conditions';

const inner = { L: 4, mu: 0.5, LMaxSample: 8, estimated: false };
/** Rounding of a few products and powers. */
const RTOL = 1e-12;
const close = (a: number, b: number) => Math.abs(a - b) <= RTOL * Math.abs(b);

test('SABA: ρ ≤ 1/(3·L_max) and γ ≤ ρμ/L_h', () => {
  const [rho, gamma] = stepConditions(saba({ innerStep: 0.05, outerStep: 0.01 }), inner, 2, 0, 0)!;
  assert.equal(rho.name, 'saba.innerStep');
  assert.ok(close(rho.bound, 1 / 24));
  assert.equal(rho.holds, false, '0.05 > 1/24');
  assert.ok(close(gamma.bound, (0.05 * 0.5) / 2));
  assert.equal(gamma.holds, true, '0.01 ≤ 0.0125');
  assert.equal(stepConditions(saba(), inner, undefined, 0, 0)!.length, 1, 'no γ condition without L_h');
});

test('SABA without L_max: checked against 1/(3L), with a note', () => {
  const [rho] = stepConditions(saba({ innerStep: 0.05 }), { L: 4, mu: 0.5, estimated: true }, undefined, 0, 0)!;
  assert.ok(close(rho.bound, 1 / 12));
  assert.match(rho.note!, /not conclusive/);
});

test('SOBA: the steps at t, and the exponents', () => {
  const t = 15;
  const c = stepConditions(soba({ innerStep: 1, outerStep: 1, innerDecay: 0.5, outerDecay: 0.6 }), inner, 2, t, t)!;
  const byName = Object.fromEntries(c.map((x) => [x.name, x]));
  assert.ok(close(byName['soba.innerStep'].value, 16 ** -0.5));
  assert.ok(close(byName['soba.innerStep'].bound, 1 / 8));
  assert.equal(byName['soba.innerStep'].holds, false, '1/4 > 1/8');
  assert.ok(close(byName['soba.outerStep'].value, 16 ** -0.6));
  assert.ok(close(byName['soba.outerStep'].bound, 1 / 6));
  assert.equal(byName['soba.innerDecay'].holds, false);
  assert.equal(byName['soba.innerDecay'].level, 'warning');
  assert.equal(byName['soba.outerDecay'].holds, true);
});

test('loop solvers: Neumann and Richardson steps against 1/L, CG against μ > 0', () => {
  const [neumann] = stepConditions(stocbio({ neumannStep: 0.3 }), inner, undefined, 0, 0)!;
  assert.equal(neumann.bound, 0.25);
  assert.equal(neumann.holds, false);
  const [richardson] = stepConditions(amigo({ linsysStep: 0.25 }), inner, undefined, 0, 0)!;
  assert.equal(richardson.holds, true);
  const [cg] = stepConditions(amigo({ deterministic: true, linsysSolver: 'cg' }), { ...inner, mu: -1e-3 }, undefined, 0, 0)!;
  assert.equal(cg.holds, false);
  assert.equal(cg.bound, 0);
  assert.equal(stepConditions(implicitDiff({ linsys: 'cg' }), inner, undefined, 0, 0)![0].holds, true);
});

test('solvers without known conditions', () => {
  assert.equal(conditionNeeds(srba()), undefined);
  assert.equal(stepConditions(srba(), inner, 1, 0, 0), undefined);
  assert.deepEqual(conditionNeeds(saba()), { outer: true });
  assert.deepEqual(conditionNeeds(stocbio()), { outer: false });
});
