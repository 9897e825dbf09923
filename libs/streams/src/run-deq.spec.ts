// DEQ training through run(): 60 steps on the bundled Fashion-MNIST subset lift the test accuracy far above chance,
// and a run resumed from a checkpoint (after a structured clone, as a file would give it back) ends with the bits of
// the uninterrupted run, for a Broyden forward with SHINE-OPA and an Anderson forward with the exact backward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom } from 'rxjs';
import { deqProblem } from '@bilevel/autodiff';
import { bundledFashionMnistDir, imagesToDataset, loadFashionMnist } from '@bilevel/problems';
import type { DeqTrainingOptions } from '@bilevel/solvers';
import { deqTraining } from '@bilevel/solvers';
import { run } from './run';
import type { RunState } from './run-state';
import { timedSolver } from './timed-solver';

const dir = bundledFashionMnistDir();
const train = imagesToDataset(loadFashionMnist(dir, { split: 'train' }));
const test10 = imagesToDataset(loadFashionMnist(dir, { split: 'test' }));

/** Chance on ten balanced classes is 0.1; 60 steps (4 epochs of the 900 images) reach ~0.77 (measured). */
const ACCURACY_FLOOR = 0.5;

test('DEQ training through run(): 60 SHINE steps on the bundled Fashion-MNIST subset reach a test accuracy far above chance', async () => {
  const problem = deqProblem({ train, test: test10, classes: 10, hidden: 32 });
  const x0 = problem.initialX();
  const before = problem.metrics(x0, problem.solveInner(x0).z).testAccuracy;
  const last = await lastValueFrom(run(problem, timedSolver(deqTraining({ backward: 'shine', outerStep: 3e-3 })), { maxIter: 60, sampleEvery: 30, seed: 1, x0 }));
  const after = problem.metrics(last.x, problem.solveInner(last.x).z).testAccuracy;
  assert.ok(after > ACCURACY_FLOOR && after > before + 0.2, `test accuracy ${before} → ${after}`);
  assert.equal(last.diagnostics.inner?.forwardFailures, 0);
  assert.ok((last.diagnostics.inner?.stepSeconds ?? 0) > 0 && (last.diagnostics.linsys?.totalSeconds ?? 0) > 0);
});

const cases: [string, DeqTrainingOptions][] = [
  ['broyden + shine-opa (blocks of 69 and 70)', { backward: 'shine-opa', batchSize: 70 }],
  ['anderson + exact', { forward: 'anderson', backward: 'exact', batchSize: 64 }],
];

for (const [name, options] of cases) {
  test(`DEQ training (${name}): a run resumed from its checkpoint ends with the bits of the uninterrupted run`, async () => {
    const problem = deqProblem({ train, classes: 10, hidden: 16 });
    const x0 = problem.initialX();
    const opts = { maxIter: 12, sampleEvery: 4, seed: 7, x0 };
    const straight = await lastValueFrom(run(problem, deqTraining(options), opts));
    let saved: RunState | undefined;
    await lastValueFrom(
      run(deqProblem({ train, classes: 10, hidden: 16 }), deqTraining(options), {
        ...opts,
        checkpoint: { due: (it) => saved === undefined && it >= 5, save: (st) => (saved = structuredClone(st)) },
      }),
    );
    assert.ok(saved && saved.versions.x.k >= 5 && saved.versions.x.k < 12);
    const resumed = await lastValueFrom(run(deqProblem({ train, classes: 10, hidden: 16 }), deqTraining(options), { ...opts, resume: saved }));
    assert.equal(resumed.iteration, 12);
    for (const v of ['z', 'v', 'x'] as const) {
      assert.equal(resumed[v].length, straight[v].length);
      for (let i = 0; i < straight[v].length; i++) assert.ok(Object.is(resumed[v][i], straight[v][i]), `${v}[${i}]`);
    }
  });
}
