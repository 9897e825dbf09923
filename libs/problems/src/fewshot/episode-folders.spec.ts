// Fixed episodes read from folders: episodes drawn by the sampler, written as PNG folders (pngjs) and read back; a
// single episode folder; resizing of 105×105 drawings; and one InputError, at the offending path, for each malformed tree.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@bilevel/io';
import { encodeGrayPng } from '../imaging/encode-gray-png';
import { areaResize } from './area-resize';
import { bundledOmniglot } from './bundled-omniglot';
import type { Episode } from './episode';
import { loadEpisodeFolders } from './episode-folders';
import { EpisodeSampler } from './episode-sampler';
import { drawing, drawingPng } from './omniglot-fixtures';
import { splitByAlphabet } from './split-by-alphabet';

/** 8-bit PNG quantization: a value comes back within half a grey level. */
const PNG_TOL = 0.5 / 255 + 1e-12;
const PX = 28 * 28;
let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'episodes-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Writes an episode as folders: <dir>/support/<class>/<k>.png and <dir>/query/<class>/<k>.png, strokes dark on light. */
function writeEpisode(dir: string, e: Episode, folderOf: (label: number) => string): void {
  for (const [side, set, per] of [['support', e.support, e.shots], ['query', e.query, e.queries]] as const) {
    for (let r = 0; r < set.y.length; r++) {
      const folder = join(dir, side, folderOf(set.y[r]));
      mkdirSync(folder, { recursive: true });
      const ink = set.x.subarray(r * PX, (r + 1) * PX);
      writeFileSync(join(folder, `${String(r % per).padStart(2, '0')}.png`), encodeGrayPng(28, 28, Float64Array.from(ink, (v) => 1 - v)));
    }
  }
}

test('round trip: episodes drawn by the sampler, written as PNG folders, read back with their classes, labels and pixels', () => {
  const { test: metaTest } = splitByAlphabet(bundledOmniglot());
  const sampler = new EpisodeSampler(metaTest, { ways: 5, shots: 2, queries: 3, seed: 4, rotations: true, reuseBuffers: false });
  const drawn = Array.from({ length: 3 }, () => sampler.next());
  const dir = join(root, 'round-trip');
  // folder names sort in label order, so the labels read back are the labels drawn
  const folderOf = (e: Episode) => (label: number) => `${label}-${e.classNames[label].replace(/[/ ]/g, '_')}`;
  drawn.forEach((e, k) => writeEpisode(join(dir, `episode-${k}`), e, folderOf(e)));
  writeFileSync(join(dir, 'README.txt'), 'files beside the episode folders are ignored');
  const read = loadEpisodeFolders(dir, { size: 28 });
  assert.equal(read.length, 3);
  read.forEach((e, k) => {
    const d = drawn[k];
    assert.deepEqual([e.ways, e.shots, e.queries, e.size], [5, 2, 3, 28]);
    assert.deepEqual(e.classNames, d.classNames.map((_, label) => folderOf(d)(label)));
    assert.deepEqual(e.support.y, d.support.y);
    assert.deepEqual(e.query.y, d.query.y);
    for (const [got, want] of [[e.support.x, d.support.x], [e.query.x, d.query.x]]) {
      assert.equal(got.length, want.length);
      for (let p = 0; p < got.length; p++) assert.ok(Math.abs(got[p] - want[p]) <= PNG_TOL, `pixel ${p}: ${got[p]} vs ${want[p]}`);
    }
  });
});

test('a single episode folder; 105×105 drawings are inverted and area-averaged to the size asked', () => {
  const dir = join(root, 'single');
  const inks = [drawing(1), drawing(2), drawing(3), drawing(4)];
  const files = [['support', 'b', 0], ['support', 'a', 1], ['query', 'b', 2], ['query', 'a', 3]] as const;
  for (const [side, cls, k] of files) {
    mkdirSync(join(dir, side, cls), { recursive: true });
    writeFileSync(join(dir, side, cls, 'x.png'), drawingPng(inks[k]));
  }
  const [e] = loadEpisodeFolders(dir, { size: 14 });
  assert.deepEqual(e.classNames, ['a', 'b']);
  assert.deepEqual([e.ways, e.shots, e.queries, e.size], [2, 1, 1, 14]);
  assert.deepEqual(e.support.x.subarray(0, 196), areaResize(inks[1], 105, 105, 14, 14), 'label 0 = class a');
  assert.deepEqual(e.query.x.subarray(196, 392), areaResize(inks[2], 105, 105, 14, 14));
  const light = loadEpisodeFolders(dir, { size: 14, invert: false })[0];
  assert.ok(Math.abs(light.support.x[0] + e.support.x[0] - 1) < 1e-12, 'invert: false keeps the gray values');
});

/** A valid two-class episode tree under `dir`, to break one piece at a time. */
function validEpisode(dir: string): void {
  const png = encodeGrayPng(28, 28, new Float64Array(PX).fill(1));
  for (const side of ['support', 'query']) {
    for (const cls of ['a', 'b']) {
      mkdirSync(join(dir, side, cls), { recursive: true });
      writeFileSync(join(dir, side, cls, '1.png'), png);
    }
  }
}

test('malformed episode folders: each one InputError naming the path and what was expected', () => {
  let n = 0;
  const broken = (breakIt: (ep: string) => void, pattern: RegExp, at: (ep: string, dir: string) => string) => {
    const dir = join(root, `bad-${n++}`);
    const ep = join(dir, 'episode-1');
    validEpisode(ep);
    breakIt(ep);
    assert.throws(
      () => loadEpisodeFolders(dir),
      (err: unknown) => {
        assert.ok(err instanceof InputError, String(err));
        assert.ok(err.message.startsWith(`${at(ep, dir)}: `), `where: ${err.message}`);
        assert.match(err.message, pattern);
        return true;
      },
    );
  };
  broken((ep) => rmSync(join(ep, 'query'), { recursive: true }), /no query\/ folder; expected <episode>\/support\/<class>\/<image>\.png/, (ep) => ep);
  broken((ep) => rmSync(join(ep, 'support'), { recursive: true }), /no support\/ folder/, (ep) => ep);
  broken((ep) => mkdirSync(join(ep, 'query', 'c')), /the class folder holds no images/, (ep) => join(ep, 'query', 'c'));
  broken(
    (ep) => {
      mkdirSync(join(ep, 'query', 'c'));
      writeFileSync(join(ep, 'query', 'c', '1.png'), encodeGrayPng(2, 2, new Float64Array(4)));
    },
    /the class folders of support\/ and query\/ differ \(only in query\/: c\); they must name the same classes/,
    (ep) => ep,
  );
  broken((ep) => writeFileSync(join(ep, 'support', 'stray.png'), 'x'), /"stray\.png" is not a class folder/, (ep) => join(ep, 'support'));
  broken((ep) => writeFileSync(join(ep, 'support', 'a', 'notes.txt'), 'x'), /"notes\.txt" is not an image file/, (ep) => join(ep, 'support', 'a'));
  broken((ep) => writeFileSync(join(ep, 'support', 'a', '2.png'), encodeGrayPng(2, 2, new Float64Array(4))), /class "a" has 2 support image\(s\) but class "b" has 1/, (ep) => join(ep, 'support'));
  broken((ep) => writeFileSync(join(ep, 'query', 'b', '1.png'), 'not a png'), /not a PNG or JPEG image/, (ep) => join(ep, 'query', 'b', '1.png'));
  broken((ep) => rmSync(ep, { recursive: true }), /no episode folders/, (_ep, dir) => dir);
  const refuses = (run: () => unknown, pattern: RegExp) => assert.throws(run, (err: unknown) => err instanceof InputError && pattern.test(err.message));
  refuses(() => loadEpisodeFolders(join(root, 'missing')), /missing: no such folder/);
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  refuses(() => loadEpisodeFolders(file), /a-file: not a folder/);
  const ok = join(root, 'ok');
  validEpisode(join(ok, 'e1'));
  refuses(() => loadEpisodeFolders(ok, { memoryBudget: 1000 }), /needs episode images 4 × 28×28 × 8 bytes = 24\.5 KiB, more than the memory budget/);
  refuses(() => loadEpisodeFolders(ok, { maxImages: 3 }), /more than 3 images \(option maxImages\)/);
  refuses(() => loadEpisodeFolders(ok, { size: 0 }), /options\.size must be an integer from 1 to 512/);
  assert.equal(loadEpisodeFolders(ok).length, 1);
});
