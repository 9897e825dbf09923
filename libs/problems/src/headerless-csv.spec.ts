// The headerless labelled CSV parser (the digits layout): a small file by hand, located errors for every malformed
// case, and a fast-check fuzz over random and mutated texts that must end in a Dataset or an InputError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseHeaderlessCsv } from './headerless-csv';
import { InputError } from '@bilevel/io';

test('parses features then the label; classes 0..max label; CRLF and a trailing blank line accepted', () => {
  const data = parseHeaderlessCsv('0,1.5,2\r\n3,-4,0\r\n5,6e-1,1\r\n\r\n', 'd.csv');
  assert.deepEqual([data.features.rows, data.features.cols], [3, 2]);
  assert.deepEqual(Array.from(data.features.data), [0, 1.5, 3, -4, 5, 0.6]);
  assert.deepEqual(Array.from(data.labels), [2, 0, 1]);
  assert.deepEqual(data.classNames, ['0', '1', '2']);
  assert.equal(data.source, 'd.csv');
});

const bad: [string, string, RegExp][] = [
  ['an empty file', '\n\n', /empty file/],
  ['a single field', '1\n2\n', /line 1: 1 field, expected at least 2/],
  ['a short line', '1,2,0\n1,1\n', /line 2: 2 fields, expected 3 as on line 1/],
  ['a blank line inside', '1,2,0\n\n1,1,1\n', /line 2: 1 field, expected 3/],
  ['a non-number', '1,2,0\n1,x,1\n', /line 2, field 2: "x" is not a finite number/],
  ['an empty field', '1,,0\n1,2,1\n', /line 1, field 2: "" is not a finite number/],
  ['NaN', 'NaN,1,0\n1,2,1\n', /line 1, field 1: "NaN"/],
  ['Infinity', '1,Infinity,0\n1,2,1\n', /line 1, field 2: "Infinity"/],
  ['a negative label', '1,2,0\n1,2,-1\n', /line 2, label field: "-1" is not a class index in 0..999/],
  ['a fractional label', '1,2,0\n1,2,0.5\n', /line 2, label field: "0.5"/],
  ['a huge label', '1,2,0\n1,2,1000000000\n', /line 2, label field: "1000000000" is not a class index in 0..999/],
  ['a single class', '1,2,3\n4,5,3\n', /single class \(3\)/],
];
for (const [what, text, message] of bad) {
  test(`parseHeaderlessCsv rejects ${what} with a located message`, () => {
    assert.throws(
      () => parseHeaderlessCsv(text, 'd.csv'),
      (err: unknown) => err instanceof InputError && message.test(err.message) && err.message.startsWith('d.csv: '),
    );
  });
}

test('maxClasses bounds the labels and is validated', () => {
  assert.throws(() => parseHeaderlessCsv('1,0\n2,5\n', 'd.csv', { maxClasses: 5 }), /"5" is not a class index in 0..4/);
  assert.throws(() => parseHeaderlessCsv('1,0\n2,1\n', 'd.csv', { maxClasses: 1 }), /maxClasses must be an integer ≥ 2/);
});

/** Every input ends in a Dataset with consistent shapes or an InputError: never another exception. */
function parsesOrInputError(text: string): void {
  try {
    const data = parseHeaderlessCsv(text, 'fuzz.csv');
    assert.equal(data.features.data.length, data.features.rows * data.features.cols);
    assert.equal(data.labels.length, data.features.rows);
    assert.ok(Math.max(...data.labels) < data.classNames.length);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
  }
}

const VALID = '0,0,5,13,0\n0,1,12,3,1\n2,2,2,2,2\n16,0,0,1,9\n';

test('fuzz: random texts, and truncations, byte flips and line shuffles of a valid file', () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), parsesOrInputError), { numRuns: 300 });
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom('0', '1', '9', ',', '\n', '-', '.', 'e', ' ', '\r'), maxLength: 120 }), parsesOrInputError), { numRuns: 300 });
  fc.assert(fc.property(fc.integer({ min: 0, max: VALID.length }), (cut) => parsesOrInputError(VALID.slice(0, cut))), { numRuns: 100 });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: VALID.length - 1 }), fc.integer({ min: 0, max: 127 }), (at, code) =>
      parsesOrInputError(VALID.slice(0, at) + String.fromCharCode(code) + VALID.slice(at + 1)),
    ),
    { numRuns: 300 },
  );
  const lines = VALID.trim().split('\n');
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: lines.length - 1 }), { maxLength: 8 }), (pick) => parsesOrInputError(pick.map((k) => lines[k]).join('\n'))),
    { numRuns: 100 },
  );
});

test('a wide first line over many short lines is refused before an n × d buffer is sized', () => {
  // 200,001 fields on line 1 and 100,000 one-field lines would ask for 2e10 doubles (160 GB) if sized first.
  const text = `${'0,'.repeat(200_000)}0\n${'1\n'.repeat(100_000)}`;
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => parseHeaderlessCsv(text, 'wide.csv'), /line 2: 1 field, expected 200001 as on line 1/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024);
});

test('the dense matrix is checked against the memory budget before it is allocated', () => {
  const text = `${'1,'.repeat(100_000)}0\n${'2,'.repeat(100_000)}1\n`;
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => parseHeaderlessCsv(text, 'w.csv', { memoryBudget: 2 ** 20 }), /w\.csv: needs dense features 2 × 100000 × 8 bytes and labels = 1\.53 MiB, more than the memory budget of 1 MiB/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 2 ** 20);
  assert.equal(parseHeaderlessCsv(text, 'w.csv').features.cols, 100_000);
});
