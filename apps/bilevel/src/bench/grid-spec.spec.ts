import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_GRID, FULL_GRID, fullGrid } from './default-grids';
import { expandGrid } from './expand-grid';
import type { GridInput } from './grid-spec';
import { GridSpecError, parseGrid } from './grid-spec';

/** Fixed seed of the property tests. */
const FC_SEED = 7;

test('the default grid: 2 problems × 6 solvers × 5 seeds, seed-major, unique ids, JSON round trip', () => {
  // Arrange / Act
  const runs = expandGrid(DEFAULT_GRID);
  // Assert
  assert.equal(runs.length, 2 * 6 * 5);
  assert.equal(new Set(runs.map((r) => r.id)).size, runs.length);
  assert.deepEqual(
    runs.slice(0, 7).map((r) => r.id),
    ['logreg-hpo/soba/seed0', 'logreg-hpo/saba/seed0', 'logreg-hpo/srba/seed0', 'logreg-hpo/amigo/seed0', 'logreg-hpo/stocbio/seed0', 'logreg-hpo/f2sa/seed0', 'logreg-hpo/soba/seed1'],
  );
  assert.deepEqual(JSON.parse(JSON.stringify(runs)), runs);
  const amigo = runs.find((r) => r.id === 'logreg-hpo/amigo/seed3')!;
  assert.equal(amigo.evalEvery, 5, 'loop methods are snapshotted more often');
  assert.deepEqual(amigo.solverOptions, { batchSize: 32 });
  const dc = runs.find((r) => r.id === 'datacleaning/soba/seed0')!;
  assert.deepEqual(dc.solverOptions, { batchSize: 64, innerStep: 0.02, outerStep: 100 });
  assert.equal(dc.metric, 'testError');
  assert.equal(dc.evaluation, 'iterate');
  assert.equal(dc.evalGrowth, 1.1, 'default filled in');
});

test('the full grid parses, with or without the real Fashion-MNIST', () => {
  assert.ok(expandGrid(FULL_GRID).length > expandGrid(DEFAULT_GRID).length);
  const bundled = parseGrid(fullGrid('/nonexistent'));
  const dc = bundled.problems.find((p) => p.name === 'datacleaning')!;
  assert.equal(dc.label, 'datacleaning');
  assert.equal(dc.config.data, undefined);
});

test('a bad grid is refused whole: every problem reported with its path', () => {
  // Arrange: six independent mistakes
  const bad = {
    name: 'bad',
    solvers: ['saba', 'nope'],
    seeds: [0, 0],
    problems: [
      { name: 'logreg-hpo', batch: 0, maxSeconds: 1, evalEvery: 10, evaluation: 'exact', metric: 'suboptimality', tolerances: [1e-3] },
      { name: 'datacleaning', batch: 64, evalEvery: 10, evaluation: 'iterate', metric: 'suboptimality', tolerances: [0.2], overrides: { saba: { options: { innerStep: -1 } } } },
    ],
  };
  // Act
  let error: unknown;
  try {
    expandGrid(bad);
  } catch (err) {
    error = err;
  }
  // Assert
  assert.ok(error instanceof GridSpecError, String(error));
  const paths = error.issues.map((i) => i.split(':')[0]);
  for (const path of ['problems.0.batch', 'solvers.1', 'seeds', 'problems.1.maxSeconds', 'problems.1.metric', 'problems.1.overrides.saba.options']) {
    assert.ok(paths.includes(path), `missing ${path} in ${error.issues.join(' | ')}`);
  }
  assert.match(error.issues.find((i) => i.startsWith('solvers.1'))!, /unknown solver "nope"; expected one of .*saba/);
  assert.match(error.issues.find((i) => i.startsWith('problems.1.overrides.saba.options'))!, /innerStep/);
  assert.match(error.message, /\(6 problems\)/);
});

test('unknown keys and an override for a solver that does not run are refused', () => {
  const grid = structuredClone(DEFAULT_GRID) as GridInput & { extra?: number };
  grid.extra = 1;
  grid.problems[0] = { ...grid.problems[0], overrides: { shine: { evalEvery: 1 } } };
  assert.throws(
    () => parseGrid(grid),
    (err: unknown) => err instanceof GridSpecError && err.issues.some((i) => i.includes('extra')) && err.issues.some((i) => i.startsWith('problems.0.overrides.shine')),
  );
});

test('property: a grid expands to Σ_problems |solvers| × |seeds| runs with unique ids', () => {
  const solverPool = ['soba', 'saba', 'srba', 'amigo', 'stocbio', 'f2sa'];
  fc.assert(
    fc.property(
      fc.subarray(solverPool, { minLength: 1 }),
      fc.uniqueArray(fc.nat(1000), { minLength: 1, maxLength: 8 }),
      fc.boolean(),
      (solvers, seeds, both) => {
        const problems = both ? DEFAULT_GRID.problems.map((p) => ({ ...p, overrides: {} })) : [{ ...DEFAULT_GRID.problems[0], overrides: {} }];
        const runs = expandGrid({ ...DEFAULT_GRID, solvers, seeds, problems });
        assert.equal(runs.length, problems.length * solvers.length * seeds.length);
        assert.equal(new Set(runs.map((r) => r.id)).size, runs.length);
        for (const r of runs) assert.ok(solvers.includes(r.solver) && seeds.includes(r.seed));
      },
    ),
    { seed: FC_SEED, numRuns: 50 },
  );
});
