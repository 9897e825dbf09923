// The LIBSVM reader and writer: the format's rules (1-based sparse indices, numeric labels sorted numerically),
// one located InputError per defect, round trips, and the files on disk (plain or gzipped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { Dataset } from '../dataset';
import { InputError } from '@bilevel/io';
import { bundledDataPath } from '../bundled';
import { loadUciCsv } from '../uci-csv';
import { loadLibsvm, parseLibsvm } from './libsvm';
import { formatLibsvm } from './format-libsvm';

test('a two-class file: sparse rows to dense, labels sorted numerically', () => {
  const data = parseLibsvm('+1 1:0.5 3:2\n-1 2:1\n', 'a.svm');
  assert.deepEqual(data.features, { rows: 2, cols: 3, data: Float64Array.of(0.5, 0, 2, 0, 1, 0) });
  assert.deepEqual(data.classNames, ['-1', '+1']);
  assert.deepEqual(Array.from(data.labels), [1, 0]);
  assert.equal(data.source, 'a.svm');
});

test('class order is numeric, not lexicographic; the first spelling of a value names it', () => {
  const data = parseLibsvm('10 1:1\n2 1:2\n1 1:3\n2.0 1:4\n1e1 1:5\n');
  assert.deepEqual(data.classNames, ['1', '2', '10']);
  assert.deepEqual(Array.from(data.labels), [2, 1, 0, 1, 2]);
});

test('comments, blank lines, CRLF, tabs and rows without features are accepted', () => {
  const data = parseLibsvm('# header comment\r\n\r\n1\t1:1   2:-2.5e-1 # trailing\r\n  0  \r\n', 'c.svm', { features: 4 });
  assert.deepEqual(Array.from(data.features.data), [1, -0.25, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(data.classNames, ['0', '1']);
});

test('options.classNames maps a test file like its training file; an unknown label is an error', () => {
  const train = parseLibsvm('3 1:1\n1 1:2\n2 1:3\n');
  const test1 = parseLibsvm('3 1:1\n3 2:1\n', 'test.svm', { classNames: train.classNames });
  assert.deepEqual(Array.from(test1.labels), [2, 2]);
  assert.deepEqual(test1.classNames, ['1', '2', '3']);
  assert.throws(() => parseLibsvm('4 1:1\n', 'test.svm', { classNames: train.classNames }), /test.svm: line 1, token 1: label "4" is none of the classes "1", "2", "3"/);
});

const bad: [string, string, RegExp, object?][] = [
  ['an empty file', '\n# only a comment\n', /no data lines; expected lines "label index:value …"/],
  ['a label that is not a number', '1 1:1\nyes 1:2\n', /line 2, token 1: label "yes" is not a finite number/],
  ['a NaN label', 'NaN 1:1\n', /line 1, token 1: label "NaN" is not a finite number/],
  ['a missing label', '1 1:1\n1:2 2:3\n', /line 2, token 1: label "1:2" is not a finite number \(each line starts with its label\)/],
  ['a token without a colon', '1 1:1 2\n', /line 1, token 3 "2": expected index:value/],
  ['index 0', '1 0:1\n', /line 1, token 2 "0:1": index 0; feature indices start at 1/],
  ['a fractional index', '1 1.5:1\n', /line 1, token 2 "1.5:1": index "1.5" is not a positive integer/],
  ['a negative index', '1 -3:1\n', /index "-3" is not a positive integer/],
  ['a query id', '1 qid:3 1:1\n', /index "qid" is not a positive integer \(query ids are not supported\)/],
  ['a repeated index', '1 2:1 2:1\n', /line 1, token 3 "2:1": index 2 after index 2; indices must increase along a line/],
  ['a decreasing index', '0 1:1\n1 3:1 2:1\n', /line 2, token 3 "2:1": index 2 after index 3/],
  ['a NaN value', '1 1:NaN\n', /line 1, token 2 "1:NaN": value "NaN" is not a finite number/],
  ['an infinite value', '1 1:-Infinity\n', /value "-Infinity" is not a finite number/],
  ['an overflowing value', '1 1:1e309\n', /value "1e309" is not a finite number/],
  ['an empty value', '1 1:\n', /value "" is not a finite number/],
  ['a hexadecimal value', '1 1:0x10\n', /value "0x10" is not a finite number/],
  ['an index beyond options.features', '1 1:1 5:1\n', /line 1, token 3 "5:1": index 5 exceeds the 4 features \(option features\)/, { features: 4 }],
  ['a single class', '1 1:1\n1 2:1\n', /every line has the label "1"; classification needs at least two classes/],
  ['a matrix over maxEntries', '1 1:1\n0 2:1\n1 600:1\n', /3 rows × 600 features = 1800 dense entries, more than the limit of 1000 \(option maxEntries\); the largest index, 600, is on line 3/, { maxEntries: 1000 }],
  ['an index beyond maxEntries', '1 1:1\n0 99999999999999999999:1\n', /line 2, token 2 "99999999999999999999:1": index "99999999999999999999" is not a positive integer/],
  ['an index over maxEntries', '1 1:1\n0 1001:1\n', /line 2, token 2 "1001:1": index 1001 exceeds the limit of 1000 dense entries \(option maxEntries\)/, { maxEntries: 1000 }],
  [
    'an index whose one dense row is over the memory budget',
    '1 1:1\n0 200000:1\n',
    /line 2, token 2 "200000:1": index 200000: needs a dense matrix of at least 1 row × 200000 features × 8 bytes = 1.53 MiB, more than the memory budget of 1 MiB; raise it with --memory-budget/,
    { memoryBudget: 1 << 20 },
  ],
];
for (const [what, text, message, options] of bad) {
  test(`parseLibsvm rejects ${what} with the line and the token`, () => {
    assert.throws(
      () => parseLibsvm(text, 'f.svm', options),
      (err: unknown) => err instanceof InputError && err.message.startsWith('f.svm: ') && message.test(err.message),
    );
  });
}

test('a stray huge index (the 22-byte file of issue 16) is refused by the default memory budget before anything dense is allocated', () => {
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(
    () => parseLibsvm('1 1:1\n-1 2000000000:1\n', 'f.svm'),
    /InputError: f\.svm: line 2, token 2 "2000000000:1": index 2000000000: needs a dense matrix of at least 1 row × 2000000000 features × 8 bytes = 14.9 GiB, more than the memory budget of 2 GiB; raise it with --memory-budget/,
  );
  // within the budget row by row, but not as a matrix of all the rows: refused after reading, before allocating
  assert.throws(
    () => parseLibsvm('1 1:1\n0 60000000:1\n', 'f.svm', { memoryBudget: 512 * 2 ** 20 }),
    /f\.svm: needs dense features 2 rows × 60000000 features × 8 bytes and labels \(the largest index, 60000000, is on line 2\) = 916 MiB, more than the memory budget of 512 MiB/,
  );
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20);
});

test('option errors name the option', () => {
  assert.throws(() => parseLibsvm('', 'x', { features: 0 }), /parseLibsvm: options.features must be a positive integer, received 0/);
  assert.throws(() => parseLibsvm('', 'x', { maxEntries: 1.5 }), /options.maxEntries must be a positive integer/);
  assert.throws(() => parseLibsvm('', 'x', { memoryBudget: -1 }), /parseLibsvm: options.memoryBudget must be a positive integer number of bytes, received -1/);
  assert.throws(() => parseLibsvm('', 'x', { classNames: ['1', 'one'] }), /options.classNames\[1\] = "one" is not a finite number/);
  assert.throws(() => parseLibsvm('', 'x', { classNames: ['1', '1.0'] }), /options.classNames\[1\] = "1.0" repeats the value of an earlier class/);
});

/** Small data sets with numeric class names, their values finite doubles or zero. */
const numericDataset: fc.Arbitrary<{ data: Dataset; d: number }> = fc
  .record({ n: fc.integer({ min: 1, max: 8 }), d: fc.integer({ min: 1, max: 6 }), k: fc.integer({ min: 2, max: 4 }) })
  .chain(({ n, d, k }) =>
    fc.record({
      d: fc.constant(d),
      data: fc.record({
        values: fc.array(fc.oneof(fc.constant(0), fc.double({ noNaN: true, noDefaultInfinity: true })), { minLength: n * d, maxLength: n * d }),
        labels: fc.array(fc.integer({ min: 0, max: k - 1 }), { minLength: n, maxLength: n }),
        names: fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: k, maxLength: k }),
      }).map(({ values, labels, names }) => ({
        features: { rows: n, cols: d, data: Float64Array.from(values, (v) => (v === 0 ? 0 : v)) },
        labels: Int32Array.from(labels),
        classNames: [...names].sort((a, b) => a - b).map(String),
        source: 'generated',
      })),
    }),
  );

test('formatLibsvm then parseLibsvm gives back the same numbers, bit for bit', () => {
  fc.assert(
    fc.property(numericDataset, ({ data, d }) => {
      const back = parseLibsvm(formatLibsvm(data), 'rt', { features: d, classNames: data.classNames });
      assert.deepEqual(back.features, data.features);
      assert.deepEqual(back.labels, data.labels);
    }),
    { numRuns: 200 },
  );
});

test('a small LIBSVM file on disk, plain and gzipped: the bundled breast cancer data round trips', () => {
  const csv = loadUciCsv(bundledDataPath('breast_cancer.csv'));
  const dir = mkdtempSync(join(tmpdir(), 'svm-'));
  try {
    const text = formatLibsvm(csv);
    assert.match(text, /^0 1:17\.99 2:10\.38 /, 'class indices as labels (the names are not numbers)');
    writeFileSync(join(dir, 'bc.svm'), text);
    writeFileSync(join(dir, 'bc.svm.gz'), gzipSync(text));
    for (const file of ['bc.svm', 'bc.svm.gz']) {
      const back = loadLibsvm(join(dir, file));
      assert.deepEqual(back.features, csv.features);
      assert.deepEqual(back.labels, csv.labels);
      assert.deepEqual(back.classNames, ['0', '1']);
    }
    assert.throws(() => loadLibsvm(join(dir, 'none.svm')), /none.svm: cannot read data file \(no such file\)/);
    const gzBytes = gzipSync(text).length;
    assert.throws(() => loadLibsvm(join(dir, 'bc.svm.gz'), { maxBytes: gzBytes + 1 }), /bc.svm.gz: the gunzipped text is longer than \d+ bytes \(option maxBytes\)/);
    assert.throws(() => loadLibsvm(join(dir, 'bc.svm'), { maxBytes: 1000 }), /bc.svm: the file has \d+ bytes, more than the limit of 1000/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

const IRIS = fileURLToPath(new URL('../../../../../shared/data/uci/iris.csv', import.meta.url));
test('iris from ../shared/data round trips through LIBSVM text', { skip: existsSync(IRIS) ? false : `no ${IRIS}` }, () => {
  const iris = loadUciCsv(IRIS);
  const back = parseLibsvm(formatLibsvm(iris), 'iris.svm');
  assert.equal(back.features.rows, 150);
  assert.equal(back.features.cols, 4);
  assert.deepEqual(back.features, iris.features);
  assert.deepEqual(back.labels, iris.labels);
});
