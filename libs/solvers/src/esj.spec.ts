import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import type { EsjAux } from './esj';
import { esj, esjS } from './esj';
import { countingProblem, emptyCounts, totalCalls } from './oracle-counts';

/** Round-off of a difference quotient over μ: the runs agree to ~1e-15 relative, divided by μ, plus summation. */
const QUOTIENT_TOL = 1e-9;

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 24, nOuter: 16, mu: 0.5, L: 1, seed: 3 });
const point = (seed: number) => {
  const rng = Rng.fromSeed(seed);
  return { z: rng.normals(new Float64Array(6)), v: new Float64Array(6), x: rng.normals(new Float64Array(3)) };
};
const relDiff = (a: Float64Array, b: Float64Array) => nrm2(a.map((e, i) => e - b[i])) / Math.max(nrm2(a), nrm2(b));

test('esj/esjS: options are validated and the values in effect are listed', () => {
  assert.deepEqual(esj().options, { batchSize: 'full', innerStep: 0.1, outerStep: 0.1, innerIterations: 10, directions: 10, smoothing: 0.1 });
  assert.deepEqual(esjS({ batchSize: 8 }).options, { batchSize: 8, innerStep: 0.1, outerStep: 0.1, innerIterations: 10, directions: 10, smoothing: 0.1 });
  assert.equal(esj().schedule, 'gauss-seidel');
  assert.equal(esjS().name, 'esj-s');
  assert.throws(() => esj({ directions: 0 }), /esj: directions must be a positive integer, received 0/);
  assert.throws(() => esjS({ smoothing: -1 }), /esjS: smoothing must be a positive finite number, received -1/);
  assert.throws(() => esj({ innerIterations: 2.5 }), /esj: innerIterations must be a positive integer, received 2.5/);
  assert.throws(() => esj({ batchSize: 0 }), /esj: batchSize must be a positive integer/);
  assert.throws(() => esj({ mu: 0.1 } as object), /esj: unknown option "mu"; expected one of batchSize, innerStep/);
});

test('esj: δ_q is the Jacobian of the T-step GD map applied to u_q (exact for a quadratic G)', () => {
  // For quadratic G the T-step map is affine in x: z_T(x + μu) − z_T(x) = μ J_T u with d_{i+1} = d_i − α(Ā d_i + C̄ᵀu),
  // d_0 = 0, J_T u = d_T; C̄ᵀu = ∇_z G(0, u) − ∇_z G(0, 0). Both runs start at the same z ≠ z*.
  const T = 7;
  const alpha = 0.3;
  const solver = esj({ innerIterations: T, directions: 4, innerStep: alpha, smoothing: 1e-3 });
  const state = solver.inner.init(problem, Rng.fromSeed(1));
  const { z, v, x } = point(2);
  const out = new Float64Array(6);
  const aux = solver.inner.step(state, { z, v, x }, 0, out) as EsjAux;
  assert.equal(aux.directions.length, 4);
  const zero = new Float64Array(6);
  const g0 = new Float64Array(6);
  problem.innerGradZ(zero, new Float64Array(3), problem.fullInner, g0);
  for (let q = 0; q < 4; q++) {
    const ctu = new Float64Array(6);
    problem.innerGradZ(zero, aux.directions[q], problem.fullInner, ctu);
    for (let k = 0; k < 6; k++) ctu[k] -= g0[k];
    const d = new Float64Array(6);
    const hd = new Float64Array(6);
    for (let i = 0; i < T; i++) {
      problem.innerHvp(z, x, d, problem.fullInner, hd);
      for (let k = 0; k < 6; k++) d[k] -= alpha * (hd[k] + ctu[k]);
    }
    assert.ok(relDiff(aux.deltas[q], d) < QUOTIENT_TOL, `q=${q}: ${relDiff(aux.deltas[q], d)}`);
  }
  // and the base run is T GD steps from z
  const zt = Float64Array.from(z);
  const g = new Float64Array(6);
  for (let i = 0; i < T; i++) {
    problem.innerGradZ(zt, x, problem.fullInner, g);
    for (let k = 0; k < 6; k++) zt[k] -= alpha * g[k];
  }
  assert.ok(relDiff(out, zt) < 1e-15);
});

/**
 * A problem whose inner gradient uses a shifted minibatch in the perturbed runs of each outer step (call c of the
 * step belongs to run ⌊c/T⌋; runs ≥ 1 get sample (i+1) mod n): the broken variant "different batches in the two runs".
 */
function unsharedBatches(p: BilevelProblem, T: number, Q: number): BilevelProblem {
  let calls = 0;
  const shifted = new Int32Array(p.nInner);
  const wrapped = Object.create(p) as BilevelProblem;
  wrapped.innerGradZ = (z, x, batch, out) => {
    const run = Math.floor(calls / T) % (Q + 1);
    calls++;
    if (run === 0) return p.innerGradZ(z, x, batch, out);
    const b = shifted.subarray(0, batch.length);
    for (let i = 0; i < batch.length; i++) b[i] = (batch[i] + 1) % p.nInner;
    p.innerGradZ(z, x, b, out);
  };
  return wrapped;
}

test('esjS: the runs share start and minibatches, so δ_q does not depend on μ (and would, by O(1/μ), otherwise)', () => {
  const T = 5;
  const Q = 3;
  const deltas = (p: BilevelProblem, smoothing: number) => {
    const solver = esjS({ batchSize: 4, innerIterations: T, directions: Q, innerStep: 0.05, smoothing });
    const state = solver.inner.init(p, Rng.fromSeed(7));
    const { z, v, x } = point(8);
    return (solver.inner.step(state, { z, v, x }, 0, new Float64Array(6)) as EsjAux).deltas;
  };
  const small = deltas(problem, 1e-4);
  const large = deltas(problem, 1);
  for (let q = 0; q < Q; q++) assert.ok(relDiff(small[q], large[q]) < QUOTIENT_TOL * 10, `q=${q}: ${relDiff(small[q], large[q])}`);
  // broken variant: different batches in the perturbed runs make the quotient blow up as μ → 0
  const brokenSmall = deltas(unsharedBatches(problem, T, Q), 1e-4);
  const brokenLarge = deltas(unsharedBatches(problem, T, Q), 1);
  assert.ok(nrm2(brokenSmall[0]) > 100 * nrm2(brokenLarge[0]), `${nrm2(brokenSmall[0])} vs ${nrm2(brokenLarge[0])}`);
});

test('esj: the outer step is x − γ(∇_xF + (1/Q) Σ u_q ⟨δ_q, ∇_zF⟩); the linear-system part keeps v and calls nothing', () => {
  const gamma = 0.07;
  const solver = esj({ outerStep: gamma });
  const { z, x } = point(4);
  const v = Float64Array.from([1, 2, 3, 4, 5, 6]);
  const counts = { outer: emptyCounts(), linsys: emptyCounts() };
  const outer = solver.outer.init(countingProblem(problem, counts.outer), Rng.fromSeed(1));
  const rng = Rng.fromSeed(5);
  const aux: EsjAux = { directions: [rng.normals(new Float64Array(3)), rng.normals(new Float64Array(3))], deltas: [rng.normals(new Float64Array(6)), rng.normals(new Float64Array(6))] };
  const out = new Float64Array(3);
  solver.outer.step(outer, { z, v, x, aux: { z: aux } }, 0, out);
  const b = new Float64Array(6);
  const fx = new Float64Array(3);
  problem.outerGradZ(z, x, problem.fullOuter, b);
  problem.outerGradX(z, x, problem.fullOuter, fx);
  const expected = Float64Array.from(x, (xi, k) => {
    let m = 0;
    for (let q = 0; q < 2; q++) m += (aux.directions[q][k] * aux.deltas[q].reduce((s, d, i) => s + d * b[i], 0)) / 2;
    return xi - gamma * (fx[k] + m);
  });
  assert.ok(relDiff(out, expected) < 1e-14);
  assert.deepEqual({ ...counts.outer, fullPasses: 0, outerSamples: 0 }, { ...emptyCounts(), outerGradZ: 1, outerGradX: 1 });
  // without aux (a schedule that pairs no Jacobian sample with z) the step is x − γ∇_xF
  solver.outer.step(outer, { z, v, x }, 1, out);
  assert.ok(relDiff(out, Float64Array.from(x, (xi, k) => xi - gamma * fx[k])) < 1e-15);

  const linsys = solver.linsys.init(countingProblem(problem, counts.linsys), Rng.fromSeed(2));
  const vOut = new Float64Array(6);
  assert.equal(solver.linsys.step(linsys, { z, v, x }, 0, vOut), undefined);
  assert.deepEqual(Array.from(vOut), Array.from(v));
  assert.equal(totalCalls(counts.linsys), 0);
});
