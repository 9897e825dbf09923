import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, nrm2 } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { isgd } from './isgd';
import { countingProblem, emptyCounts } from './oracle-counts';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 24, nOuter: 20, seed: 5 });
const x = Float64Array.from([0.2, -0.1, 0.4]);

test('isgd: defaults (batch 64, δ = 0.1, 200-iteration FISTA and CG, SGD, fixed batch order), schedules of ε, δ, α', () => {
  const s = isgd();
  assert.equal(s.schedule, 'gauss-seidel');
  assert.match(s.citation, /Bilevel learning with inexact stochastic gradients\. SSVM 2025/);
  assert.deepEqual(
    [s.options.batchSize, s.options.delta0, s.options.innerMaxIter, s.options.cgMaxIter, s.options.optimizer, s.options.shuffle, s.options.innerSolver],
    [64, 0.1, 200, 200, 'sgd', false, 'fista'],
  );
  assert.deepEqual([s.options.epsilon0, s.options.innerDecay, s.options.deltaDecay, s.options.outerDecay], [0.1, 0.5, 0.5, 0.6]);
  assert.equal(isgd({ innerDecay: 1 }).options.deltaDecay, 1); // δ follows ε unless told
});

test('isgd: invalid options are errors naming the function, the field, the value and the expectation', () => {
  assert.throws(() => isgd({ optimizer: 'rmsprop' as never }), /isgd: optimizer must be "sgd" or "adam", received rmsprop/);
  assert.throws(() => isgd({ shuffle: 'yes' as never }), /isgd: shuffle must be a boolean, received yes/);
  assert.throws(() => isgd({ innerDecay: -1 }), /isgd: innerDecay must be a finite number ≥ 0, received -1/);
  assert.throws(() => isgd({ batch: 8 } as never), /isgd: unknown option "batch"/);
});

test('isgd parts by hand: z to ε_k, v for the published block to δ_k (warm-started per block), p on the same block', () => {
  const solver = isgd({ batchSize: 8, epsilon0: 1e-3, delta0: 1e-4, outerStep: 0.3, outerDecay: 0 });
  const counts = emptyCounts();
  const rng = Rng.fromSeed(1);
  const si = solver.inner.init(problem, rng.split());
  const sl = solver.linsys.init(countingProblem(problem, counts), rng.split());
  const so = solver.outer.init(problem, rng.split());
  const z = new Float64Array(problem.dimZ);
  const v = new Float64Array(problem.dimZ);
  const z1 = new Float64Array(problem.dimZ);
  solver.inner.step(si, { z, v, x }, 0, z1);
  const g = new Float64Array(problem.dimZ);
  problem.innerGradZ(z1, x, problem.fullInner, g);
  assert.ok(nrm2(g) <= 1e-3, `‖∇G‖ = ${nrm2(g)}`);
  // 20 outer samples in blocks of 7, 7, 6 (sizes differ by at most one), visited 0, 1, 2, 0, … in sample order
  const blocks: Int32Array[] = [];
  const vs: Float64Array[] = [];
  const hvps: number[] = [];
  for (let t = 0; t < 4; t++) {
    const out = new Float64Array(problem.dimZ);
    const before = counts.hvp;
    const aux = solver.linsys.step(sl, { z: z1, v, x }, t, out) as { indices: Int32Array };
    hvps.push(counts.hvp - before);
    blocks.push(aux.indices);
    vs.push(out);
  }
  assert.deepEqual(blocks.map((b) => Array.from(b)), [[0, 1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12, 13], [14, 15, 16, 17, 18, 19], [0, 1, 2, 3, 4, 5, 6]]);
  const hv = new Float64Array(problem.dimZ);
  const b = new Float64Array(problem.dimZ);
  problem.innerHvp(z1, x, vs[0], problem.fullInner, hv);
  problem.outerGradZ(z1, x, blocks[0], b);
  assert.ok(nrm2(Float64Array.from(hv, (e, i) => e + b[i])) <= 1e-4, 'CG residual above δ₀');
  // the 4th solve revisits block 0 at the same (z, x) from its stored v: the residual test passes at once (one HVP),
  // while the first visits start from zero (measured 7, 7, 7 HVPs: the initial residual + 6 CG steps in dimension 6)
  assert.ok(hvps[0] > 1 && hvps[3] === 1, `HVPs per solve: ${hvps.join(', ')}`);
  assert.deepEqual(vs[3], vs[0]);
  // outer: x − α (∇_x f_B(z, x) + ∇²_xzG v) on the block published with v
  const x1 = new Float64Array(problem.dimX);
  solver.outer.step(so, { z: z1, v: vs[0], x, aux: { v: { indices: blocks[0] } } }, 0, x1);
  const fx = new Float64Array(problem.dimX);
  const cv = new Float64Array(problem.dimX);
  problem.outerGradX(z1, x, blocks[0], fx);
  problem.innerCross(z1, x, vs[0], problem.fullInner, cv);
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(x1[k] - (x[k] - 0.3 * (fx[k] + cv[k]))) < 1e-15);
  assert.throws(() => solver.outer.step(so, { z: z1, v, x }, 1, x1), /isgd: .*gauss-seidel/);
});

test('isgd: Adam takes a first step of size α per coordinate (bias-corrected moments)', () => {
  const solver = isgd({ batchSize: 20, optimizer: 'adam', outerStep: 0.01 });
  const so = solver.outer.init(problem, Rng.fromSeed(0));
  const z = problem.solveInner(x).z;
  const v = new Float64Array(problem.dimZ).fill(0.1);
  const x1 = new Float64Array(problem.dimX);
  solver.outer.step(so, { z, v, x, aux: { v: { indices: problem.fullOuter } } }, 0, x1);
  // m̂ = p, ŝ = p² after one step: x − α p/(|p| + 1e-8) = x − α sign(p)
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(Math.abs(x1[k] - x[k]) - 0.01) < 1e-9, `${x1[k] - x[k]}`);
});

test('isgd: linsysSolver picks the linear solver of the shared lower level by name; per-sample keeps CG', () => {
  assert.throws(() => isgd({ lowerLevel: 'per-sample', linsysSolver: 'gmres' }), /isgd: lowerLevel "per-sample" solves its blocks by cg, received linsysSolver gmres/);
  const zStar = problem.solveInner(x).z;
  for (const name of ['gmres', 'bicgstab'] as const) {
    const solver = isgd({ batchSize: 8, delta0: 1e-6, linsysSolver: name });
    const state = solver.linsys.init(problem, Rng.fromSeed(1));
    const v = new Float64Array(problem.dimZ);
    solver.linsys.step(state, { z: zStar, v: new Float64Array(problem.dimZ), x }, 0, v);
    const d = solver.linsys.diagnostics!(state);
    assert.ok(d.residual <= 1e-6 && d.linsysStalled === 0 && d.linsysReason === 0, `${name}: ${JSON.stringify(d)}`);
  }
});
