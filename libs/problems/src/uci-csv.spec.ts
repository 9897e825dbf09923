import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadUciCsv, parseUciCsv } from './uci-csv';
import { bundledDataPath } from './bundled';
import { InputError } from '@bilevel/io';

test('the bundled breast cancer file parses to 569 × 30 with two classes', () => {
  const data = loadUciCsv(bundledDataPath('breast_cancer.csv'));
  assert.equal(data.features.rows, 569);
  assert.equal(data.features.cols, 30);
  assert.deepEqual(data.classNames, ['malignant', 'benign']);
  assert.equal(data.labels.filter((l) => l === 0).length, 212); // 212 malignant, 357 benign (UCI description)
  assert.equal(data.features.data[0], 17.99); // first value of the first row
});

const bad: [string, string, RegExp][] = [
  ['empty file', '', /empty file/],
  ['malformed header', 'abc,3\n1,2,3,0\n', /line 1: malformed header/],
  ['one class in the header', '2,1,only\n1,0\n2,0\n', /single class/],
  ['row count mismatch', '3,1,a,b\n1,0\n2,1\n', /announces 3 samples but the file has 2/],
  ['wrong field count', '2,2,a,b\n1,2,0\n1,1\n', /line 3: 2 fields, expected 3/],
  ['not a number', '2,1,a,b\n1,0\nx,1\n', /line 3, field 1: "x" is not a finite number/],
  ['NaN value', '2,1,a,b\nNaN,0\n1,1\n', /line 2, field 1: "NaN" is not a finite number/],
  ['infinite value', '2,1,a,b\n1,0\n-Infinity,1\n', /line 3, field 1: "-Infinity"/],
  ['label out of range', '2,1,a,b\n1,0\n2,2\n', /line 3, label field: "2" is not a class index in 0..1/],
  ['fractional label', '2,1,a,b\n1,0\n2,0.5\n', /label field: "0.5"/],
  ['one class in the labels', '2,1,a,b\n1,1\n2,1\n', /single class/],
];
for (const [what, text, message] of bad) {
  test(`parseUciCsv rejects ${what} with a located message`, () => {
    assert.throws(
      () => parseUciCsv(text, 'data.csv'),
      (err: unknown) => err instanceof InputError && message.test(err.message) && err.message.startsWith('data.csv: '),
    );
  });
}

test('CRLF line ends and a trailing blank line are accepted', () => {
  const data = parseUciCsv('2,1,a,b\r\n1.5,0\r\n-2,1\r\n\r\n');
  assert.deepEqual(Array.from(data.features.data), [1.5, -2]);
});

test('loadUciCsv reports a missing file and a directory clearly', () => {
  assert.throws(() => loadUciCsv('/nonexistent/x.csv'), /\/nonexistent\/x.csv: cannot read data file \(no such file\)/);
  const dir = mkdtempSync(join(tmpdir(), 'uci-'));
  assert.throws(() => loadUciCsv(dir), /is a directory/);
  writeFileSync(join(dir, 'ok.csv'), '2,1,a,b\n1,0\n2,1\n');
  assert.equal(loadUciCsv(join(dir, 'ok.csv')).features.rows, 2);
});

test('the dense matrix (and what the caller reserves) is checked against the memory budget before it is allocated', () => {
  const row = `${'0.5,'.repeat(100_000)}1\n`;
  const text = `3,100000,a,b\n${row}${row.replace(/1\n$/, '0\n')}${row}`;
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(
    () => parseUciCsv(text, 'w.csv', { memoryBudget: 2 ** 20 }),
    (e: unknown) => e instanceof InputError && /^w\.csv: needs dense features 3 × 100000 × 8 bytes and labels = 2\.29 MiB, more than the memory budget of 1 MiB; raise it with --memory-budget/.test(e.message),
  );
  assert.throws(
    () => parseUciCsv(text, 'w.csv', { memoryBudget: 2 ** 22, reserve: (n, d) => [{ what: `a model ${d} × ${d}`, bytes: d * d * 8 }] }),
    /needs dense features 3 × 100000 × 8 bytes and labels = 2\.29 MiB \+ a model 100000 × 100000 = 74\.5 GiB/,
  );
  assert.ok(process.memoryUsage().arrayBuffers - before < 2 ** 20);
  assert.equal(parseUciCsv(text, 'w.csv', { memoryBudget: 2 ** 22 }).features.data.length, 300_000);
});
