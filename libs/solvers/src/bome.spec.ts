// BOME: the benchmark's defaults; its step by hand (z_T from T gradient steps, the dynamic barrier: the joint direction
// d = ∇F + λ∇q̂ satisfies ⟨d, ∇q̂⟩ ≥ φ = η‖∇q̂‖², with equality whenever λ > 0); the oracle calls of a step; and the
// paper's point on a quadratic: the value-function gap q(z, x) = G(z, x) − min G(·, x) shrinks along the run (by 50× in
// 1000 steps at the defaults), which it does not without the barrier's control (η = 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import { bome } from './bome';
import { countingProblem, emptyCounts } from './oracle-counts';
import type { HypergradientDirection } from './parts/recursive-hypergradient';
import type { Solver, StreamName } from './solver';

const problem = quadraticProblem({ dimZ: 10, dimX: 5, nInner: 64, nOuter: 64, seed: 1 });
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, t, i) => s + t * b[i], 0);

/** Drives the parts by hand in the gauss-seidel order; `visit` sees each step's point, new z and published direction. */
function drive(solver: Solver, T: number, visit: (t: number, z: Float64Array, x: Float64Array, z1: Float64Array, d: HypergradientDirection, x1: Float64Array, st: Record<StreamName, unknown>) => void, z0?: Float64Array, x0?: Float64Array) {
  const counts = { inner: emptyCounts(), linsys: emptyCounts(), outer: emptyCounts() };
  const rng = Rng.fromSeed(0);
  const st = {} as Record<StreamName, unknown>;
  for (const s of ['inner', 'linsys', 'outer'] as const) st[s] = solver[s].init(countingProblem(problem, counts[s]), rng.split());
  let z = z0 ?? new Float64Array(10);
  let v = new Float64Array(10);
  let x = x0 ?? new Float64Array(5);
  for (let t = 0; t < T; t++) {
    const z1 = new Float64Array(10);
    const v1 = new Float64Array(10);
    const x1 = new Float64Array(5);
    const published = solver.inner.step(st.inner, { z, v, x }, t, z1) as HypergradientDirection;
    solver.linsys.step(st.linsys, { z: z1, v, x }, t, v1);
    solver.outer.step(st.outer, { z: z1, v: v1, x, aux: { z: published } }, t, x1);
    visit(t, z, x, z1, published, x1, st);
    z = z1;
    v = v1;
    x = x1;
  }
  return { counts, st };
}

test('bome: the benchmark defaults (steps 0.1, η 0.5, T = 10, φ = η‖∇q̂‖², full batch), gauss-seidel; ∇_x g is required', () => {
  const s = bome({ batchSize: 8 });
  assert.deepEqual(s.options, { batchSize: 'full', innerStep: 0.1, zStep: 0.1, outerStep: 0.1, eta: 0.5, innerIters: 10, phi: 'grad-norm' });
  assert.equal(s.schedule, 'gauss-seidel');
  assert.match(s.citation, /Liu, Ye, Wright, Stone, Liu\. BOME! Bilevel optimization made easy: a simple first-order approach\. NeurIPS 2022/);
  assert.equal(bome({ innerStep: 0.3 }).options.zStep, 0.3);
  assert.throws(() => bome({ phi: 'norm' as never }), /bome: phi must be one of grad-norm, value, received norm/);
  assert.throws(() => bome({ eta: -1 }), /bome: eta must be a finite number ≥ 0, received -1/);
  assert.throws(() => bome({ batchSize: 0 }), /bome: batchSize must be a positive integer, received 0/);
  const without = Object.create(problem, { innerGradX: { value: undefined } }) as BilevelProblem;
  assert.throws(() => s.inner.init(without, Rng.fromSeed(0)), /bome: problem "quadratic" does not provide the oracle innerGradX/);
});

test('bome: the step by hand; the dynamic barrier ⟨d, ∇q̂⟩ ≥ η‖∇q̂‖², with equality when λ > 0', () => {
  const alpha = 0.2;
  const xiZ = 0.05;
  const xi = 0.07;
  const T = 4;
  const eta = 0.5;
  const solver = bome({ innerStep: alpha, zStep: xiZ, outerStep: xi, innerIters: T, eta });
  const g = new Float64Array(10);
  let active = 0;
  drive(
    solver,
    30,
    (_t, z, x, z1, published, x1, st) => {
      // z_T, ∇q̂ and the joint direction by hand
      const zT = Float64Array.from(z);
      for (let i = 0; i < T; i++) {
        problem.innerGradZ(zT, x, problem.fullInner, g);
        for (let k = 0; k < 10; k++) zT[k] -= alpha * g[k];
      }
      const qz = new Float64Array(10);
      const qx = new Float64Array(5);
      const gxT = new Float64Array(5);
      problem.innerGradZ(z, x, problem.fullInner, qz);
      problem.innerGradX(z, x, problem.fullInner, qx);
      problem.innerGradX(zT, x, problem.fullInner, gxT);
      for (let k = 0; k < 5; k++) qx[k] -= gxT[k];
      const dz = Float64Array.from(z, (t, k) => (t - z1[k]) / xiZ);
      const dx = published.direction;
      assert.ok(x1.every((t, k) => Math.abs(t - (x[k] - xi * dx[k])) <= 1e-15 * (1 + Math.abs(t))), 'x step');
      const q2 = dot(qz, qz) + dot(qx, qx);
      const barrier = dot(dz, qz) + dot(dx, qx);
      const lambda = solver.inner.diagnostics!(st.inner).lambda;
      assert.ok(barrier >= eta * q2 * (1 - 1e-9), `⟨d, ∇q̂⟩ = ${barrier} < φ = ${eta * q2}`);
      if (lambda > 0) {
        active++;
        assert.ok(Math.abs(barrier - eta * q2) <= 1e-9 * eta * q2, `λ > 0 but ⟨d, ∇q̂⟩ = ${barrier} ≠ φ = ${eta * q2}`);
      }
    },
    Float64Array.from({ length: 10 }, (_, i) => Math.sin(i)),
    Float64Array.from({ length: 5 }, (_, i) => 0.3 * Math.cos(i)),
  );
  assert.ok(active > 0, 'the barrier was never active');
});

test('bome: oracle calls of a step: T + 1 ∇_z g and 2 ∇_x g, 1 ∇_z f and 1 ∇_x f, all full passes; v and x make none', () => {
  const T = 6;
  const { counts } = drive(bome({ innerIters: T }), 3, () => {});
  assert.deepEqual([counts.inner.innerGrad, counts.inner.innerGradX, counts.inner.outerGradZ, counts.inner.outerGradX], [3 * (T + 1), 3 * 2, 3, 3]);
  assert.equal(counts.inner.fullPasses, 3 * (T + 5));
  assert.equal(counts.inner.innerValue, 0);
  const valued = drive(bome({ innerIters: T, phi: 'value' }), 3, () => {}).counts;
  assert.equal(valued.inner.innerValue, 3 * 2);
  for (const c of [counts.linsys, counts.outer]) assert.equal(c.innerGrad + c.innerGradX + c.hvp + c.cross + c.outerGradX + c.outerGradZ, 0);
});

test('bome: the value-function gap G(z, x) − min G(·, x) shrinks below 1/20 of its start in 1000 steps; with η = 0 it does not', () => {
  const gapRatio = (opts: object) => {
    const gap = (z: Float64Array, x: Float64Array) => problem.innerValue(z, x, problem.fullInner) - problem.innerValue(problem.hypergradient(x).z, x, problem.fullInner);
    let first = NaN;
    let last = NaN;
    drive(bome(opts), 1000, (t, z, x, z1, _d, x1) => {
      if (t === 0) first = gap(z, x);
      if (t === 999) last = gap(z1, x1);
    });
    return last / first;
  };
  // measured: 0.020 at the defaults (0.189 → 3.8e-3); 1.15 with η = 0 (0.189 → 0.217)
  const controlled = gapRatio({});
  const uncontrolled = gapRatio({ eta: 0 });
  assert.ok(controlled < 0.05, `η = 0.5: ${controlled}`);
  assert.ok(uncontrolled > 0.5, `η = 0: ${uncontrolled}`);
});
