// The "Done when" of the foundation: SABA with the CLI defaults reaches relative suboptimality ≤ 1e-4 on the
// bundled breast-cancer task, with h* from the full-batch reference solve; SOBA with its defaults improves on the
// start but does not match SABA (no variance reduction).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom } from 'rxjs';
import { buildProblem, DEFAULT_MAX_ITER } from '@bilevel/cli';
import { referenceSolution } from '@bilevel/problems';
import { saba, soba } from '@bilevel/solvers';
import { run } from '@bilevel/streams';

/** The target for the default run. */
const TARGET_REL_SUBOPT = 1e-4;

const problem = buildProblem({ problem: 'logreg-hpo', reg: 'scalar', standardize: 'train', seed: 0 });
const ref = referenceSolution(problem);

test('the reference solve converges: ‖∇h(x*)‖ ≤ 1e-9', () => {
  assert.equal(ref.method, 'lbfgs');
  assert.ok(ref.gradNorm <= 1e-9, `‖∇h‖ = ${ref.gradNorm}`);
});

test(`SABA with the CLI defaults reaches (h − h*)/h* ≤ ${TARGET_REL_SUBOPT} on the default task`, async () => {
  const last = await lastValueFrom(run(problem, saba({ batchSize: 32 }), { seed: 0, maxIter: DEFAULT_MAX_ITER, sampleEvery: DEFAULT_MAX_ITER }));
  const h = problem.hypergradient(last.x).value;
  const rel = (h - ref.value) / ref.value;
  // h* is the minimum, up to the precision of an evaluated h (inner solve to ‖∇G‖ ≤ 1e-10: ~1e-9 relative)
  assert.ok(rel >= -1e-9, `h(x) below h* by more than the evaluation precision: ${rel}`);
  assert.ok(rel <= TARGET_REL_SUBOPT, `relative suboptimality ${rel}`);
});

test('SOBA with its defaults improves on the start but stays well above SABA', async () => {
  const last = await lastValueFrom(run(problem, soba({ batchSize: 32 }), { seed: 0, maxIter: 20_000, sampleEvery: 20_000 }));
  const h0 = problem.hypergradient(new Float64Array(1)).value;
  const h = problem.hypergradient(last.x).value;
  assert.ok(h < h0, `h decreased: ${h} < ${h0}`);
  assert.ok((h - ref.value) / ref.value > TARGET_REL_SUBOPT);
});
