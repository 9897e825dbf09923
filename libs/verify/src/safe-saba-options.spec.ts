// The safe step rules are the documented formulas of the problem's constants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quadraticProblem } from '@bilevel/problems';
import { safeSabaOptions } from './safe-saba-options';
import { safeSobaOptions } from './safe-soba-options';
import { outerSpectrum } from './outer-spectrum';

const problem = quadraticProblem({ dimZ: 4, dimX: 2, nInner: 18, nOuter: 9, mu: 0.2, L: 1, LCross: 0.1, muOuter: 0.1, seed: 8 });
const { LMaxSample } = problem.innerConstants();
const LH = outerSpectrum(problem).L;

test('SABA: ρ = 1/(3·L_max), γ = ρ·μ/L_h, batch 4 by default', () => {
  const o = safeSabaOptions(problem);
  const rho = 1 / (3 * LMaxSample);
  assert.deepEqual(o, { batchSize: 4, innerStep: rho, outerStep: (rho * 0.2) / LH });
  assert.equal(safeSabaOptions(problem, { batchSize: 2 }).batchSize, 2);
});

test('SOBA: ρ₀ = 1/L_max, γ₀ = min(ρ₀, 1/(3·L_h))', () => {
  assert.deepEqual(safeSobaOptions(problem), { batchSize: 4, innerStep: 1 / LMaxSample, outerStep: Math.min(1 / LMaxSample, 1 / (3 * LH)) });
});

test('the outer spectrum brackets the muOuter floor', () => {
  const { mu, L } = outerSpectrum(problem);
  assert.ok(mu >= 0.1 - 1e-12 && L >= mu);
});

test('invalid options are refused', () => {
  assert.throws(() => safeSabaOptions(problem, { batchSize: 0 }), /safeSabaOptions: batchSize must be a positive integer, received 0/);
  assert.throws(() => safeSobaOptions(problem, { batch: 2 } as never), /safeSobaOptions: unknown option "batch"/);
});
