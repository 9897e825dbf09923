import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClassificationCsv } from './classification-csv';
import { InputError } from '@bilevel/io';
import { parseNamedCsv } from './named-csv';

const IRIS_LIKE = 'sepal_length,sepal_width,species\n5.1,3.5,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n4.9,3.0,setosa\n';

test('a header of column names: the last column is the label by default, class names sorted', () => {
  const d = parseNamedCsv(IRIS_LIKE, 'iris.csv');
  assert.equal(d.features.rows, 4);
  assert.equal(d.features.cols, 2);
  assert.deepEqual(Array.from(d.features.data), [5.1, 3.5, 7.0, 3.2, 6.3, 3.3, 4.9, 3.0]);
  assert.deepEqual(d.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.deepEqual(Array.from(d.labels), [0, 1, 2, 0]);
});

test('the label column named anywhere; integer labels sorted numerically', () => {
  const d = parseNamedCsv('y,a,b\n10,1,2\n2,3,4\n10,5,6\n', 'f.csv', { label: 'y' });
  assert.deepEqual(Array.from(d.features.data), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(d.classNames, ['2', '10']);
  assert.deepEqual(Array.from(d.labels), [1, 0, 1]);
});

test('parseClassificationCsv takes a header of names (it used to refuse it as a bad number)', () => {
  const d = parseClassificationCsv(IRIS_LIKE, 'iris.csv');
  assert.deepEqual(d.classNames, ['setosa', 'versicolor', 'virginica']);
  const byName = parseClassificationCsv('y,a,b\n1,1,2\n0,3,4\n', 'f.csv', { label: 'y' });
  assert.deepEqual(Array.from(byName.labels), [1, 0]);
});

test('bad input: an unknown label column lists the names; a non-number names line and column', () => {
  assert.throws(() => parseNamedCsv(IRIS_LIKE, 'iris.csv', { label: 'class' }), (e: unknown) => e instanceof InputError && /no column named "class" \(--label\); the header names "sepal_length", "sepal_width", "species"/.test(e.message));
  assert.throws(() => parseNamedCsv('a,b,y\n1,x,0\n2,3,1\n', 'f.csv'), (e: unknown) => e instanceof InputError && /line 2, column "b": "x" is not a finite number/.test(e.message));
  assert.throws(() => parseNamedCsv('a,b,y\n1,2\n', 'f.csv'), (e: unknown) => e instanceof InputError && /line 2: 2 fields, expected 3/.test(e.message));
  assert.throws(() => parseNamedCsv('a,y\n1,0\n2,0\n', 'f.csv'), (e: unknown) => e instanceof InputError && /single class/.test(e.message));
});
