// The step sweep: one row per (inner, outer) pair labelled <base>_i<inner>_o<outer>, step-free solvers once; the
// choice per solver: fastest median time to the tolerance among pairs that reach it in most seeds, else the best
// median metric. And the all-solvers grid: every registered bilevel solver, valid, the registry's snapshot periods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SOLVERS } from '@bilevel/solvers';
import { aggregate } from './aggregate';
import { allBilevelSolvers, allSolversGrid, DEFAULT_GRID } from './default-grids';
import { expandGrid } from './expand-grid';
import { parseGrid } from './grid-spec';
import { chooseSteps, stepSweepGrid, sweepLabel } from './step-sweep';
import { syntheticRun } from './synthetic-run';
import { selectGrid } from './bench-command';
import type { RunResult } from './execute-run';

test('stepSweepGrid: one row per step pair with the row steps, step-free solvers in the first row only, a valid grid', () => {
  const grid = stepSweepGrid('s', [{ base: DEFAULT_GRID.problems[0], innerSteps: [0.1, 0.3], outerSteps: [0.01, 0.1] }], ['saba', 'tpe'], [0, 1]);
  const parsed = parseGrid(grid);
  assert.deepEqual(
    parsed.problems.map((p) => [p.label, p.innerStep, p.outerStep, p.solvers]),
    [
      ['logreg-hpo_i0.1_o0.01', 0.1, 0.01, ['saba', 'tpe']],
      ['logreg-hpo_i0.1_o0.1', 0.1, 0.1, ['saba']],
      ['logreg-hpo_i0.3_o0.01', 0.3, 0.01, ['saba']],
      ['logreg-hpo_i0.3_o0.1', 0.3, 0.1, ['saba']],
    ],
  );
  const runs = expandGrid(grid);
  assert.equal(runs.length, 5 * 2);
  assert.equal(runs.find((r) => r.problem.label === 'logreg-hpo_i0.3_o0.1' && r.solver === 'saba')?.solverOptions.outerStep, 0.1);
});

/** A run of `solver` on sweep row (inner, outer) whose metric reaches `final` at `seconds`. */
function run(inner: number, outer: number, solver: string, seed: number, seconds: number, final: number): RunResult {
  const r = syntheticRun(sweepLabel('logreg-hpo', inner, outer), solver, seed, [[0.01, 10, 1], [seconds, 100, final]]);
  return r;
}

test('chooseSteps: the fastest pair among those reaching the tolerance in most seeds; else the best median metric', () => {
  const results = [
    // saba: (0.1, 0.1) reaches 1e-4 in 2/3 seeds at 0.5 s; (0.3, 0.3) in 3/3 at 0.8 s; (0.3, 0.1) in 1/3 at 0.1 s
    ...[0, 1, 2].map((s) => run(0.1, 0.1, 'saba', s, 0.5, s < 2 ? 1e-5 : 1e-3)),
    ...[0, 1, 2].map((s) => run(0.3, 0.3, 'saba', s, 0.8, 1e-6)),
    ...[0, 1, 2].map((s) => run(0.3, 0.1, 'saba', s, 0.1, s === 0 ? 1e-5 : 1e-2)),
    // soba never reaches it: the pair with the best median metric
    ...[0, 1, 2].map((s) => run(0.1, 0.1, 'soba', s, 1, 3e-2)),
    ...[0, 1, 2].map((s) => run(0.3, 0.1, 'soba', s, 1, 2e-2)),
  ];
  const labels = [...new Set(results.map((r) => r.spec.problem.label))];
  const agg = aggregate(results, { tolerances: Object.fromEntries(labels.map((l) => [l, [1e-2, 1e-4]])) });
  const chosen = chooseSteps(agg, { 'logreg-hpo': 1e-4 });
  assert.deepEqual(chosen['logreg-hpo'].saba, { innerStep: 0.1, outerStep: 0.1, medianSeconds: 0.5, finalMedian: 1e-5 });
  assert.deepEqual(chosen['logreg-hpo'].soba, { innerStep: 0.3, outerStep: 0.1, medianSeconds: null, finalMedian: 2e-2 });
});

test('allSolversGrid: every registered bilevel solver on both rows, three seeds, registry snapshot periods; valid', () => {
  const grid = parseGrid(allSolversGrid());
  const registered = Object.values(SOLVERS).filter((e) => e.bilevel !== false).map((e) => e.name);
  assert.deepEqual(allBilevelSolvers(), registered);
  assert.deepEqual(grid.solvers, registered);
  for (const name of ['ma-soba', 'spaba', 'bo-rep', 'f2ba', 'random-search', 'tpe']) assert.ok(grid.solvers.includes(name), name);
  assert.deepEqual(grid.seeds, [0, 1, 2]);
  assert.deepEqual(grid.problems.map((p) => p.label ?? p.name), ['logreg-hpo', 'datacleaning']);
  for (const p of grid.problems) {
    for (const [s, e] of Object.entries(SOLVERS)) if (e.evalEvery !== undefined && e.bilevel !== false) assert.equal(p.overrides[s]?.evalEvery, e.evalEvery, `${p.name}/${s}`);
  }
  assert.equal(expandGrid(grid).length, 2 * registered.length * 3);
});

test('selectGrid: --grid all-solvers picks the all-solvers grid; an unknown name or --full with another grid is one InputError', () => {
  assert.equal(selectGrid({ grid: 'all-solvers' }).name, 'all-solvers');
  assert.equal(selectGrid({ grid: 'full' }).name, 'full');
  assert.equal(selectGrid({}).name, 'default');
  assert.throws(() => selectGrid({ grid: 'everything' }), /unknown grid "everything"; expected one of default, full, all-solvers/);
  assert.throws(() => selectGrid({ grid: 'constructor' }), /unknown grid "constructor"/);
  assert.throws(() => selectGrid({ full: true, grid: 'all-solvers' }), /--full selects the full grid/);
});
