// SABA on data hyper-cleaning (bundled Fashion-MNIST subset): the batch-sparse path for the cross term gives the same
// bits as the dense SAGA table, through the plain loop and through the coupled streams; the other solvers run on the
// dense oracles; and a short run cleans: the detector finds most wrong labels and the model beats plain training on
// the corrupted labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom } from 'rxjs';
import type { BilevelProblem } from '@bilevel/problems';
import { dataCleaning, sampleWeightOracles } from '@bilevel/problems';
import { saba, soba } from '@bilevel/solvers';
import { run, runLoop } from '@bilevel/streams';

const problem = dataCleaning({ n: 200, m: 100, seed: 2 });

/** The same problem without its sample-weight structure: SABA takes its dense path. */
function denseView(p: BilevelProblem): BilevelProblem {
  const view: BilevelProblem = {
    name: p.name,
    dimZ: p.dimZ,
    dimX: p.dimX,
    nInner: p.nInner,
    nOuter: p.nOuter,
    precision: p.precision,
    fullInner: p.fullInner,
    fullOuter: p.fullOuter,
    innerValue: (z, x, b) => p.innerValue(z, x, b),
    outerValue: (z, x, b) => p.outerValue(z, x, b),
    innerGradZ: (z, x, b, o) => p.innerGradZ(z, x, b, o),
    innerHvp: (z, x, v, b, o) => p.innerHvp(z, x, v, b, o),
    innerCross: (z, x, v, b, o) => p.innerCross(z, x, v, b, o),
    outerGradZ: (z, x, b, o) => p.outerGradZ(z, x, b, o),
    outerGradX: (z, x, b, o) => p.outerGradX(z, x, b, o),
    solveInner: (x, o) => p.solveInner(x, o),
    hypergradient: (x, o) => p.hypergradient(x, o),
  };
  return view;
}

/** Bitwise equality of two float64 arrays (distinguishes −0 and +0, equal NaN payloads). */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const STEPS = { batchSize: 32, innerStep: 0.03, outerStep: 10 };

test('SABA: the sparse cross memory gives the same bits as the dense table (plain loop)', () => {
  assert.ok(sampleWeightOracles(problem));
  assert.equal(sampleWeightOracles(denseView(problem)), undefined);
  const sparse = runLoop(problem, saba(STEPS), { maxIter: 150, seed: 4 });
  const dense = runLoop(denseView(problem), saba(STEPS), { maxIter: 150, seed: 4 });
  assert.ok(sameBits(sparse.x, dense.x), 'x');
  assert.ok(sameBits(sparse.z, dense.z), 'z');
  assert.ok(sameBits(sparse.v, dense.v), 'v');
  assert.ok(sparse.x.some((t) => t !== 0));
  // the sparse path skips ∇_x F (zero here) and does not count its cross calls through the counter
  assert.equal(sparse.counts.total.outerGradX, 0);
  assert.equal(dense.counts.total.outerGradX, 150);
});

test('SABA: with ∇_x F tracked (outerIndependentOfX false) the sparse path still matches the dense one', () => {
  const tracked = Object.create(problem, { outerIndependentOfX: { value: false } }) as BilevelProblem;
  const a = runLoop(tracked, saba(STEPS), { maxIter: 100, seed: 5 });
  const b = runLoop(denseView(problem), saba(STEPS), { maxIter: 100, seed: 5 });
  assert.ok(sameBits(a.x, b.x) && sameBits(a.z, b.z) && sameBits(a.v, b.v));
  assert.equal(a.counts.total.outerGradX, 100);
});

test('SABA on the coupled streams equals the plain loop on the sparse path', async () => {
  const loop = runLoop(problem, saba(STEPS), { maxIter: 100, seed: 6 });
  const streams = await lastValueFrom(run(problem, saba(STEPS), { maxIter: 100, seed: 6, sampleEvery: 100 }));
  assert.ok(sameBits(loop.x, streams.x) && sameBits(loop.z, streams.z));
});

test('SOBA runs on the dense cross oracle', () => {
  const last = runLoop(problem, soba({ batchSize: 32, innerStep: 0.03, outerStep: 10 }), { maxIter: 100, seed: 7 });
  assert.ok(last.x.every(Number.isFinite) && last.x.some((t) => t !== 0));
});

test('a short SABA run cleans the bundled default: detector well above chance, test error below plain training', () => {
  const p = dataCleaning();
  const last = runLoop(p, saba({ batchSize: 64, innerStep: 0.03, outerStep: 100 }), { maxIter: 500, seed: 1 });
  const m = p.metrics(last.x, last.z);
  // chance precision is the share of wrong labels, ≈ 0.45
  assert.ok(m.detectorPrecision > 0.7, `precision ${m.detectorPrecision}`);
  assert.ok(m.detectorRecall > 0.8, `recall ${m.detectorRecall}`);
  const corrupted = p.errors(p.solveWeighted(p.baselineWeights('corrupted'), { tol: 1e-6 }).z);
  assert.ok(m.testError < corrupted.testError, `SABA ${m.testError} vs training on corrupted labels ${corrupted.testError}`);
});
