// Meta-train / meta-test split by alphabet on the bundled Omniglot copy: disjoint alphabets, every class on one side,
// deterministic default, named alphabets, and one InputError for each bad request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '@bilevel/io';
import { bundledOmniglot } from './bundled-omniglot';
import { className } from './few-shot-dataset';
import { splitByAlphabet } from './split-by-alphabet';

const ds = bundledOmniglot();
const PX = 28 * 28;

test('default: 2 of the 8 alphabets held out, the same ones every time; the sides are disjoint and cover every class', () => {
  const split = splitByAlphabet(ds);
  assert.equal(split.testAlphabets.length, 2);
  assert.equal(split.trainAlphabets.length, 6);
  assert.deepEqual(splitByAlphabet(ds).testAlphabets, split.testAlphabets, 'deterministic');
  const trainA = new Set(split.train.classes.map((c) => c.alphabet));
  const testA = new Set(split.test.classes.map((c) => c.alphabet));
  assert.deepEqual([...testA].sort(), [...split.testAlphabets]);
  assert.ok([...trainA].every((a) => !testA.has(a)), 'no alphabet on both sides');
  assert.equal(split.train.classes.length + split.test.classes.length, ds.classes.length);
  // the images moved with their classes
  const original = new Map(ds.classes.map((c) => [className(c), c]));
  for (const side of [split.train, split.test]) {
    assert.equal(side.images.length, side.classes.reduce((s, c) => s + c.indices.length, 0) * PX);
    for (const c of side.classes) {
      const o = original.get(className(c));
      assert.ok(o);
      assert.deepEqual(side.images.subarray(c.indices[3] * PX, (c.indices[3] + 1) * PX), ds.images.subarray(o.indices[3] * PX, (o.indices[3] + 1) * PX));
    }
  }
  console.log(`default meta-test alphabets: ${split.testAlphabets.join(', ')} (${split.test.classes.length} characters); meta-train: ${split.train.classes.length} characters`);
});

test('a count and a seed draw other alphabets; names choose them', () => {
  assert.equal(splitByAlphabet(ds, { testAlphabets: 3 }).testAlphabets.length, 3);
  const seeds = new Set([0, 1, 2, 3, 4, 5].map((seed) => splitByAlphabet(ds, { seed }).testAlphabets.join()));
  assert.ok(seeds.size > 1, 'the seed changes the draw');
  const named = splitByAlphabet(ds, { testAlphabets: ['Tagalog', 'Greek'] });
  assert.deepEqual(named.testAlphabets, ['Greek', 'Tagalog']);
  assert.equal(named.test.classes.length, 24 + 17);
});

test('bad requests: unknown or repeated names, all or no alphabets, a count out of range', () => {
  const refuses = (run: () => unknown, pattern: RegExp) => assert.throws(run, (err: unknown) => err instanceof InputError && pattern.test(err.message));
  refuses(() => splitByAlphabet(ds, { testAlphabets: ['Klingon'] }), /splitByAlphabet: options\.testAlphabets: unknown alphabet "Klingon"; the data set has Balinese, /);
  refuses(() => splitByAlphabet(ds, { testAlphabets: ['Greek', 'Greek'] }), /names an alphabet twice/);
  refuses(() => splitByAlphabet(ds, { testAlphabets: [] }), /must name at least one alphabet/);
  refuses(() => splitByAlphabet(ds, { testAlphabets: 8 }), /a whole number from 1 to 7 \(the data set has 8 alphabet\(s\)/);
  refuses(() => splitByAlphabet(ds, { testAlphabets: 0 }), /a whole number from 1 to 7/);
  const all = [...new Set(ds.classes.map((c) => c.alphabet))];
  refuses(() => splitByAlphabet(ds, { testAlphabets: all }), /holds all 8 alphabets; at least one must stay/);
});
