// The Omniglot zip reader on synthetic archives: the layouts it accepts, the merge of archives, and one clear
// InputError for each bad input (not a zip, not Omniglot-shaped, traversal names, forged sizes, zip bombs, limits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '@bilevel/io';
import { cpuMs } from '../loaders/fuzz-outcome';
import { areaResize } from './area-resize';
import { listOmniglotZip } from './omniglot-zip';
import { centralHeaders, drawing, drawingPng, localHeaders, makeZip, replaceBytes, syntheticOmniglotZip } from './omniglot-fixtures';
import { parseOmniglot } from './parse-omniglot';

/** CPU time a refused zip bomb may cost: it must be refused before (or as soon as) it inflates past its declaration. */
const BOMB_MS = 500;

const parse = (bytes: Buffer, options = {}, source = 'a.zip') => parseOmniglot([{ bytes, source }], options);

function refuses(run: () => unknown, pattern: RegExp, where = 'a.zip'): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    assert.ok(err.message.startsWith(`${where}: `), `the message says where: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('a synthetic archive: classes sorted by alphabet and character, drawings inverted and area-averaged to 28×28', () => {
  const zip = syntheticOmniglotZip({ Zeta: 1, Alpha: 2 }, 3, 10);
  const ds = parse(zip);
  assert.equal(ds.size, 28);
  assert.deepEqual(
    ds.classes.map((c) => `${c.alphabet}/${c.name}:${c.indices.length}`),
    ['Alpha/character01:3', 'Alpha/character02:3', 'Zeta/character01:3'],
  );
  // the seeds follow the archive's order (Zeta first), the rows follow the sorted order
  const expected = areaResize(drawing(10 + 3), 105, 105, 28, 28); // Alpha/character01/01.png is the 4th drawing made
  assert.deepEqual(Array.from(ds.images.subarray(0, 784)), Array.from(expected));
});

test('archives without a top folder, and junk entries (__MACOSX, .DS_Store, folders) are read too', () => {
  const png = drawingPng(drawing(1));
  const zip = makeZip([
    { name: 'A/' },
    { name: 'A/c1/' },
    { name: 'A/c1/1.png', data: png },
    { name: 'A/c1/.DS_Store', data: Buffer.from('junk') },
    { name: '__MACOSX/A/c1/._1.png', data: Buffer.from('junk') },
  ]);
  assert.equal(parse(zip).classes.length, 1);
});

test('two archives are merged; a drawing in both must be identical and is kept once', () => {
  const png = (s: number) => drawingPng(drawing(s));
  const one = makeZip([{ name: 'top1/Greek/c1/1.png', data: png(1) }, { name: 'top1/Greek/c1/2.png', data: png(2) }, { name: 'top1/Korean/c1/1.png', data: png(3) }]);
  const two = makeZip([{ name: 'top2/Greek/c1/1.png', data: png(1) }, { name: 'top2/Greek/c1/3.png', data: png(4) }, { name: 'top2/Latin/c1/1.png', data: png(5) }]);
  const ds = parseOmniglot([{ bytes: one, source: 'one.zip' }, { bytes: two, source: 'two.zip' }]);
  assert.deepEqual(ds.classes.map((c) => `${c.alphabet}/${c.name}:${c.indices.length}`), ['Greek/c1:3', 'Korean/c1:1', 'Latin/c1:1']);
  const reversed = parseOmniglot([{ bytes: two, source: 'two.zip' }, { bytes: one, source: 'one.zip' }]);
  assert.deepEqual(reversed.images, ds.images, 'the order of the archives does not matter');
  const clash = makeZip([{ name: 'top2/Greek/c1/1.png', data: png(9) }]);
  refuses(() => parseOmniglot([{ bytes: one, source: 'one.zip' }, { bytes: clash, source: 'two.zip' }]), /Greek\/c1\/1\.png is also in one\.zip with different content/, 'two.zip');
});

test('not a zip: random bytes, a PNG, an empty file', () => {
  refuses(() => parse(Buffer.from('hello, this is not a zip archive at all')), /not a readable zip archive/);
  refuses(() => parse(drawingPng(drawing(1))), /not a readable zip archive/);
  refuses(() => parse(Buffer.alloc(0)), /not a readable zip archive/);
});

test('a zip that is not Omniglot-shaped: wrong depth, mixed top folders, not PNG, no files', () => {
  const png = drawingPng(drawing(1));
  refuses(() => parse(makeZip([{ name: 'readme.txt', data: Buffer.from('hi') }])), /not an Omniglot archive: entry "readme\.txt" is not <alphabet>/);
  refuses(() => parse(makeZip([{ name: 'top/A/c/1.png', data: png }, { name: 'other/A/c/2.png', data: png }])), /is not (top|other)\/<alphabet>\/<character>\/<drawing>\.png like the first file/);
  refuses(() => parse(makeZip([{ name: 'top/A/c/1.png', data: png }, { name: 'top/A/c/sub/2.png', data: png }])), /is not top\/<alphabet>\/<character>\/<drawing>\.png/);
  refuses(() => parse(makeZip([{ name: 'top/A/c/1.txt', data: png }])), /is not a \.png file/);
  refuses(() => parse(makeZip([{ name: 'top/' }, { name: 'top/A/' }])), /holds no files/);
  refuses(() => parse(makeZip([{ name: 'top/A/c/1.png', data: Buffer.from('not a png') }])), /entry "top\/A\/c\/1\.png": not a PNG or JPEG image/);
});

test('path traversal and hostile names are refused: "..", absolute paths, backslashes, long names', () => {
  const png = drawingPng(drawing(1));
  const base = makeZip([{ name: 'xx/A/c/1.png', data: png }]);
  refuses(() => parse(replaceBytes(base, 'xx/A', '../A')), /entry "\.\.\/A\/c\/1\.png": the name has a "\.\." part that leaves the archive/);
  refuses(() => parse(replaceBytes(base, 'xx/A', '/x/A')), /the name has an absolute path/);
  refuses(() => parse(replaceBytes(base, 'xx/A', 'x\\/A')), /the name has a backslash/);
  refuses(() => parse(replaceBytes(base, 'xx/A', 'C:/A')), /the name has a drive letter/);
  const deep = makeZip([{ name: `${'a/'.repeat(400)}x.png`, data: png }]);
  refuses(() => parse(deep), /"\/"-separated parts/);
  const long = makeZip([{ name: `top/A/c/${'x'.repeat(2000)}.png`, data: png }]);
  refuses(() => parse(long), /an entry name of \d+ bytes, more than the 1024 read/);
});

test('a name twice in one archive is refused (adm-zip: duplicate entry)', () => {
  const png = drawingPng(drawing(1));
  const zip = replaceBytes(makeZip([{ name: 'top/A/c/1.png', data: png }, { name: 'top/A/c/2.png', data: png }]), '2.png', '1.png');
  refuses(() => parse(zip), /Duplicate entry name/);
});

test('forged sizes and CRCs: a drawing that inflates past its declared size, a wrong CRC, a size over the limit', () => {
  const png = drawingPng(drawing(1));
  const zip = makeZip([{ name: 'top/A/c/1.png', data: png }]);
  const small = Buffer.from(zip);
  small.writeUInt32LE(100, centralHeaders(small)[0] + 24);
  small.writeUInt32LE(100, localHeaders(small)[0] + 22);
  refuses(() => parse(small), /inflates to more than its declared size|holds \d+ bytes, not the 100/);
  const crc = Buffer.from(zip);
  crc.writeUInt32LE((crc.readUInt32LE(centralHeaders(crc)[0] + 16) ^ 1) >>> 0, centralHeaders(crc)[0] + 16);
  crc.writeUInt32LE(crc.readUInt32LE(centralHeaders(crc)[0] + 16), localHeaders(crc)[0] + 14);
  refuses(() => parse(crc), /CRC32 checksum failed/);
  const huge = Buffer.from(zip);
  huge.writeUInt32LE(0xffff0000, centralHeaders(huge)[0] + 24);
  refuses(() => parse(huge), /declares 4294901760 bytes, more than the limit of 1048576 for one drawing \(option maxEntryBytes\)/);
});

test('zip bombs: 64 MiB of zeros is refused by its declared size, or as soon as it inflates past a forged one', () => {
  const zeros = Buffer.alloc(64 * 2 ** 20);
  const bomb = makeZip([{ name: 'top/A/c/1.png', data: zeros }]);
  assert.ok(bomb.length < 200_000, `the bomb is small: ${bomb.length} bytes`);
  let start = cpuMs();
  refuses(() => parse(bomb), /declares 67108864 bytes, more than the limit/);
  assert.ok(cpuMs() - start < BOMB_MS, 'refused before inflating');
  const forged = Buffer.from(bomb);
  forged.writeUInt32LE(1000, centralHeaders(forged)[0] + 24);
  forged.writeUInt32LE(1000, localHeaders(forged)[0] + 22);
  const before = process.memoryUsage().arrayBuffers;
  start = cpuMs();
  refuses(() => parse(forged), /inflates to more than its declared size/);
  assert.ok(cpuMs() - start < BOMB_MS, `stopped at the declared size (${(cpuMs() - start).toFixed(0)} ms)`);
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 2 ** 20, 'no large allocation');
});

test('many drawings: the entry count, the total to inflate and the memory budget are checked before inflating', () => {
  const entries = Array.from({ length: 40 }, (_, k) => ({ name: `top/A/c/${k}.png`, data: Buffer.alloc(2 ** 20) })); // 1 MiB each: within maxEntryBytes
  const zip = makeZip(entries);
  const start = cpuMs();
  refuses(() => parse(zip, { maxTotalBytes: 16 * 2 ** 20 }), /the archives declare 41943040 bytes of drawings to inflate, more than the limit of 16777216 \(option maxTotalBytes\)/);
  assert.ok(cpuMs() - start < BOMB_MS);
  refuses(() => parse(zip, { maxEntries: 10 }), /declares 40 entries, more than the limit of 10 \(option maxEntries\)/);
  const fine = syntheticOmniglotZip({ A: 3 }, 4);
  refuses(() => parse(fine, { memoryBudget: 10_000 }), /needs Omniglot images 12 × 28×28 × 8 bytes = 73\.5 KiB, more than the memory budget/);
  refuses(() => parse(fine, { size: 0 }), /options\.size must be an integer from 1 to 512/, 'parseOmniglot');
});

test('listOmniglotZip lists without inflating: names, declared sizes and CRCs', () => {
  const zip = syntheticOmniglotZip({ A: 2 }, 2);
  const list = listOmniglotZip(zip, 'a.zip');
  assert.deepEqual(
    list.map((d) => `${d.alphabet}/${d.character}/${d.file}`).sort(),
    ['A/character01/01.png', 'A/character01/02.png', 'A/character02/01.png', 'A/character02/02.png'],
  );
  for (const d of list) assert.equal(d.read().length, d.size);
});
