// Child process of `benchMemory` (run as `node --expose-gc --import tsx cleaning-memory-child.ts '<json args>'`):
// SABA on Fashion-MNIST data cleaning, sampling RSS and heap, and the bytes of the arrays that must be resident.
import type { PixelRows } from '@bilevel/problems';
import { BlockSampler, Rng } from '@bilevel/linalg';
import { DATA_CLEANING_STEPS, dataCleaning } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { runLoop } from '@bilevel/streams';

/** Arguments of the child run. */
export interface CleaningMemoryArgs {
  readonly dir: string;
  readonly n: number;
  readonly m: number;
  readonly iters: number;
  readonly every: number;
}

const mb = (b: number) => +(b / 2 ** 20).toFixed(2);
const args = JSON.parse(process.argv[2] ?? '{}') as CleaningMemoryArgs;
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const base = process.memoryUsage();
const t0 = performance.now();
const problem = dataCleaning({ dir: args.dir, n: args.n, m: args.m, seed: 0 });
const buildSeconds = (performance.now() - t0) / 1000;
const afterBuild = process.memoryUsage();
const maxRssAfterBuild = process.resourceUsage().maxRSS * 1024;
gc?.();
const afterBuildGc = process.memoryUsage();

const rowsBytes = (X: PixelRows) => X.rowStart.byteLength + X.pixel.byteLength + X.value.byteLength;
const data = {
  train: rowsBytes(problem.train),
  val: rowsBytes(problem.val),
  test: rowsBytes(problem.test),
  scaling: problem.scaling.mean.byteLength + problem.scaling.invStd.byteLength,
  labels: problem.trainLabels.byteLength + problem.trueLabels.byteLength + problem.corrupted.byteLength + problem.valLabels.byteLength + problem.testLabels.byteLength,
};
// SABA's tables at batch 64 (see saba.ts): SagaMemory rows + mean for ∇_z g (inner blocks) and ∇²_zz g·v (inner
// blocks) and ∇_z F (outer blocks), the block-sparse cross memory (values + mean, 2·dimX), each with q and d buffers.
const b = DATA_CLEANING_STEPS.batchSize;
const nbInner = new BlockSampler(problem.nInner, b, Rng.fromSeed(0)).nBlocks;
const nbOuter = new BlockSampler(problem.nOuter, b, Rng.fromSeed(0)).nBlocks;
const dz = problem.dimZ;
const tables = {
  innerGrad: (nbInner + 3) * dz * 8,
  hvp: (nbInner + 3) * dz * 8,
  outerGradZ: (nbOuter + 3) * dz * 8,
  crossSparse: 2 * problem.dimX * 8 + 2 * b * 8,
};
const iterates = 3 * 2 * (dz + dz + problem.dimX) * 8; // z, v, x histories of the loop (depth 2·period + 2 = 4 for jacobi)
const sum = (o: Record<string, number>) => Object.values(o).reduce((a, c) => a + c, 0);
const denominator = sum(data) + sum(tables) + iterates;

let peakRss = 0;
let peakHeap = 0;
let peakExternal = 0;
const t1 = performance.now();
const last = runLoop(
  problem,
  saba({ batchSize: b, innerStep: DATA_CLEANING_STEPS.innerStep, outerStep: DATA_CLEANING_STEPS.outerStep }),
  { maxIter: args.iters, sampleEvery: args.every, seed: 0 },
  () => {
    const u = process.memoryUsage();
    peakRss = Math.max(peakRss, u.rss);
    peakHeap = Math.max(peakHeap, u.heapUsed);
    peakExternal = Math.max(peakExternal, u.external);
  },
);
const runSeconds = (performance.now() - t1) / 1000;
const end = process.memoryUsage();
console.log(
  JSON.stringify({
    n: args.n,
    m: args.m,
    iters: args.iters,
    buildSeconds,
    msPerIter: (1000 * last.solverSeconds) / args.iters,
    runSeconds,
    baseline: { rssMB: mb(base.rss), heapUsedMB: mb(base.heapUsed), externalMB: mb(base.external) },
    afterBuild: { rssMB: mb(afterBuild.rss), heapUsedMB: mb(afterBuild.heapUsed), externalMB: mb(afterBuild.external), maxRssMB: mb(maxRssAfterBuild) },
    afterBuildGc: { rssMB: mb(afterBuildGc.rss), heapUsedMB: mb(afterBuildGc.heapUsed), externalMB: mb(afterBuildGc.external) },
    duringRun: { peakRssMB: mb(peakRss), peakHeapUsedMB: mb(peakHeap), peakExternalMB: mb(peakExternal) },
    end: { rssMB: mb(end.rss), heapUsedMB: mb(end.heapUsed), externalMB: mb(end.external), maxRssMB: mb(process.resourceUsage().maxRSS * 1024) },
    dataMB: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, mb(v)])),
    tablesMB: Object.fromEntries(Object.entries(tables).map(([k, v]) => [k, mb(v)])),
    iteratesMB: mb(iterates),
    denominatorMB: mb(denominator),
    denominatorBytes: denominator,
    peakRssBytes: peakRss,
    baselineRssBytes: base.rss,
  }),
);
