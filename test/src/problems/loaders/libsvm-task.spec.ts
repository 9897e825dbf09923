// End to end through a LIBSVM file: the bundled breast-cancer data written as gzipped LIBSVM text and read back
// gives the same bilevel task as the CSV, to the bit — SABA follows the same trajectory and reaches the
// foundation's target (h − h*)/h* ≤ 1e-4 on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Rng } from '@bilevel/linalg';
import { bundledDataPath, formatLibsvm, loadLibsvm, loadUciCsv, logregHpo, referenceSolution, splitDataset } from '@bilevel/problems';
import type { Dataset } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { runLoop } from '@bilevel/streams';

/** The foundation's target on the default task. */
const TARGET_REL_SUBOPT = 1e-4;
const ITERATIONS = 20_000; // the foundation measured 1e-4 at iteration 11,000

function task(data: Dataset) {
  const { train, val } = splitDataset(data, 0.6, Rng.fromSeed(0));
  return logregHpo(train, val);
}

test('a gzipped LIBSVM copy of breast cancer is the same task: same SABA run, bit for bit, within 1e-4 of h*', () => {
  const csv = loadUciCsv(bundledDataPath('breast_cancer.csv'));
  const dir = mkdtempSync(join(tmpdir(), 'libsvm-task-'));
  let svm: Dataset;
  try {
    writeFileSync(join(dir, 'breast_cancer.svm.gz'), gzipSync(formatLibsvm(csv)));
    svm = loadLibsvm(join(dir, 'breast_cancer.svm.gz'));
  } finally {
    rmSync(dir, { recursive: true });
  }
  const fromCsv = task(csv);
  const fromSvm = task(svm);
  const options = { seed: 0, maxIter: ITERATIONS, sampleEvery: ITERATIONS };
  const a = runLoop(fromCsv, saba({ batchSize: 32 }), options);
  const b = runLoop(fromSvm, saba({ batchSize: 32 }), options);
  assert.deepEqual(b.x, a.x);
  assert.deepEqual(b.z, a.z);
  const ref = referenceSolution(fromSvm);
  const rel = (fromSvm.hypergradient(b.x).value - ref.value) / ref.value;
  assert.ok(rel <= TARGET_REL_SUBOPT, `relative suboptimality ${rel}`);
});
