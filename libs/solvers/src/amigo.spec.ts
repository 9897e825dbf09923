import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import { amigo } from './amigo';
import { countingProblem, emptyCounts } from './oracle-counts';
import type { Solver, StreamName } from './solver';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 32, nOuter: 24, seed: 2 });
const dist = (a: Float64Array, b: Float64Array) => nrm2(Float64Array.from(a, (v, i) => v - b[i]));

/** The three parts of `solver` initialized on counted views of `p`, as run() does. */
function parts(solver: Solver, p: BilevelProblem = problem) {
  const counts = { inner: emptyCounts(), linsys: emptyCounts(), outer: emptyCounts() };
  const rng = Rng.fromSeed(0);
  const state = {} as Record<StreamName, unknown>;
  for (const s of ['inner', 'linsys', 'outer'] as const) state[s] = solver[s].init(countingProblem(p, counts[s]), rng.split());
  return { counts, state };
}

test('amigo: options are validated with the function, field, value and expectation', () => {
  assert.throws(() => amigo({ T: 3 } as never), /amigo: unknown option "T"/);
  assert.throws(() => amigo({ innerIters: 0 }), /amigo: innerIters must be a positive integer, received 0/);
  assert.throws(() => amigo({ linsysStep: -1 }), /amigo: linsysStep must be a positive finite number, received -1/);
  assert.throws(() => amigo({ deterministic: 'yes' as never }), /amigo: deterministic must be a boolean, received yes/);
  assert.throws(() => amigo({ linsysSolver: 'lu' as never }), /amigo: linsysSolver must be "gd" or "cg", received lu/);
  assert.throws(() => amigo({ linsysSolver: 'cg' }), /amigo: linsysSolver "cg" needs deterministic: true/);
});

test('amigo: defaults of the public benchmark (T = K = 10, steps 0.1, batch 64), gauss-seidel', () => {
  const s = amigo();
  assert.deepEqual(s.options, {
    batchSize: 64,
    innerStep: 0.1,
    linsysStep: 0.1,
    outerStep: 0.1,
    innerIters: 10,
    linsysIters: 10,
    deterministic: false,
    linsysSolver: 'gd',
    warmStart: true,
  });
  assert.equal(s.schedule, 'gauss-seidel');
  assert.match(s.citation, /Arbel, Mairal.*ICLR 2022/);
  assert.equal(amigo({ innerStep: 0.3 }).options.linsysStep, 0.3);
});

test('amigo: one outer step makes T minibatch gradients, one outer gradient + K HVPs, one cross product + one ∇_x F', () => {
  const solver = amigo({ innerIters: 3, linsysIters: 4, batchSize: 8 });
  const { counts, state } = parts(solver);
  const z = new Float64Array(6);
  const v = new Float64Array(6);
  const x = Float64Array.of(0.1, -0.2, 0.3);
  const z1 = new Float64Array(6);
  const v1 = new Float64Array(6);
  const x1 = new Float64Array(3);
  solver.inner.step(state.inner, { z, v, x }, 0, z1);
  solver.linsys.step(state.linsys, { z: z1, v, x }, 0, v1);
  solver.outer.step(state.outer, { z: z1, v: v1, x }, 0, x1);
  assert.deepEqual([counts.inner.innerGrad, counts.inner.innerSamples], [3, 24]);
  assert.deepEqual([counts.linsys.outerGradZ, counts.linsys.hvp, counts.linsys.innerSamples], [1, 4, 32]);
  assert.deepEqual([counts.outer.cross, counts.outer.outerGradX], [1, 1]);
});

test('amigo (deterministic): K gradient steps or K CG steps on v reach v* = −H⁻¹∇_z F at z*(x)', () => {
  const x = Float64Array.of(0.5, 1, -1);
  const ref = problem.hypergradient(x);
  for (const [options, tol] of [
    [{ deterministic: true, linsysIters: 300, linsysStep: 1 }, 1e-9], // contraction 1 − μ/L = 0.9 per step: 0.9³⁰⁰ = 2e-14
    [{ deterministic: true, linsysIters: 6, linsysSolver: 'cg' as const }, 1e-9], // dimZ = 6 distinct eigenvalues
  ] as const) {
    const solver = amigo(options);
    const { state } = parts(solver);
    const v = new Float64Array(6);
    solver.linsys.step(state.linsys, { z: ref.z, v: new Float64Array(6), x }, 0, v);
    assert.ok(dist(v, ref.v) <= tol * nrm2(ref.v), `${JSON.stringify(options)}: ${dist(v, ref.v)}`);
  }
});

test('amigo: warmStart false restarts z (and v) from zero: the result no longer depends on the previous iterate', () => {
  for (const warmStart of [true, false]) {
    const solver = amigo({ warmStart, deterministic: true, innerIters: 2 });
    const { state } = parts(solver);
    const x = Float64Array.of(0.1, 0.2, 0.3);
    const a = new Float64Array(6);
    const b = new Float64Array(6);
    solver.inner.step(state.inner, { z: new Float64Array(6), v: new Float64Array(6), x }, 0, a);
    solver.inner.step(state.inner, { z: new Float64Array(6).fill(1), v: new Float64Array(6), x }, 1, b);
    assert.equal(dist(a, b) === 0, !warmStart);
  }
});
