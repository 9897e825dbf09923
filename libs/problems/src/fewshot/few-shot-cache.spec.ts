// The decoded-data cache: where it lives, a round trip, and every kind of damage reported as corrupt (never trusted).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@bilevel/io';
import { cacheKey, defaultCacheDir, readFewShotCache, writeFewShotCache } from './few-shot-cache';
import type { FewShotDataset } from './few-shot-dataset';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'fewshot-cache-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const BUDGET = 2 ** 30;
const ds: FewShotDataset = {
  size: 3,
  images: Float64Array.from({ length: 5 * 9 }, (_, i) => (i % 7) / 6),
  classes: [
    { alphabet: 'A', name: 'c1', indices: Int32Array.of(0, 1) },
    { alphabet: 'B', name: 'c1', indices: Int32Array.of(2, 3, 4) },
  ],
};

test('the cache folder: $BILEVEL_CACHE_DIR, else $XDG_CACHE_HOME/bilevel (absolute), else ~/.cache/bilevel', () => {
  assert.equal(defaultCacheDir({ BILEVEL_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' }, '/home/u'), '/c');
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x' }, '/home/u'), '/x/bilevel');
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: 'relative' }, '/home/u'), '/home/u/.cache/bilevel');
  assert.equal(defaultCacheDir({ BILEVEL_CACHE_DIR: '' }, '/home/u'), '/home/u/.cache/bilevel');
});

test('round trip: what is written is read back exactly, with its classes; no temporary file is left', () => {
  const path = join(dir, 'sub', 'round.bin');
  const key = cacheKey({ test: 1 });
  assert.equal(writeFewShotCache(path, key, ds), undefined);
  const found = readFewShotCache(path, key, BUDGET);
  assert.equal(found.kind, 'hit');
  if (found.kind !== 'hit') return;
  assert.deepEqual(found.dataset.images, ds.images);
  assert.deepEqual(found.dataset.classes, ds.classes);
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['round.bin']);
  assert.deepEqual(readFewShotCache(join(dir, 'none.bin'), key, BUDGET), { kind: 'miss' });
});

test('damage is reported as corrupt, whatever it is: another key, magic, header, length, pixels, range', () => {
  const path = join(dir, 'damaged.bin');
  const key = cacheKey({ test: 2 });
  writeFewShotCache(path, key, ds);
  const good = readFileSync(path);
  const headerLength = good.readUInt32LE(8);
  const cases: [string, Buffer, RegExp][] = [
    ['magic', Buffer.concat([Buffer.from('XXXXXXXX'), good.subarray(8)]), /magic/],
    ['header length', (() => { const b = Buffer.from(good); b.writeUInt32LE(0xffffff00, 8); return b; })(), /header of \d+ bytes/],
    ['header JSON', (() => { const b = Buffer.from(good); b[12] = 0x7b + 1; return b; })(), /not JSON/],
    ['a pixel', (() => { const b = Buffer.from(good); b[b.length - 1] ^= 1; return b; })(), /SHA-256/],
    ['one byte more', Buffer.concat([good, Buffer.alloc(1)]), /bytes, expected/],
    ['cut short', good.subarray(0, good.length - 8), /bytes, expected/],
  ];
  for (const [what, bytes, why] of cases) {
    writeFileSync(path, bytes);
    const found = readFewShotCache(path, key, BUDGET);
    assert.equal(found.kind, 'corrupt', what);
    if (found.kind === 'corrupt') assert.match(found.why, why, what);
  }
  writeFileSync(path, good);
  assert.deepEqual(readFewShotCache(path, cacheKey({ test: 3 }), BUDGET), { kind: 'corrupt', why: 'the key does not match the inputs' });
  // a pixel outside [0, 1] behind a correct SHA-256 (a cache written by something else) is not trusted either
  const wild = { ...ds, images: Float64Array.from(ds.images, (v, i) => (i === 4 ? 2 : v)) };
  writeFewShotCache(path, key, wild);
  const found = readFewShotCache(path, key, BUDGET);
  assert.equal(found.kind, 'corrupt');
  if (found.kind === 'corrupt') assert.match(found.why, /pixel 4 is 2, outside \[0, 1\]/);
  assert.ok(headerLength > 0);
});

test('a cached data set over the memory budget is an InputError, as when decoding', () => {
  const path = join(dir, 'big.bin');
  const key = cacheKey({ test: 4 });
  writeFewShotCache(path, key, ds);
  assert.throws(() => readFewShotCache(path, key, 200), (err: unknown) => err instanceof InputError && /more than the memory budget/.test(err.message));
});
