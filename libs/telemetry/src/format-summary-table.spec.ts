import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSummaryTable } from './format-summary-table';

test('keys are aligned and values follow two spaces after the longest key', () => {
  const table = formatSummaryTable({ solver: 'soba', iterations: 1000, status: 'converged' });

  assert.equal(table, ['solver      soba', 'iterations  1000', 'status      converged'].join('\n'));
});

test('numbers use 6 significant digits without padding zeros; integers and non-finite values print plainly', () => {
  const cases: [number, string][] = [
    [0.012345678, '0.0123457'],
    [1.5, '1.5'],
    [2 / 3, '0.666667'],
    [123456.789, '123457'],
    [1234567.89, '1.23457e+6'],
    [1.5e-10, '1.5e-10'],
    [1e-10, '1e-10'],
    [-0.1, '-0.1'],
    [1200, '1200'],
    [-0, '0'],
    [NaN, 'NaN'],
    [-Infinity, '-Infinity'],
  ];
  for (const [x, expected] of cases) assert.equal(formatSummaryTable({ x }), `x  ${expected}`, `for ${x}`);
});

test('arrays and typed arrays are shortened as [a, b, c, … (n)]', () => {
  const table = formatSummaryTable({
    short: [1, 2],
    three: [1, 2, 3],
    long: [0.1, 0.2, 0.3, 0.4, 0.5],
    x: new Float64Array(50).fill(1 / 3),
    empty: [],
  });

  assert.equal(
    table,
    ['short  [1, 2]', 'three  [1, 2, 3]', 'long   [0.1, 0.2, 0.3, … (5)]', 'x      [0.333333, 0.333333, 0.333333, … (50)]', 'empty  []'].join('\n'),
  );
});

test('nested objects flatten to dotted keys; undefined is skipped; other values print sensibly', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;

  const table = formatSummaryTable({
    final: { h: 0.25, gradNorm: 3e-7 },
    skipped: undefined,
    ok: true,
    none: null,
    when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
    note: 'two\nlines',
    empty: {},
    cyclic,
  });

  assert.equal(
    table,
    [
      'final.h         0.25',
      'final.gradNorm  3e-7',
      'ok              true',
      'none            null',
      'when            2024-01-02T03:04:05.000Z',
      'note            two\\nlines',
      'empty           {}',
      'cyclic.a        1',
      'cyclic.self     [Circular]',
    ].join('\n'),
  );
});

test('an empty summary is an empty string; options are validated', () => {
  assert.equal(formatSummaryTable({}), '');
  assert.equal(formatSummaryTable({ x: Math.PI, v: [1, 2, 3] }, { digits: 3, maxArrayItems: 1 }), 'x  3.14\nv  [1, … (3)]');
  assert.throws(() => formatSummaryTable([] as never), /formatSummaryTable: summary is an array of 0; expected a plain object/);
  assert.throws(() => formatSummaryTable({}, { digits: 0 }), /formatSummaryTable: options\.digits is 0; expected an integer in \[1, 21\]/);
  assert.throws(() => formatSummaryTable({}, { maxArrayItems: -1 }), /options\.maxArrayItems is -1/);
});
