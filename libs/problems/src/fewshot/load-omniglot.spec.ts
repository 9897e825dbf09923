// loadOmniglot on the real zips of ../shared/data/omniglot (the tests that need them say SKIPPED when the folder is
// absent): the counts of the two minimal background splits (../shared/data/README.md: 8 distinct alphabets, 242
// characters, 20 drawings each, Greek and Latin in both), the cache (hit, corrupt file rebuilt), the bundled copy,
// and the file-level bad inputs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@bilevel/io';
import { cpuMs } from '../loaders/fuzz-outcome';
import { bundledOmniglot } from './bundled-omniglot';
import type { OmniglotDataset } from './load-omniglot';
import { loadOmniglot } from './load-omniglot';
import { listOmniglotZip } from './omniglot-zip';
import { SHARED_ZIPS, sharedSkip as skip, smallRealZip, syntheticOmniglotZip } from './omniglot-fixtures';

const ALPHABETS = ['Balinese', 'Early_Aramaic', 'Greek', 'Japanese_(katakana)', 'Korean', 'Latin', 'Sanskrit', 'Tagalog'];
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'omniglot-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let full: OmniglotDataset | undefined;
const timings: string[] = [];
after(() => timings.forEach((t) => console.log(t)));

/** The full set, loaded once through a cache in the temp folder (later calls hit it). */
function loadFull(): OmniglotDataset {
  return loadOmniglot(SHARED_ZIPS, { cacheDir: join(dir, 'full') });
}

test('the two minimal background splits: 8 alphabets, 242 characters, 20 drawings each, Greek and Latin merged', { skip }, () => {
  const start = cpuMs();
  const t0 = performance.now();
  full = loadFull();
  timings.push(`loadOmniglot, two minimal splits, cache miss (decode 5,840 PNGs, 1,000 of them duplicates compared): ${(cpuMs() - start).toFixed(0)} ms CPU, ${(performance.now() - t0).toFixed(0)} ms wall`);
  assert.equal(full.cache.status, 'miss');
  assert.equal(full.cache.writeError, undefined);
  assert.deepEqual([...new Set(full.classes.map((c) => c.alphabet))], ALPHABETS);
  assert.equal(full.classes.length, 242);
  assert.ok(full.classes.every((c) => c.indices.length === 20));
  assert.equal(full.images.length, 4840 * 28 * 28);
  // Greek and Latin are in both archives with the same characters: merged, each character keeps its 20 drawings
  const perZip = SHARED_ZIPS.map((z) => listOmniglotZip(readFileSync(z), z));
  for (const alphabet of ['Greek', 'Latin']) {
    const chars = perZip.map((list) => new Set(list.filter((d) => d.alphabet === alphabet).map((d) => d.character)));
    assert.ok(chars[0].size > 0 && chars[0].size === chars[1].size);
    assert.equal(full.classes.filter((c) => c.alphabet === alphabet).length, chars[0].size);
  }
  assert.equal(perZip[0].length + perZip[1].length, 5840, 'the archives hold 5,840 files, 1,000 of them in both');
  // stroke = 1: most pixels are background (0), the strokes reach 1
  let zeros = 0;
  let max = 0;
  for (const v of full.images) {
    if (v === 0) zeros++;
    max = Math.max(max, v);
  }
  assert.ok(zeros / full.images.length > 0.6, `${zeros} background pixels`);
  assert.equal(max, 1);
});

test('cache hit: the second load reads the cache file, the same data bit for bit, whatever the order of the paths', { skip }, () => {
  const first = full ?? loadFull();
  const start = cpuMs();
  const t0 = performance.now();
  const again = loadOmniglot([...SHARED_ZIPS].reverse(), { cacheDir: join(dir, 'full') });
  timings.push(`loadOmniglot, two minimal splits, cache hit: ${(cpuMs() - start).toFixed(0)} ms CPU, ${(performance.now() - t0).toFixed(0)} ms wall`);
  assert.equal(again.cache.status, 'hit');
  assert.equal(again.cache.path, first.cache.path);
  assert.deepEqual(again.images, first.images);
  assert.deepEqual(
    again.classes.map((c) => [c.alphabet, c.name, Array.from(c.indices)]),
    first.classes.map((c) => [c.alphabet, c.name, Array.from(c.indices)]),
  );
});

test('bundledOmniglot() is loadOmniglot on the two zips, bit for bit', { skip }, () => {
  const loaded = full ?? loadFull();
  const start = cpuMs();
  const bundled = bundledOmniglot();
  timings.push(`bundledOmniglot: ${(cpuMs() - start).toFixed(0)} ms CPU`);
  assert.equal(bundled.size, 28);
  assert.deepEqual(bundled.images, loaded.images);
  assert.deepEqual(
    bundled.classes.map((c) => [c.alphabet, c.name, Array.from(c.indices)]),
    loaded.classes.map((c) => [c.alphabet, c.name, Array.from(c.indices)]),
  );
});

test('bundledOmniglot() without ../shared: 8 alphabets, 242 characters × 20 drawings of 28×28 in [0, 1]', () => {
  const ds = bundledOmniglot();
  assert.deepEqual([...new Set(ds.classes.map((c) => c.alphabet))], ALPHABETS);
  assert.equal(ds.classes.length, 242);
  assert.ok(ds.classes.every((c) => c.indices.length === 20));
  assert.ok(ds.images.every((v) => v >= 0 && v <= 1 && v === Math.round(v * 225) / 225), 'multiples of 1/225');
});

/** A small archive on disk: real drawings when ../shared is there, synthetic ones otherwise. */
function smallZipFile(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, smallRealZip(2, 2, 3) ?? syntheticOmniglotZip({ A: 2, B: 2 }, 3));
  return path;
}

test('a corrupt cache file is rebuilt, not trusted: a flipped pixel, a truncated file, garbage', () => {
  const zip = smallZipFile('small.zip');
  const cacheDir = join(dir, 'corrupt');
  const fresh = loadOmniglot(zip, { cacheDir });
  assert.equal(fresh.cache.status, 'miss');
  const path = fresh.cache.path as string;
  const good = readFileSync(path);
  const damages: [string, (b: Buffer) => Buffer, RegExp][] = [
    ['a flipped pixel byte', (b) => { const c = Buffer.from(b); c[c.length - 3] ^= 0x40; return c; }, /SHA-256/],
    ['a truncated file', (b) => b.subarray(0, b.length - 100), /bytes, expected/],
    ['garbage', () => Buffer.from('not a cache file at all'), /magic/],
    ['an empty file', () => Buffer.alloc(0), /magic/],
  ];
  for (const [what, damage, why] of damages) {
    writeFileSync(path, damage(good));
    const loaded = loadOmniglot(zip, { cacheDir });
    assert.equal(loaded.cache.status, 'rebuilt', what);
    assert.match(loaded.cache.corrupt as string, why, what);
    assert.deepEqual(loaded.images, fresh.images, what);
    assert.deepEqual(readFileSync(path), good, `${what}: the cache file is written again`);
    assert.equal(loadOmniglot(zip, { cacheDir }).cache.status, 'hit', `${what}: then hit`);
  }
  assert.deepEqual(readdirSync(cacheDir), [path.slice(cacheDir.length + 1)], 'no temporary files left');
});

test('cacheDir: false reads no cache; a cache that cannot be written is reported, not an error', () => {
  const zip = smallZipFile('small2.zip');
  const off = loadOmniglot(zip, { cacheDir: false });
  assert.deepEqual(off.cache, { status: 'off' });
  const blocker = join(dir, 'a-file');
  writeFileSync(blocker, 'x');
  const blocked = loadOmniglot(zip, { cacheDir: join(blocker, 'cache') });
  assert.equal(blocked.cache.status, 'miss');
  assert.match(blocked.cache.writeError as string, /ENOTDIR|not a directory/);
  assert.deepEqual(blocked.images, off.images);
});

test('file-level bad input: no such file, a folder, a file over maxBytes, no paths, bad options', () => {
  const zip = smallZipFile('small3.zip');
  const refuses = (run: () => unknown, pattern: RegExp) =>
    assert.throws(run, (err: unknown) => err instanceof InputError && pattern.test(err.message));
  refuses(() => loadOmniglot(join(dir, 'missing.zip'), { cacheDir: false }), /missing\.zip: cannot read data file \(no such file\)/);
  refuses(() => loadOmniglot(dir, { cacheDir: false }), /cannot read data file \(is a directory\)/);
  refuses(() => loadOmniglot(zip, { cacheDir: false, maxBytes: 100 }), /more than the limit of 100 \(option maxBytes\)/);
  refuses(() => loadOmniglot([], { cacheDir: false }), /loadOmniglot: expected one or more paths/);
  refuses(() => loadOmniglot(zip, { cacheDir: '' as never }), /options\.cacheDir must be a folder path or false/);
  refuses(() => loadOmniglot(zip, { cacheDir: false, size: 28.5 }), /options\.size must be an integer/);
  const notOmniglot = join(dir, 'not-omniglot.zip');
  writeFileSync(notOmniglot, readFileSync(zip).subarray(0, 200));
  refuses(() => loadOmniglot(notOmniglot, { cacheDir: false }), /not-omniglot\.zip: not a readable zip archive/);
});
