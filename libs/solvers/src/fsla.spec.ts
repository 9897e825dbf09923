// FSLA: the benchmark's defaults and the parts it is built from; the oracle calls of a step; and its paper's two
// claims on a quadratic: the linear-system variable v carries the hypergradient's history well enough to track
// v*(x_t) = −H⁻¹∇_z F along the run (no inner loop, no series), and the STORM momentum makes the x direction far more
// accurate than one minibatch sample of it (with the momentum off, a = 1, it is not).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockSampler, nrm2, Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { countingProblem, emptyCounts } from './oracle-counts';
import type { Solver, StreamName } from './solver';
import { fsla } from './fsla';

const problem = quadraticProblem({ dimZ: 8, dimX: 4, nInner: 64, nOuter: 64, seed: 5 });
const dist = (a: Float64Array, b: Float64Array) => nrm2(Float64Array.from(a, (v, i) => v - b[i]));

/** Drives the parts by hand in the gauss-seidel order: z, then v at the new z, then x at the new z and v. */
function drive(solver: Solver, T: number, seed: number, visit: (t: number, z1: Float64Array, v1: Float64Array, x: Float64Array, x1: Float64Array) => void) {
  const counts = { inner: emptyCounts(), linsys: emptyCounts(), outer: emptyCounts() };
  const rng = Rng.fromSeed(seed);
  const st = {} as Record<StreamName, unknown>;
  for (const s of ['inner', 'linsys', 'outer'] as const) st[s] = solver[s].init(countingProblem(problem, counts[s]), rng.split());
  let z = new Float64Array(8);
  let v = new Float64Array(8);
  let x = new Float64Array(4);
  for (let t = 0; t < T; t++) {
    const z1 = new Float64Array(8);
    const v1 = new Float64Array(8);
    const x1 = new Float64Array(4);
    solver.inner.step(st.inner, { z, v, x }, t, z1);
    solver.linsys.step(st.linsys, { z: z1, v, x }, t, v1);
    solver.outer.step(st.outer, { z: z1, v: v1, x }, t, x1);
    visit(t, z1, v1, x, x1);
    z = z1;
    v = v1;
    x = x1;
  }
  return counts;
}

test('fsla: the benchmark defaults (steps 0.1 (t+1)^−1/2, momentum 0.1 (t+1)^−1/2, batch 64), gauss-seidel, SGD on z and v, STORM on x', () => {
  const s = fsla();
  assert.deepEqual(s.options, { batchSize: 64, innerStep: 0.1, outerStep: 0.1, stepDecay: 0.5, momentum: 0.1, momentumDecay: 0.5 });
  assert.equal(s.schedule, 'gauss-seidel');
  assert.match(s.citation, /Li, Gu, Huang\. A fully single loop algorithm for bilevel optimization without Hessian inverse\. AAAI 2022/);
  const power = { kind: 'power', base: 0.1, exponent: 0.5 };
  assert.deepEqual([s.inner.description, s.linsys.description, s.outer.description], [
    { estimator: 'sgd', batchSize: 64, step: power },
    { estimator: 'sgd', batchSize: 64, step: power },
    { estimator: 'storm', batchSize: 64, step: power },
  ]);
  assert.throws(() => fsla({ momentum: 2 }), /fsla: momentum must be in \(0, 1\], received 2/);
  assert.throws(() => fsla({ eta: 0.1 } as never), /fsla: unknown option "eta"/);
});

test('fsla: oracle calls of a step: z 1 ∇_z g; v 1 HVP and 1 ∇_z f; x 1 then 2 cross products and ∇_x f', () => {
  const counts = drive(fsla({ batchSize: 4 }), 3, 0, () => {});
  assert.deepEqual([counts.inner.innerGrad, counts.linsys.hvp, counts.linsys.outerGradZ], [3, 3, 3]);
  assert.deepEqual([counts.outer.cross, counts.outer.outerGradX], [1 + 2 + 2, 1 + 2 + 2]);
});

test('fsla: v tracks v*(x_t) along the run: its relative error falls below 0.4 and to less than half its early value', () => {
  const errors: number[] = [];
  drive(fsla({ batchSize: 4 }), 3000, 0, (t, _z1, v1, _x, x1) => {
    if (t === 10 || t === 2999) errors.push(dist(v1, problem.hypergradient(x1).v) / nrm2(problem.hypergradient(x1).v));
  });
  // measured on seeds 0–2: 0.93–0.96 at t = 10, 0.25–0.31 at t = 3000
  assert.ok(errors[1] < 0.4 && errors[1] < errors[0] / 2, `‖v − v*‖/‖v*‖: ${errors[0]} at t = 10, ${errors[1]} at the end`);
});

test('fsla: over the second half of 3000 steps the x direction is within 0.1 of one sample\'s error (variance reduction); with a = 1 it is not', () => {
  const ratio = (opts: object) => {
    const cross = new BlockSampler(64, 4, Rng.fromSeed(77));
    const outer = new BlockSampler(64, 4, Rng.fromSeed(78));
    const c = new Float64Array(4);
    const f = new Float64Array(4);
    const full = new Float64Array(4);
    const one = new Float64Array(4);
    let eDir = 0;
    let eOne = 0;
    drive(fsla({ batchSize: 4, ...opts }), 3000, 0, (t, z1, v1, x, x1) => {
      if (t < 1500) return;
      const gamma = 0.1 * (t + 1) ** -0.5;
      const d = Float64Array.from(x, (e, i) => (e - x1[i]) / gamma);
      problem.innerCross(z1, x, v1, problem.fullInner, c);
      problem.outerGradX(z1, x, problem.fullOuter, f);
      for (let k = 0; k < 4; k++) full[k] = c[k] + f[k];
      problem.innerCross(z1, x, v1, cross.next().indices, c);
      problem.outerGradX(z1, x, outer.next().indices, f);
      for (let k = 0; k < 4; k++) one[k] = c[k] + f[k];
      eDir += dist(d, full) ** 2;
      eOne += dist(one, full) ** 2;
    });
    return Math.sqrt(eDir / eOne);
  };
  // measured on seeds 0–2: 0.009–0.020 with the defaults, 0.83–1.03 with a = 1
  const withMomentum = ratio({});
  const without = ratio({ momentum: 1, momentumDecay: 0 });
  assert.ok(withMomentum < 0.1, `with momentum ${withMomentum}`);
  assert.ok(without > 0.5, `without momentum ${without}`);
});
