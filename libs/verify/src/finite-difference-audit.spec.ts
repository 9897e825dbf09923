// The finite-difference audit: exact oracles of the quadratic family pass with errors at round-off level, a wrong
// oracle is named with its error, zero oracles are not failed for the noise of their difference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quadraticProblem } from '@bilevel/problems';
import { FD_REL_TOL, finiteDifferenceAudit } from './finite-difference-audit';
import { scaledHvp } from './fixtures/scaled-hvp';

const problem = quadraticProblem({ dimZ: 5, dimX: 3, nInner: 20, nOuter: 12, mu: 0.1, L: 2, LCross: 0.5, seed: 4 });
/** On a quadratic the central difference is exact up to round-off, which the audit's error estimate absorbs. */
const ROUNDOFF_LEVEL = 1e-12;
/** Smallest relative oracle error the audit must catch on this problem (measured detection limit ≈ 3e-6). */
const DETECTABLE = 1e-5;

test('exact oracles pass, with no error beyond the differences’ own', () => {
  const report = finiteDifferenceAudit(problem, { seed: 1 });
  assert.equal(report.ok, true);
  assert.deepEqual(report.oracles.map((o) => o.name), ['innerGradZ', 'innerHvp', 'innerCross', 'outerGradZ', 'outerGradX']);
  for (const o of report.oracles) assert.ok(o.maxRelError < ROUNDOFF_LEVEL, `${o.name}: ${o.maxRelError}`);
});

test('an HVP off by a relative 1e-5 is caught', () => {
  const report = finiteDifferenceAudit(scaledHvp(problem, 1 + DETECTABLE), { seed: 1 });
  assert.deepEqual(report.oracles.filter((o) => !o.ok).map((o) => o.name), ['innerHvp']);
});

test('an HVP scaled by 1.5 is caught and named: relative error 0.5/1.5 = 1/3', () => {
  const report = finiteDifferenceAudit(scaledHvp(problem, 1.5), { seed: 1 });
  assert.equal(report.ok, false);
  const bad = report.oracles.filter((o) => !o.ok);
  assert.deepEqual(bad.map((o) => o.name), ['innerHvp']);
  assert.ok(Math.abs(bad[0].maxRelError - 1 / 3) < 1e-6, String(bad[0].maxRelError));
});

test('a cross term that is exactly zero (LCross = 0) is not failed for round-off', () => {
  const p = quadraticProblem({ dimZ: 3, dimX: 2, nInner: 6, nOuter: 6, LCross: 0, seed: 1 });
  const report = finiteDifferenceAudit(p, { seed: 2 });
  assert.equal(report.ok, true, JSON.stringify(report.oracles));
});

test('float32 problems get the float32 tolerance', () => {
  const p32 = Object.create(problem, { precision: { value: 'float32' } }) as typeof problem;
  assert.equal(finiteDifferenceAudit(p32, { seed: 1 }).ok, true);
  assert.equal(FD_REL_TOL.float32 > FD_REL_TOL.float64, true);
});

test('invalid options are refused, naming the field', () => {
  assert.throws(() => finiteDifferenceAudit(problem, { directions: 0 }), /finiteDifferenceAudit: directions must be a positive integer, received 0/);
  assert.throws(() => finiteDifferenceAudit(problem, { step: -1 }), /step must be a positive finite number/);
  assert.throws(() => finiteDifferenceAudit(problem, { seed: 0.5 }), /seed must be a safe integer/);
  assert.throws(() => finiteDifferenceAudit(problem, { tol: 1 } as never), /unknown option "tol"/);
});
