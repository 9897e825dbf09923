// Format detection (UCI header vs headerless), gzip handling and located errors of the classification CSV loader,
// on small files written here and on the scikit-learn copies in ../shared/data/uci (skipped when that folder is absent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { loadClassificationCsv, parseClassificationCsv } from './classification-csv';
import { multiclassDataPath } from './multiclass-data-path';
import { InputError } from '@bilevel/io';

const UCI = fileURLToPath(new URL('../../../../shared/data/uci/', import.meta.url));
const haveShared = existsSync(UCI);

test('the bundled wine file: 178 × 13, classes 59/71/48 (UCI description)', () => {
  const wine = loadClassificationCsv(multiclassDataPath());
  assert.deepEqual([wine.features.rows, wine.features.cols], [178, 13]);
  assert.deepEqual(wine.classNames, ['class_0', 'class_1', 'class_2']);
  assert.deepEqual([0, 1, 2].map((c) => wine.labels.filter((l) => l === c).length), [59, 71, 48]);
  assert.equal(wine.features.data[0], 14.23);
});

test('digits (headerless, gzip), iris and wine from ../shared/data/uci', { skip: !haveShared && 'no ../shared/data' }, () => {
  const digits = loadClassificationCsv(join(UCI, 'digits.csv.gz'));
  assert.deepEqual([digits.features.rows, digits.features.cols], [1797, 64]);
  assert.deepEqual(digits.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  // 178 zeros, 182 ones, … (UCI optdigits as in scikit-learn: every class has 174–183 rows)
  const counts = Array.from({ length: 10 }, (_, c) => digits.labels.filter((l) => l === c).length);
  assert.equal(counts[0], 178);
  assert.ok(counts.every((n) => n >= 174 && n <= 183));
  assert.equal(Math.max(...digits.features.data), 16);
  const iris = loadClassificationCsv(join(UCI, 'iris.csv'));
  assert.deepEqual([iris.features.rows, iris.features.cols, iris.classNames.length], [150, 4, 3]);
  assert.deepEqual(loadClassificationCsv(join(UCI, 'wine_data.csv')).features.data, loadClassificationCsv(multiclassDataPath()).features.data);
});

test('detection: class names or a matching count make a UCI header; otherwise every line is data', () => {
  // names: UCI
  assert.equal(parseClassificationCsv('2,1,a,b\n1,0\n2,1\n').features.rows, 2);
  // numeric header without names whose counts match the file: UCI
  assert.equal(parseClassificationCsv('2,1\n1,0\n2,1\n').features.rows, 2);
  // a first line of data that starts with two positive integers but matches nothing: headerless
  const data = parseClassificationCsv('3,1,0\n4,2,1\n5,6,1\n');
  assert.deepEqual([data.features.rows, data.features.cols], [3, 2]);
  // first field 0: headerless
  assert.equal(parseClassificationCsv('0,1,0\n1,1,1\n').features.rows, 2);
});

test('plain and gzip files load the same; errors name the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-csv-'));
  try {
    const text = '0,1,0\n1,1,1\n2,0,2\n';
    writeFileSync(join(dir, 'a.csv'), text);
    writeFileSync(join(dir, 'a.csv.gz'), gzipSync(text));
    assert.deepEqual(loadClassificationCsv(join(dir, 'a.csv.gz')), { ...loadClassificationCsv(join(dir, 'a.csv')), source: join(dir, 'a.csv.gz') });
    writeFileSync(join(dir, 'bad.csv.gz'), gzipSync(text).subarray(0, 15));
    assert.throws(() => loadClassificationCsv(join(dir, 'bad.csv.gz')), (e: unknown) => e instanceof InputError && e.message.startsWith(join(dir, 'bad.csv.gz')) && /gzip/.test(e.message));
    writeFileSync(join(dir, 'bomb.csv.gz'), gzipSync(Buffer.alloc(1 << 20, 0x30)));
    assert.throws(() => loadClassificationCsv(join(dir, 'bomb.csv.gz'), { maxBytes: 1 << 16 }), (e: unknown) => e instanceof InputError && /more than 65536 bytes/.test(e.message));
    writeFileSync(join(dir, 'line.csv'), '0,1,0\n1,x,1\n');
    assert.throws(() => loadClassificationCsv(join(dir, 'line.csv')), new RegExp(`${join(dir, 'line.csv')}: line 2, field 2`));
    assert.throws(() => loadClassificationCsv(join(dir, 'missing.csv')), /cannot read data file \(no such file\)/);
    assert.throws(() => loadClassificationCsv(dir), /is a directory/);
    assert.throws(() => loadClassificationCsv(join(dir, 'a.csv'), { maxBytes: 0 }), /maxBytes must be a positive integer/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('fuzz: any text, or a mutation of a UCI file, parses or fails with an InputError', () => {
  const uci = '3,2,a,b\n1,2,0\n3,4,1\n5,6,0\n';
  const check = (text: string) => {
    try {
      parseClassificationCsv(text, 'f.csv');
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
    }
  };
  fc.assert(fc.property(fc.string({ maxLength: 150 }), check), { numRuns: 300 });
  fc.assert(fc.property(fc.integer({ min: 0, max: uci.length }), (cut) => check(uci.slice(0, cut))), { numRuns: 60 });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: uci.length - 1 }), fc.constantFrom('0', '9', ',', '\n', 'x', '-', ' '), (at, ch) => check(uci.slice(0, at) + ch + uci.slice(at + 1))),
    { numRuns: 300 },
  );
});
