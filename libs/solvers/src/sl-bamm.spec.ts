import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import { slBamm } from './sl-bamm';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 24, nOuter: 16, seed: 5 });
const rng = Rng.fromSeed(9);
const z = rng.normals(new Float64Array(6));
const v = rng.normals(new Float64Array(6));
const x = rng.normals(new Float64Array(3));
const relDiff = (a: Float64Array, b: Float64Array) => nrm2(a.map((e, i) => e - b[i])) / Math.max(nrm2(a), nrm2(b));
/** One step's arithmetic: a few dozen roundings of O(1) numbers. */
const STEP_TOL = 1e-14;

function oracle(name: 'innerGradZ' | 'outerGradZ', at = z): Float64Array {
  const out = new Float64Array(6);
  problem[name](at, x, name === 'innerGradZ' ? problem.fullInner : problem.fullOuter, out);
  return out;
}
/** ∇²_zz φ·w = μ∇²_zzF·w + (1−μ)∇²_zzG·w. */
function hessPhi(mu: number, w: Float64Array): Float64Array {
  const a = new Float64Array(6);
  const b = new Float64Array(6);
  problem.innerHvp(z, x, w, problem.fullInner, a);
  problem.outerHvp(z, x, w, problem.fullOuter, b);
  return a.map((ai, i) => mu * b[i] + (1 - mu) * ai);
}

test('slBamm: options are validated and the values in effect are listed', () => {
  assert.deepEqual(slBamm().options, { batchSize: 'full', innerStep: 0.1, outerStep: 0.1, strategy: 's3', mu0: 0.9, p: 10, tau: 1 / 40, linsysStep: 'exact', averaging: true });
  assert.equal(slBamm({ innerStep: 0.2 }).options.outerStep, 0.2);
  assert.equal(slBamm().schedule, 'jacobi');
  assert.throws(() => slBamm({ mu0: 1 }), /slBamm: mu0 must be a number in \(0, 1\), received 1/);
  assert.throws(() => slBamm({ strategy: 's4' as 's1' }), /slBamm: strategy must be one of s1, s2, s3, received s4/);
  assert.throws(() => slBamm({ strategy: 'toString' as 's1' }), /strategy must be one of/);
  assert.throws(() => slBamm({ linsysStep: 'cg' as 'exact' }), /slBamm: linsysStep must be "exact" or "schedule", received cg/);
  assert.throws(() => slBamm({ tau: -1 }), /slBamm: tau must be a finite number ≥ 0, received -1/);
  assert.throws(() => slBamm({ batchSize: 1.5 }), /slBamm: batchSize must be a positive integer, received 1.5/);
  assert.throws(() => slBamm({ beta: 1 } as object), /slBamm: unknown option "beta"/);
});

test('slBamm: init names the missing optional oracles', () => {
  const bare = Object.assign(Object.create(problem) as BilevelProblem, { outerHvp: undefined, outerCross: undefined });
  const s = slBamm();
  for (const part of [s.inner, s.linsys, s.outer]) {
    assert.throws(() => part.init(bare, Rng.fromSeed(0)), /slBamm: problem "quadratic" does not provide the oracles outerHvp, outerCross/);
  }
});

test('slBamm: inner and outer steps are z − β∇_zφ_k and x − α_k(∇_xF + ∇²_xzφ_k v), with μ_k, α_k of each strategy', () => {
  const beta = 0.3;
  const alpha0 = 0.2;
  const k = 4;
  for (const [strategy, e] of [['s1', 7], ['s2', 5], ['s3', 3]] as const) {
    const s = slBamm({ innerStep: beta, outerStep: alpha0, strategy, mu0: 0.8, p: 5, tau: 0.1 });
    const mu = 0.8 * Math.pow(k + 1, -1 / 5);
    const inner = s.inner.init(problem, Rng.fromSeed(0));
    const zOut = new Float64Array(6);
    s.inner.step(inner, { z, v, x }, k, zOut);
    const gf = oracle('outerGradZ');
    const gg = oracle('innerGradZ');
    assert.ok(relDiff(zOut, z.map((zi, i) => zi - beta * (mu * gf[i] + (1 - mu) * gg[i]))) < STEP_TOL);
    assert.ok(Math.abs(s.inner.diagnostics!(inner).mu - mu) < 1e-16);

    const outer = s.outer.init(problem, Rng.fromSeed(0));
    const xOut = new Float64Array(3);
    s.outer.step(outer, { z, v, x }, k, xOut);
    const fx = new Float64Array(3);
    const cf = new Float64Array(3);
    const cg = new Float64Array(3);
    problem.outerGradX(z, x, problem.fullOuter, fx);
    problem.outerCross(z, x, v, problem.fullOuter, cf);
    problem.innerCross(z, x, v, problem.fullInner, cg);
    const alpha = alpha0 * Math.pow(mu, e) * Math.pow(k + 1, -1.5 * 0.1);
    assert.ok(Math.abs(s.outer.diagnostics!(outer).step - alpha) < 1e-16 * alpha * 10, strategy);
    assert.ok(relDiff(xOut, x.map((xi, i) => xi - alpha * (fx[i] + mu * cf[i] + (1 - mu) * cg[i]))) < STEP_TOL, strategy);
  }
});

test('slBamm: the exact v step minimizes ½vᵀ∇²φv + ∇_zFᵀv along r (new residual ⟂ r); the scheduled step does not', () => {
  const mu0 = 0.9;
  const residual = (w: Float64Array) => {
    const b = oracle('outerGradZ');
    return hessPhi(mu0, w).map((h, i) => h + b[i]);
  };
  const r = residual(v);
  const cosine = (linsysStep: 'exact' | 'schedule') => {
    const s = slBamm({ mu0, linsysStep });
    const state = s.linsys.init(problem, Rng.fromSeed(0));
    const vOut = new Float64Array(6);
    s.linsys.step(state, { z, v, x }, 0, vOut);
    const rNew = residual(vOut);
    return { cos: Math.abs(rNew.reduce((acc, ri, i) => acc + ri * r[i], 0)) / (nrm2(rNew) * nrm2(r)), diag: s.linsys.diagnostics!(state) };
  };
  const exact = cosine('exact');
  // exact line search: rᵀ(∇²φ v⁺ + b) = rᵀr − η rᵀ∇²φ r = 0 up to round-off
  assert.ok(exact.cos < 1e-13, `exact: cos ${exact.cos}`);
  const rHr = r.reduce((acc, ri, i) => acc + ri * hessPhi(mu0, r)[i], 0);
  assert.ok(Math.abs(exact.diag.eta - nrm2(r) ** 2 / rHr) < 1e-14 * exact.diag.eta);
  assert.equal(exact.diag.exactStep, 1);
  const scheduled = cosine('schedule');
  assert.equal(scheduled.diag.eta, 0.1); // η_0 = β for s3
  assert.ok(scheduled.cos > 1e-3, `schedule: cos ${scheduled.cos}`);
});

test('slBamm: with no curvature along r the exact step falls back to the scheduled η_k', () => {
  // ∇²φ = 0: a problem whose inner and outer HVPs vanish
  const flat = Object.assign(Object.create(problem) as BilevelProblem, {
    innerHvp: (_z: Float64Array, _x: Float64Array, _v: Float64Array, _b: Int32Array, out: Float64Array) => out.fill(0),
    outerHvp: (_z: Float64Array, _x: Float64Array, _v: Float64Array, _b: Int32Array, out: Float64Array) => out.fill(0),
  });
  const s = slBamm({ strategy: 's1', mu0: 0.5, p: 2, tau: 0.2 });
  const state = s.linsys.init(flat, Rng.fromSeed(0));
  const vOut = new Float64Array(6);
  const k = 3;
  s.linsys.step(state, { z, v, x }, k, vOut);
  const mu = 0.5 * Math.pow(k + 1, -1 / 2);
  const eta = 0.1 * Math.pow(k + 1, -0.1) * mu * mu;
  const b = oracle('outerGradZ');
  assert.equal(s.linsys.diagnostics!(state).exactStep, 0);
  assert.ok(relDiff(vOut, v.map((vi, i) => vi - eta * b[i])) < STEP_TOL);
});
