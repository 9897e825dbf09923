// Fuzzing the Omniglot zip reader (fast-check): byte mutations and truncations of a small real Omniglot zip (cut from
// ../shared/data/omniglot; a synthetic one of the same shape when that folder is absent), forged central-directory
// and end-record fields, zip bombs behind forged sizes, and hostile entry names. Every case must end with a
// consistent data set or one InputError at the archive, within a CPU-time bound and a bound on the memory allocated.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyByteMutations, byteMutations, interestingUint32 } from '../loaders/byte-mutations';
import type { FuzzTally } from '../loaders/fuzz-outcome';
import { emptyTally, formatTally, fuzzOutcome } from '../loaders/fuzz-outcome';
import type { FewShotDataset } from './few-shot-dataset';
import { centralHeaders, drawing, drawingPng, makeZip, sharedSkip, smallRealZip, syntheticOmniglotZip } from './omniglot-fixtures';
import { parseOmniglot } from './parse-omniglot';

/** CPU time of one case: the valid ones decode 12 drawings in ~20 ms; a hang, a bomb or a quadratic path would not fit. */
const CASE_MS = 2000;
/** Typed-array growth of one case: the inflated drawings (≤ 1 MiB each, one at a time), a decode (≤ 24 MiB) and the images. */
const CASE_BYTES = 64 * 2 ** 20;
const RUNS = { mutated: 300, truncated: 100, forgedCentral: 300, forgedEnd: 100, bombs: 20, names: 200 };
const SOURCE = 'fuzz.zip';
const tallies = new Map<string, FuzzTally>();

const base = smallRealZip(2, 2, 3) ?? syntheticOmniglotZip({ Balinese: 2, Early_Aramaic: 2 }, 3);
const PNG = drawingPng(drawing(1));
after(() => {
  console.log(`fuzz omniglot zip: base archive ${base.length} bytes, ${sharedSkip ? 'synthetic (no ../shared/data/omniglot)' : 'cut from images_background_small1.zip'}`);
  for (const [kind, t] of tallies) console.log(`fuzz omniglot zip ${formatTally(kind, t)}`);
});

function check(ds: FewShotDataset): void {
  assert.ok(ds.classes.length >= 1);
  const rows = ds.images.length / (ds.size * ds.size);
  const seen = new Uint8Array(rows);
  for (const c of ds.classes) {
    assert.ok(c.indices.length >= 1);
    assert.ok(!c.alphabet.includes('/') && !c.name.includes('/') && c.alphabet !== '..' && c.name !== '..');
    for (const i of c.indices) {
      assert.ok(i >= 0 && i < rows && !seen[i], 'every image in exactly one class');
      seen[i] = 1;
    }
  }
  assert.ok(seen.every((s) => s === 1));
  for (const v of ds.images) assert.ok(v >= 0 && v <= 1, `pixel ${v} outside [0, 1]`);
}

function fuzzCase(kind: string, bytes: Uint8Array): void {
  const tally = tallies.get(kind) ?? emptyTally();
  tallies.set(kind, tally);
  fuzzOutcome(tally, SOURCE, { maxMs: CASE_MS, maxArrayBufferBytes: CASE_BYTES }, () => parseOmniglot([{ bytes, source: SOURCE }]), check);
}

test('the base archive is valid: 2 alphabets × 2 characters × 3 drawings', () => {
  const ds = parseOmniglot([{ bytes: base, source: SOURCE }]);
  assert.equal(ds.classes.length, 4);
  assert.ok(ds.classes.every((c) => c.indices.length === 3));
});

test('byte mutations of a small Omniglot zip (flips, inserts, deletes, duplicated runs, uint32 fields)', () => {
  fc.assert(fc.property(byteMutations, (muts) => fuzzCase('mutated', applyByteMutations(base, muts))), { numRuns: RUNS.mutated });
});

test('truncations anywhere', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: base.length - 1 }), (at) => fuzzCase('truncated', base.subarray(0, at))), { numRuns: RUNS.truncated });
});

/** Fields of a central directory header: offset and width in bytes (APPNOTE 4.3.12). */
const CENTRAL_FIELDS = [
  [6, 2], // version needed
  [8, 2], // flags (encryption, data descriptor, UTF-8)
  [10, 2], // method
  [16, 4], // CRC-32
  [20, 4], // compressed size
  [24, 4], // uncompressed size
  [28, 2], // name length
  [30, 2], // extra length
  [32, 2], // comment length
  [42, 4], // local header offset
] as const;

test('forged central directory fields: sizes, offsets, name and extra lengths, method, flags, CRC', () => {
  const heads = centralHeaders(base);
  const forged = fc.record({
    entry: fc.integer({ min: 0, max: heads.length - 1 }),
    field: fc.constantFrom(...CENTRAL_FIELDS),
    value: fc.oneof(interestingUint32, fc.constantFrom(0, 1, 8, 12, 99, 0xffff, 0xffffffff)),
  });
  fc.assert(
    fc.property(fc.array(forged, { minLength: 1, maxLength: 3 }), (edits) => {
      const b = Buffer.from(base);
      for (const { entry, field, value } of edits) {
        const at = heads[entry] + field[0];
        if (field[1] === 2) b.writeUInt16LE(value & 0xffff, at);
        else b.writeUInt32LE(value >>> 0, at);
      }
      fuzzCase('forged central fields', b);
    }),
    { numRuns: RUNS.forgedCentral },
  );
});

test('forged end record: entry counts, central directory size and offset, comment length', () => {
  const end = base.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end > 0);
  const fields = [
    [8, 2],
    [10, 2],
    [12, 4],
    [16, 4],
    [20, 2],
  ] as const;
  fc.assert(
    fc.property(fc.constantFrom(...fields), fc.oneof(interestingUint32, fc.constantFrom(0, 1, 0xffff, 0xffffffff)), (field, value) => {
      const b = Buffer.from(base);
      if (field[1] === 2) b.writeUInt16LE(value & 0xffff, end + field[0]);
      else b.writeUInt32LE(value >>> 0, end + field[0]);
      fuzzCase('forged end record', b);
    }),
    { numRuns: RUNS.forgedEnd },
  );
});

test('zip bombs: up to 16 MiB of zeros behind declared sizes from 0 to 2³²−1', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 16 * 2 ** 20 }), interestingUint32, (zeros, declared) => {
      const zip = makeZip([{ name: 'images_background/A/c1/1.png', data: Buffer.alloc(zeros) }]);
      const [head] = centralHeaders(zip);
      zip.writeUInt32LE(declared >>> 0, head + 24);
      zip.writeUInt32LE(declared >>> 0, zip.readUInt32LE(head + 42) + 22);
      fuzzCase('zip bombs', zip);
    }),
    { numRuns: RUNS.bombs },
  );
});

test('hostile entry names: "..", ".", empty parts, absolute paths, backslashes, drive letters, NUL, long and deep names', () => {
  const part = fc.oneof(
    fc.constantFrom('..', '.', '', 'A', 'character01', '01.png', 'x.PNG', '\\', 'C:', 'a\\..\\b', '\0', 'é', '__MACOSX', '.DS_Store'),
    fc.string({ maxLength: 8 }),
    fc.constant('x'.repeat(300)),
  );
  const name = fc.array(part, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('/'));
  fc.assert(
    fc.property(fc.array(name, { minLength: 1, maxLength: 4 }), (names) => {
      // adm-zip's writer cleans names, so write placeholders of the same byte length and put the names in afterwards
      const raw = names.map((n) => Buffer.from(n, 'utf8'));
      const holders = raw.map((r, k) => Buffer.from(String.fromCharCode(65 + k).repeat(Math.max(1, r.length)), 'latin1'));
      let zip = makeZip(holders.map((h, k) => ({ name: h.toString('latin1'), data: k === 0 ? PNG : Buffer.from('x') })));
      zip = Buffer.from(zip);
      raw.forEach((r, k) => {
        if (r.length === 0) return;
        for (let at = zip.indexOf(holders[k]); at >= 0; at = zip.indexOf(holders[k], at + r.length)) r.copy(zip, at);
      });
      fuzzCase('hostile names', zip);
    }),
    { numRuns: RUNS.names },
  );
});
