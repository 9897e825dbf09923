// The inexact stochastic method with one lower-level problem per training image (isgd, lowerLevel 'per-sample') on
// the imaging problems: its direction is the exact minibatch hypergradient when the tolerances are tight, a step costs
// oracle work on the minibatch only, each image keeps its own warm start, and the run replays from its seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { nrm2, Rng } from '@bilevel/linalg';
import { imagingProblem, quadraticProblem } from '@bilevel/problems';
import { isgd } from '@bilevel/solvers';
import { run, runLoop } from '@bilevel/streams';

/** 12 training patches of 16×16 (two per bundled image), no held-out set: fast. */
const problem = imagingProblem({ patchSize: 16, patchesPerImage: 2, heldOut: [] });
const x = Float64Array.of(-2.2, -4.5);

test('isgd per-sample: with tight tolerances the step is x − α·∇h_B, the exact hypergradient of the minibatch B', () => {
  const solver = isgd({ batchSize: 4, lowerLevel: 'per-sample', epsilon0: 1e-11, delta0: 1e-11, innerDecay: 0, outerStep: 0.1, outerDecay: 0, innerMaxIter: 100_000, cgMaxIter: 100_000 });
  const rng = Rng.fromSeed(3);
  const si = solver.inner.init(problem, rng.split());
  const sl = solver.linsys.init(problem, rng.split());
  const so = solver.outer.init(problem, rng.split());
  const z0 = Float64Array.from(problem.train.observed);
  const v0 = new Float64Array(problem.dimZ);
  const z1 = Float64Array.from(z0);
  const auxZ = solver.inner.step(si, { z: z0, v: v0, x }, 0, z1) as { indices: Int32Array };
  const batch = Array.from(auxZ.indices);
  assert.equal(batch.length, 4);
  // only the minibatch's images moved
  for (let j = 0; j < problem.nInner; j++) {
    const moved = nrm2(z1.subarray(j * problem.P, (j + 1) * problem.P).map((e, i) => e - z0[j * problem.P + i])) > 0;
    assert.equal(moved, batch.includes(j), `image ${j}`);
  }
  const v1 = new Float64Array(problem.dimZ);
  const auxV = solver.linsys.step(sl, { z: z1, v: v0, x, aux: { z: auxZ, v: undefined, x: undefined } }, 0, v1);
  const x1 = new Float64Array(2);
  solver.outer.step(so, { z: z1, v: v1, x, aux: { z: auxZ, v: auxV, x: undefined } }, 0, x1);
  // exact: z*, v* of the whole problem, cross product over the minibatch (v*_j = −[∇²g_j]⁻¹ 2(z_j − c_j))
  const exact = problem.hypergradient(x, { tol: 1e-12 });
  const gradB = new Float64Array(2);
  problem.innerCross(exact.z, x, exact.v, Int32Array.from(batch), gradB);
  const p = x1.map((e, k) => (x[k] - e) / 0.1);
  // tolerances 1e-11 on batch means: ‖z − z*‖ ≤ 4e-11/μ_B, the direction is exact to ~1e-9 relative
  assert.ok(nrm2(p.map((e, k) => e - gradB[k])) <= 1e-8 * nrm2(gradB), `${Array.from(p)} vs ${Array.from(gradB)}`);
  // and its mean over the three blocks of one epoch is the full hypergradient (an unbiased estimate)
  assert.ok(nrm2(gradB.map((e, k) => e - exact.grad[k])) > 1e-3 * nrm2(exact.grad), 'a minibatch direction differs from ∇h');
});

test('isgd per-sample: a step touches the minibatch only (no full pass), warm starts are per image, runs replay from the seed', async () => {
  const solver = () => isgd({ batchSize: 3, lowerLevel: 'per-sample', outerStep: 0.2, shuffle: true });
  const last = runLoop(problem, solver(), { seed: 5, maxIter: 40, x0: x });
  const c = last.counts.total;
  assert.equal(c.fullPasses, 0);
  // every inner oracle call is on a minibatch of 3: innerGrad, HVP and cross calls touch 3 samples each
  assert.equal(c.innerSamples, 3 * (c.innerGrad + c.hvp + c.cross + c.innerValue));
  // 4 blocks visited 10 times each: a revisit warm-starts from the image's last solution, so later solves are short
  const snaps: number[] = [];
  runLoop(problem, solver(), { seed: 5, maxIter: 40, sampleEvery: 1, x0: x }, (s) => snaps.push(s.diagnostics.inner?.iterations ?? 0));
  const first = snaps.slice(1, 5).reduce((a, b) => a + b, 0);
  const late = snaps.slice(37, 41).reduce((a, b) => a + b, 0);
  assert.ok(late < first, `inner iterations of the first epoch ${first}, of the last ${late}`);
  // the three streams give the plain loop's bits
  const streamed = await lastValueFrom(run(problem, solver(), { seed: 5, maxIter: 40, sampleEvery: 40, x0: x }).pipe(toArray()));
  assert.deepEqual(streamed.at(-1)!.x, last.x);
});

test('isgd per-sample: options are validated (needs paired samples in equal blocks, FISTA, a known mode)', () => {
  const unpaired = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 24, nOuter: 20, seed: 5 });
  assert.throws(() => runLoop(unpaired, isgd({ lowerLevel: 'per-sample' }), { maxIter: 1 }), /isgd: lowerLevel "per-sample" needs paired samples and equal blocks \(nInner = nOuter, dimZ a multiple of nInner\); problem "quadratic" has nInner = 24, nOuter = 20, dimZ = 6/);
  assert.throws(() => isgd({ lowerLevel: 'per-sample', innerSolver: 'lbfgs' }), /isgd: lowerLevel "per-sample" solves with fista, received innerSolver lbfgs/);
  assert.throws(() => isgd({ lowerLevel: 'each' as never }), /isgd: lowerLevel must be "shared" or "per-sample", received each/);
  assert.equal(isgd().options.lowerLevel, 'shared');
});
