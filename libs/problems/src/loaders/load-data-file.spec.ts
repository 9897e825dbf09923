// loadDataFile, the command line's reader of --train/--val: format by name or content, gzip, and matching a
// validation file to its training file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '@bilevel/io';
import { loadDataFile } from './load-data-file';

function withFiles(files: Record<string, string | Uint8Array>, body: (path: (name: string) => string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'datafile-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    body((name) => join(dir, name));
  } finally {
    rmSync(dir, { recursive: true });
  }
}

const CSV = '3,2,no,yes\n1,2,0\n3,4,1\n5,6,1\n';
const SVM = '+1 1:1 3:2\n-1 2:5\n';

test('the format comes from the name, else from the first data line; gzip is detected by its magic bytes', () => {
  withFiles(
    { 'a.csv': CSV, 'a.csv.gz': gzipSync(CSV), 'b.svm': SVM, 'b.t.gz': gzipSync(SVM), 'c.data': CSV, 'd.data': `# comment\n${SVM}` },
    (p) => {
      for (const name of ['a.csv', 'a.csv.gz', 'c.data']) assert.deepEqual(loadDataFile(p(name)).classNames, ['no', 'yes'], name);
      for (const name of ['b.svm', 'b.t.gz', 'd.data']) assert.deepEqual(loadDataFile(p(name)).classNames, ['-1', '+1'], name);
      assert.throws(() => loadDataFile(p('b.svm'), { format: 'uci-csv' }), /b.svm: line 1: malformed header/);
    },
  );
});

test('like: a LIBSVM validation file takes the training file\'s features and classes', () => {
  withFiles({ 'train.svm': '1 1:1 5:1\n2 2:1\n3 3:1\n', 'val.svm': '3 1:1\n3 2:2\n' }, (p) => {
    const train = loadDataFile(p('train.svm'));
    const val = loadDataFile(p('val.svm'), { like: train });
    assert.equal(val.features.cols, 5);
    assert.deepEqual(val.classNames, ['1', '2', '3']);
    assert.deepEqual(Array.from(val.labels), [2, 2]);
  });
});

test('like: a CSV with other features or classes is refused, naming both files', () => {
  withFiles({ 'train.csv': CSV, 'narrow.csv': '2,1,no,yes\n1,0\n2,1\n', 'renamed.csv': '2,2,a,b\n1,2,0\n1,1,1\n' }, (p) => {
    const train = loadDataFile(p('train.csv'));
    assert.throws(() => loadDataFile(p('narrow.csv'), { like: train }), (e: unknown) => e instanceof InputError && /narrow.csv: 1 features, but .*train.csv has 2/.test(e.message));
    assert.throws(() => loadDataFile(p('renamed.csv'), { like: train }), /renamed.csv: classes a, b, but .*train.csv has no, yes/);
  });
});

test('bad options and missing files are InputErrors', () => {
  assert.throws(() => loadDataFile('x', { format: 'arff' as 'libsvm' }), /loadDataFile: format must be one of auto, uci-csv, libsvm, received "arff"/);
  assert.throws(() => loadDataFile('/nonexistent.svm'), /\/nonexistent.svm: cannot read data file \(no such file\)/);
});
