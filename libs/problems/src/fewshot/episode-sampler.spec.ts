// The episode sampler on the bundled Omniglot copy: what an episode holds (distinct classes, labels, distinct images of
// the named classes), disjoint meta-train / meta-test alphabets, seeded replay, state/restore, rotations, the
// labelling's distribution, buffer reuse, and one InputError for each bad request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '@bilevel/io';
import { bundledOmniglot } from './bundled-omniglot';
import type { Episode } from './episode';
import { cloneEpisode } from './episode';
import { EpisodeSampler } from './episode-sampler';
import type { FewShotDataset } from './few-shot-dataset';
import { className, selectClasses } from './few-shot-dataset';
import { rotateSquare } from './rotate-square';
import { splitByAlphabet } from './split-by-alphabet';

const ds = bundledOmniglot();
const { train, test: metaTest } = splitByAlphabet(ds);
const PX = 28 * 28;

/** Finds which image of a data set a row of pixels is, rotated by k quarter turns: "class name#image row". */
function indexImages(d: FewShotDataset): Map<string, string> {
  const byPixels = new Map<string, string>();
  const rotated = new Float64Array(PX);
  for (const c of d.classes) {
    for (const i of c.indices) {
      for (let k = 0; k < 4; k++) {
        rotateSquare(d.images, i * PX, 28, k, rotated, 0);
        byPixels.set(Buffer.from(rotated.buffer).toString('base64'), `${className(c)}${['', ' rot90', ' rot180', ' rot270'][k]}#${i}`);
      }
    }
  }
  return byPixels;
}
const trainIndex = indexImages(train);

function rowsOf(set: { x: Float64Array; y: Int32Array }, index: Map<string, string>): { label: number; cls: string; image: string }[] {
  return Array.from(set.y, (label, r) => {
    const found = index.get(Buffer.from(set.x.slice(r * PX, (r + 1) * PX).buffer).toString('base64'));
    assert.ok(found, `row ${r} is not an image of the data set`);
    return { label, cls: found.split('#')[0], image: found };
  });
}

function checkEpisode(e: Episode, index: Map<string, string>): void {
  assert.equal(new Set(e.classNames).size, e.ways, 'distinct classes');
  assert.deepEqual(Array.from(e.support.y), Array.from({ length: e.ways * e.shots }, (_, r) => Math.floor(r / e.shots)), 'support rows class-major');
  assert.deepEqual(Array.from(e.query.y), Array.from({ length: e.ways * e.queries }, (_, r) => Math.floor(r / e.queries)), 'query rows class-major');
  const rows = [...rowsOf(e.support, index), ...rowsOf(e.query, index)];
  for (const row of rows) assert.equal(row.cls, e.classNames[row.label], 'every image belongs to the class its label names');
  assert.equal(new Set(rows.map((r) => r.image)).size, rows.length, 'no image twice in an episode (support and query disjoint)');
}

test('an episode: distinct classes, labels 0..ways−1 class-major, shots + queries distinct images of each named class', () => {
  const sampler = new EpisodeSampler(train, { ways: 5, shots: 1, queries: 15, seed: 7 });
  for (let n = 0; n < 40; n++) checkEpisode(sampler.next(), trainIndex);
  const twenty = new EpisodeSampler(train, { ways: 20, shots: 5, queries: 15, seed: 8 }).next();
  assert.equal(twenty.support.x.length, 20 * 5 * PX);
  assert.equal(twenty.query.x.length, 20 * 15 * PX);
  checkEpisode(twenty, trainIndex);
});

test('meta-train episodes never hold a meta-test alphabet, and the reverse', () => {
  const testAlphabets = new Set(metaTest.classes.map((c) => c.alphabet));
  const a = new EpisodeSampler(train, { ways: 20, shots: 1, queries: 1, seed: 1 });
  const b = new EpisodeSampler(metaTest, { ways: 20, shots: 1, queries: 1, seed: 1 });
  for (let n = 0; n < 50; n++) {
    for (const name of a.next().classNames) assert.ok(!testAlphabets.has(name.split('/')[0]), name);
    for (const name of b.next().classNames) assert.ok(testAlphabets.has(name.split('/')[0]), name);
  }
});

const fingerprint = (e: Episode): string => `${e.classNames.join()}|${Buffer.from(e.support.x.buffer).toString('base64')}|${Buffer.from(e.query.x.buffer).toString('base64')}`;

test('seeded replay: the same seed gives the same episodes, another seed others', () => {
  const run = (seed: number) => {
    const s = new EpisodeSampler(train, { ways: 5, shots: 1, queries: 5, seed, rotations: true });
    return Array.from({ length: 20 }, () => fingerprint(s.next()));
  };
  assert.deepEqual(run(3), run(3));
  assert.notDeepEqual(run(3), run(4));
});

test('state/restore: resuming from a saved state (through JSON) gives the episodes of a run that did not stop', () => {
  const options = { ways: 5, shots: 2, queries: 3, seed: 11, rotations: true };
  const straight = new EpisodeSampler(train, options);
  const expected = Array.from({ length: 30 }, () => fingerprint(straight.next()));
  const first = new EpisodeSampler(train, options);
  for (let n = 0; n < 12; n++) first.next();
  const saved = JSON.parse(JSON.stringify(first.state()));
  const resumed = new EpisodeSampler(train, { ...options, seed: 999 }); // the seed is overridden by the state
  resumed.restore(saved);
  assert.equal(resumed.drawn, 12);
  assert.deepEqual(Array.from({ length: 18 }, () => fingerprint(resumed.next())), expected.slice(12));
});

test('rotations: each (character, k·90°) is a class of its own, holding the drawings rotated counter-clockwise', () => {
  const sampler = new EpisodeSampler(train, { ways: 10, shots: 2, queries: 2, seed: 5, rotations: true });
  assert.equal(sampler.classCount, 4 * train.classes.length);
  const seen = new Set<string>();
  let sameCharacterTwice = 0;
  for (let n = 0; n < 60; n++) {
    const e = sampler.next();
    checkEpisode(e, trainIndex); // the index holds every drawing in its four rotations, named as the sampler names them
    for (const name of e.classNames) seen.add(name.split(' ')[1] ?? 'rot0');
    const characters = e.classNames.map((name) => name.split(' ')[0]);
    if (new Set(characters).size < characters.length) sameCharacterTwice++;
  }
  assert.deepEqual([...seen].sort(), ['rot0', 'rot180', 'rot270', 'rot90']);
  console.log(`rotations: 60 episodes of 10 ways, ${sameCharacterTwice} with two rotations of one character`);
  // without rotations no name has a suffix, and a rotated copy is not an image of the data set
  const plain = new EpisodeSampler(train, { ways: 10, shots: 2, queries: 2, seed: 5 }).next();
  assert.ok(plain.classNames.every((name) => !name.includes(' rot')));
});

test('the labelling is uniformly random: with two classes, each takes label 0 in about half of the episodes', () => {
  const two = selectClasses(train, [0, 1]);
  const sampler = new EpisodeSampler(two, { ways: 2, shots: 1, queries: 1, seed: 2 });
  const n = 2000;
  let first = 0;
  for (let k = 0; k < n; k++) if (sampler.next().classNames[0] === className(two.classes[0])) first++;
  // Binomial(2000, ½): standard deviation 22.4; 5 deviations is a bound a fair labelling breaks with probability < 1e-6
  assert.ok(Math.abs(first - n / 2) < 5 * Math.sqrt(n / 4), `${first} of ${n}`);
});

test('buffers: reused by default (no allocation per episode); reuseBuffers false gives each episode its own; cloneEpisode keeps one', () => {
  const reuse = new EpisodeSampler(train, { ways: 5, shots: 1, queries: 2, seed: 1 });
  const a = reuse.next();
  const kept = cloneEpisode(a);
  const b = reuse.next();
  assert.equal(a.support.x, b.support.x, 'the same array');
  assert.notDeepEqual(kept.support.x, b.support.x, 'the clone kept the first episode');
  const fresh = new EpisodeSampler(train, { ways: 5, shots: 1, queries: 2, seed: 1, reuseBuffers: false });
  const c = fresh.next();
  const d = fresh.next();
  assert.notEqual(c.support.x, d.support.x);
  assert.deepEqual(c.support.x, kept.support.x, 'same seed, same first episode');
});

test('bad requests: too few classes for the ways, shots beyond the drawings, options that are not positive integers, a foreign state', () => {
  const refuses = (run: () => unknown, pattern: RegExp) => assert.throws(run, (err: unknown) => err instanceof InputError && pattern.test(err.message));
  const few = selectClasses(metaTest, [0, 1, 2]);
  refuses(() => new EpisodeSampler(few, { ways: 5, shots: 1, queries: 1, seed: 0 }), /EpisodeSampler: 5-way episodes need 5 classes, but the data set has 3 \(1 alphabet\(s\)\); lower ways to 3 or less, or turn rotations on/);
  refuses(() => new EpisodeSampler(few, { ways: 13, shots: 1, queries: 1, seed: 0, rotations: true }), /has 3 \(1 alphabet\(s\)\), 12 with rotations; lower ways to 12 or less/);
  refuses(() => new EpisodeSampler(train, { ways: 5, shots: 21, queries: 1, seed: 0 }), /shots = 21 is more than the 20 images of class Balinese\/character01/);
  refuses(() => new EpisodeSampler(train, { ways: 5, shots: 5, queries: 16, seed: 0 }), /shots \+ queries = 5 \+ 16 = 21 images per class, more than the 20 of class .*; lower queries to 15 or less/);
  refuses(() => new EpisodeSampler(train, { ways: 0, shots: 1, queries: 1, seed: 0 }), /options\.ways must be a positive integer, received 0/);
  refuses(() => new EpisodeSampler(train, { ways: 5, shots: 1.5, queries: 1, seed: 0 }), /options\.shots must be a positive integer, received 1\.5/);
  refuses(() => new EpisodeSampler(train, { ways: 5, shots: 1, queries: 1, seed: 0.5 }), /options\.seed must be a safe integer/);
  const sampler = new EpisodeSampler(train, { ways: 5, shots: 1, queries: 1, seed: 0 });
  const other = new EpisodeSampler(train, { ways: 5, shots: 1, queries: 2, seed: 0 }).state();
  refuses(() => sampler.restore(other), /EpisodeSampler\.restore: the state was saved by another sampler \(ways=5 shots=1 queries=2/);
  refuses(() => sampler.restore({ rng: [0, 0, 0, 0], episodes: 0, fingerprint: sampler.state().fingerprint }), /not an episode sampler state/);
  refuses(() => sampler.restore(null as never), /not an episode sampler state/);
});
