// results.csv: the public benchmark's (benchopt's) columns, one row per evaluated point, numbers that read back to the
// same doubles, parametrized names quoted (they hold commas), metrics as objective_<snake_case> with the benchmark's
// objective_test_accuracy alias of a test error; a round trip through parseCsv gives the points back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BENCHOPT_COLUMNS, parseCsv, toBenchoptCsv } from './benchopt-csv';
import type { RunResult } from './execute-run';
import { syntheticRun } from './synthetic-run';

const logreg = [0, 1].map((seed) => syntheticRun('logreg-hpo', 'saba', seed, [[0.001, 10, 0.5], [0.1 / 3, 200, 1e-7 / 3], [1.25, 4000, NaN]]));
/** A data-cleaning run with problem metrics and no reference. */
const cleaning: RunResult = (() => {
  const r = syntheticRun('datacleaning', 'tpe', 3, [[0.5, 100, 0.3], [2, 900, 0.21]]);
  return {
    ...r,
    spec: { ...r.spec, solverOptions: { batchSize: 64, low: -5, high: 5, warmStart: 'incumbent' }, metric: 'testError', problem: { ...r.spec.problem, config: { standardize: 'train', seed: 0, corruption: 0.5 } } },
    points: r.points.map((p) => ({ ...p, suboptimality: undefined, metrics: { testError: p.metric, trainError: 2 * p.metric } })),
  } as RunResult;
})();

test('toBenchoptCsv: benchopt\'s leading columns, the toolkit\'s, then objective_<metric> (snake_case) and the test-error alias', () => {
  const { header, rows } = parseCsv(toBenchoptCsv([...logreg, cleaning]));
  assert.deepEqual(header.slice(0, BENCHOPT_COLUMNS.length), [...BENCHOPT_COLUMNS]);
  assert.deepEqual(header.slice(BENCHOPT_COLUMNS.length), [
    'oracle_calls',
    'samples',
    'objective_suboptimality',
    'objective_test_error',
    'objective_train_error',
    'objective_test_accuracy',
  ]);
  assert.equal(rows.length, 3 + 3 + 2);
  for (const row of rows) assert.equal(row.length, header.length);
  const col = (name: string) => header.indexOf(name);
  const first = rows[0];
  assert.equal(first[col('objective_name')], 'Bilevel Optimization');
  assert.equal(first[col('solver_name')], 'saba[batch_size=32,random_state=0]');
  assert.equal(first[col('data_name')], 'logreg-hpo[seed=0,standardize=train]');
  assert.deepEqual([first[col('idx_rep')], first[col('stop_val')], first[col('time')]], ['0', '0', '0.001']);
  // the third point's metric is NaN; the cleaning rows have no suboptimality and the logreg rows no test error
  assert.equal(rows[2][col('objective_suboptimality')], 'nan');
  assert.equal(rows[0][col('objective_test_error')], '');
  const last = rows[7];
  assert.equal(last[col('solver_name')], 'tpe[batch_size=64,high=5,low=-5,random_state=3,warm_start=incumbent]');
  assert.equal(last[col('data_name')], 'datacleaning[corruption=0.5,seed=0,standardize=train]');
  assert.equal(last[col('objective_suboptimality')], '');
  assert.equal(last[col('objective_test_accuracy')], last[col('objective_test_error')]);
  assert.equal(last[col('objective_train_error')], String(0.42));
});

test('toBenchoptCsv → parseCsv round trip: every point\'s seed, iteration, time, value, calls and metrics, to the bit', () => {
  const results = [...logreg, cleaning];
  const { header, rows } = parseCsv(toBenchoptCsv(results));
  const col = (name: string) => header.indexOf(name);
  const back = (s: string) => (s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s));
  let i = 0;
  for (const r of results) {
    for (const p of r.points) {
      const row = rows[i++];
      assert.equal(back(row[col('idx_rep')]), r.spec.seed);
      assert.equal(back(row[col('stop_val')]), p.iteration);
      assert.ok(Object.is(back(row[col('time')]), p.solverSeconds));
      assert.ok(Object.is(back(row[col('objective_value')]), p.value));
      assert.equal(back(row[col('oracle_calls')]), p.oracleCalls);
      assert.equal(back(row[col('samples')]), p.samples);
      if (p.suboptimality !== undefined) assert.ok(Object.is(back(row[col('objective_suboptimality')]), p.suboptimality));
      if (p.metrics?.testError !== undefined) assert.ok(Object.is(back(row[col('objective_test_error')]), p.metrics.testError));
    }
  }
  assert.equal(i, rows.length);
});

test('parseCsv: quoted fields with commas, doubled quotes and line breaks; an unclosed quote is one error naming its line', () => {
  const { header, rows } = parseCsv('a,b\r\n"x, ""y""",2\n"multi\nline",3\n');
  assert.deepEqual(header, ['a', 'b']);
  assert.deepEqual(rows, [['x, "y"', '2'], ['multi\nline', '3']]);
  assert.throws(() => parseCsv('a\n1\n"open,2\n'), /parseCsv: a quoted field opened on line 3 is never closed/);
});
