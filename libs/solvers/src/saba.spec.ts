// SABA's set-up hands the problem the fixed blocks of the samplers whose batches go to innerGradZ, innerHvp and
// outerGradZ (BilevelProblem.prepareBatches), through the counting wrapper too: the same arrays the steps then pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import { quadraticProblem } from '@bilevel/problems';
import { saba } from './saba';
import { countingProblem, emptyCounts } from './oracle-counts';

test('saba gives prepareBatches the blocks of its grad and hvp samplers (inner) and its outer-gradient sampler, and draws those arrays', () => {
  const base = quadraticProblem({ dimZ: 10, dimX: 4, nInner: 50, nOuter: 30 });
  const told: { side: string; batches: readonly Int32Array[] }[] = [];
  const seen = { innerGradZ: [] as Int32Array[], innerHvp: [] as Int32Array[], outerGradZ: [] as Int32Array[] };
  const spy = Object.create(base) as BilevelProblem;
  spy.prepareBatches = (side, batches) => told.push({ side, batches });
  for (const name of ['innerGradZ', 'innerHvp', 'outerGradZ'] as const) {
    const f = base[name].bind(base) as (...a: unknown[]) => void;
    (spy as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
      seen[name].push(a[name === 'innerHvp' ? 3 : 2] as Int32Array);
      f(...a);
    };
  }
  const problem = countingProblem(spy, emptyCounts());
  const solver = saba({ batchSize: 8 });
  const rng = Rng.fromSeed(4);
  const inner = solver.inner.init(problem, rng.split());
  const linsys = solver.linsys.init(problem, rng.split());
  assert.deepEqual(told.map((t) => t.side), ['inner', 'inner', 'outer']);
  assert.deepEqual(told.map((t) => t.batches.length), [Math.ceil(50 / 8), Math.ceil(50 / 8), Math.ceil(30 / 8)]);
  for (const t of told) {
    const rows = t.batches.flatMap((b) => Array.from(b)).sort((a, b) => a - b);
    assert.deepEqual(rows, Array.from({ length: t.side === 'inner' ? 50 : 30 }, (_, i) => i), `${t.side}: the blocks partition the samples`);
  }
  const z = new Float64Array(problem.dimZ);
  const x = new Float64Array(problem.dimX);
  const v = new Float64Array(problem.dimZ);
  for (let t = 0; t < 20; t++) {
    solver.inner.step(inner, { z, v, x }, t, new Float64Array(problem.dimZ));
    solver.linsys.step(linsys, { z, v, x }, t, new Float64Array(problem.dimZ));
  }
  const member = (arrays: readonly Int32Array[], b: Int32Array) => arrays.includes(b);
  assert.ok(seen.innerGradZ.length === 20 && seen.innerGradZ.every((b) => member(told[0].batches, b)), 'innerGradZ gets the first sampler\'s block arrays');
  assert.ok(seen.innerHvp.length === 20 && seen.innerHvp.every((b) => member(told[1].batches, b)), 'innerHvp gets the second\'s');
  assert.ok(seen.outerGradZ.length === 20 && seen.outerGradZ.every((b) => member(told[2].batches, b)), 'outerGradZ gets the outer sampler\'s');
});
