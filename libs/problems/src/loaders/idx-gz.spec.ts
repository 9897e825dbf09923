// The IDX reader: round trips through encodeIdx (gzipped and raw), one located InputError per defect, and the
// refusal of an announced size before anything of that size is allocated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { InputError } from '@bilevel/io';
import { encodeIdx } from './encode-idx';
import { loadIdx, parseIdx } from './idx-gz';
import { spyGunzip } from './gunzip-spy';

/** Bytes `00 00 08 r`, dims (big-endian uint32), then `payload`. */
function rawIdx(dims: number[], payload: Uint8Array | number, type = 0x08): Uint8Array {
  const p = typeof payload === 'number' ? new Uint8Array(payload) : payload;
  const out = new Uint8Array(4 + 4 * dims.length + p.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, (type << 8) | dims.length);
  dims.forEach((d, k) => view.setUint32(4 + 4 * k, d));
  out.set(p, 4 + 4 * dims.length);
  return out;
}
const gz = (b: Uint8Array): Uint8Array => new Uint8Array(gzipSync(b));

function rejects(bytes: Uint8Array, message: RegExp, options = {}): void {
  assert.throws(
    () => parseIdx(bytes, 'f.idx', options),
    (err: unknown) => err instanceof InputError && err.message.startsWith('f.idx: ') && message.test(err.message),
  );
}

const idxArray = fc
  .array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 })
  .chain((dims) => fc.record({ dims: fc.constant(dims), data: fc.uint8Array({ minLength: dims.reduce((a, b) => a * b, 1), maxLength: dims.reduce((a, b) => a * b, 1) }) }));

test('encodeIdx then parseIdx gives back dims and bytes, gzipped or raw', () => {
  fc.assert(
    fc.property(idxArray, fc.boolean(), (array, gzip) => {
      const back = parseIdx(encodeIdx(array, { gzip }), 'x', { rank: array.dims.length });
      assert.deepEqual(back.dims, array.dims);
      assert.deepEqual(Array.from(back.data), Array.from(array.data));
    }),
    { numRuns: 200 },
  );
});

test('the header layout is the MNIST one: magic 0x00000803, dims big-endian', () => {
  const file = encodeIdx({ dims: [2, 3, 1], data: Uint8Array.of(1, 2, 3, 4, 5, 6) }, { gzip: false });
  assert.deepEqual(Array.from(file.subarray(0, 16)), [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 1]);
  assert.deepEqual(parseIdx(file).dims, [2, 3, 1]);
});

const cases: [string, Uint8Array, RegExp, object?][] = [
  ['an empty file', new Uint8Array(0), /too short for an IDX file: 0 bytes/],
  ['random bytes', Uint8Array.of(7, 1, 2, 3, 4, 5), /bad magic number 0x07010203: an IDX file starts with two zero bytes/],
  ['a float32 IDX file', rawIdx([1], 4, 0x0d), /bad magic number 0x00000d01: element type 0x0d \(float32\) is not supported; expected 0x08/],
  ['labels where images are expected', rawIdx([3], 3), /bad magic number 0x00000801: 1 dimension; expected 0x00000803 \(unsigned bytes, 3 dimensions\)/, { rank: 3 }],
  ['rank 0', Uint8Array.of(0, 0, 8, 0), /rank 0/],
  ['a truncated header', rawIdx([5, 5, 5], 0).subarray(0, 10), /truncated header: 3 dimensions need 16 header bytes, the file holds 10/],
  ['missing data', rawIdx([2, 3], 5), /the dimensions 2×3 announce 6 data bytes but the file holds 5 \(truncated\)/],
  ['trailing data', rawIdx([2, 3], 7), /announce 6 data bytes but the file holds 7 \(trailing bytes\)/],
  ['gzipped missing data', gz(rawIdx([2, 3], 5)), /announce 6 data bytes but the file holds 5 \(truncated\)/],
  ['gzipped trailing data', gz(rawIdx([2, 3], 9)), /the data is longer than the dimensions 2×3 announce \(6 bytes after the 12-byte header\)/],
  ['a gzipped non-IDX', gz(Uint8Array.from(Buffer.from('hello world'))), /bad magic number 0x68656c6c/],
  ['a truncated gzip stream', gz(rawIdx([4, 4], 16)).subarray(0, 30), /truncated gzip stream/],
  ['a corrupt gzip stream', Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff), /corrupt gzip stream/],
  ['more than maxBytes', rawIdx([1000, 1000], 0), /announces 1000×1000 = 1000000 bytes, more than the limit of 65536 \(option maxBytes\)/, { maxBytes: 65536 }],
];
for (const [what, bytes, message, options] of cases) {
  test(`parseIdx rejects ${what} with a located message`, () => rejects(bytes, message, options));
}

test('a flipped byte in the compressed data fails the gzip check', () => {
  const file = gz(rawIdx([8, 8], new Uint8Array(64).map((_, i) => i)));
  const bad = Uint8Array.from(file);
  bad[bad.length - 6] ^= 1; // the CRC-32 of the trailer
  rejects(bad, /corrupt gzip stream \(zlib: incorrect data check\)/);
});

test('a header announcing 60000×28×28 over 10 bytes of payload is refused without allocating 47 MB', () => {
  const raw = rawIdx([60000, 28, 28], Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  const spy = spyGunzip();
  try {
    for (const [bytes, message] of [
      [gz(raw), /announces 60000×28×28 = 47040000 bytes but a gzip stream of \d+ bytes holds at most \d+/],
      [raw, /announce 47040000 data bytes but the file holds 10 \(truncated\)/],
    ] as const) {
      const before = process.memoryUsage().arrayBuffers;
      rejects(bytes, message);
      assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, 'less than 1 MiB of typed arrays allocated');
    }
    const asked = Math.max(...spy.calls.map((c) => c.maxOutputLength));
    assert.ok(asked < 100_000, `zlib was asked for at most ${asked} bytes (1032 × the compressed size + 1 KiB)`);
  } finally {
    spy.restore();
  }
});

test('a gzip bomb behind a small header is cut at the announced size', () => {
  const bomb = gz(rawIdx([10, 10], 4_000_000)); // 4 MB of zeros, ≈ 4 KB compressed
  const spy = spyGunzip();
  try {
    rejects(bomb, /the data is longer than the dimensions 10×10 announce/);
    const full = spy.calls.filter((c) => c.inputBytes === bomb.length);
    assert.deepEqual(full.map((c) => c.maxOutputLength), [12 + 100], 'the whole stream is inflated once, capped at header + data');
    const probe = spy.calls.filter((c) => c.inputBytes < bomb.length);
    assert.ok(probe.every((c) => c.maxOutputLength <= 1032 * c.inputBytes + 1024), 'the header probe is capped by the deflate ratio');
  } finally {
    spy.restore();
  }
});

test('option errors name the option', () => {
  assert.throws(() => parseIdx(new Uint8Array(0), 'x', { rank: 0 }), /parseIdx: options.rank must be an integer in 1..255, received 0/);
  assert.throws(() => parseIdx(new Uint8Array(0), 'x', { maxBytes: -1 }), /parseIdx: options.maxBytes must be a positive integer/);
});

test('loadIdx reads gzipped and raw files and reports missing ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idx-'));
  try {
    const array = { dims: [2, 2], data: Uint8Array.of(9, 8, 7, 6) };
    writeFileSync(join(dir, 'a.gz'), encodeIdx(array));
    writeFileSync(join(dir, 'a'), encodeIdx(array, { gzip: false }));
    assert.deepEqual(Array.from(loadIdx(join(dir, 'a.gz')).data), [9, 8, 7, 6]);
    assert.deepEqual(loadIdx(join(dir, 'a')).dims, [2, 2]);
    assert.throws(() => loadIdx(join(dir, 'none.gz')), /none.gz: cannot read data file \(no such file\)/);
    assert.throws(() => loadIdx(dir), /cannot read data file \(is a directory\)/);
    assert.throws(() => loadIdx(join(dir, 'a'), { maxBytes: 10 }), /a: the file has 16 bytes, more than the limit of 10/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
