// Fuzzing the IDX reader (fast-check): random, truncated, bit-flipped and structurally mutated files, gzipped or raw,
// forged headers and decompression bombs. Every case must end with a consistent array or an InputError, within a
// time bound, and zlib is never asked for more than a gzip stream of that length can hold.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { encodeIdx } from './encode-idx';
import type { IdxArray } from './idx-gz';
import { parseIdx } from './idx-gz';
import { DEFLATE_MAX_RATIO } from './gunzip-bounded';
import { applyByteMutations, byteMutations, interestingUint32 } from './byte-mutations';
import type { FuzzTally } from './fuzz-outcome';
import { emptyTally, formatTally, fuzzOutcome } from './fuzz-outcome';
import { spyGunzip } from './gunzip-spy';

/** Per-case wall-time bound: the cases take well under 20 ms; a hang or a super-linear path would not. */
const CASE_MS = 1000;
/** Cases per input kind (the report quotes these). */
const RUNS = { random: 400, gzipMagic: 300, mutatedRaw: 400, mutatedGz: 300, gzOfMutated: 300, forgedHeader: 400, bomb: 40 };
const SOURCE = 'fuzz.idx';
const tallies = new Map<string, FuzzTally>();
const spy = spyGunzip();
after(() => {
  spy.restore();
  for (const [kind, t] of tallies) console.log(`fuzz idx ${formatTally(kind, t)}`);
});

/** Typed arrays a case may allocate: the inflated file at most (deflate ratio) plus zlib chunks. */
const allocationBound = (input: Uint8Array): number => 2 * DEFLATE_MAX_RATIO * input.length + (1 << 20);

function fuzzCase(kind: string, bytes: Uint8Array, rank?: number): void {
  const tally = tallies.get(kind) ?? emptyTally();
  tallies.set(kind, tally);
  spy.calls.length = 0;
  fuzzOutcome(
    tally,
    SOURCE,
    { maxMs: CASE_MS, maxArrayBufferBytes: allocationBound(bytes) },
    () => parseIdx(bytes, SOURCE, rank === undefined ? {} : { rank }),
    (array: IdxArray) => {
      assert.equal(array.data.length, array.dims.reduce((a, b) => a * b, 1), 'data length = product of dims');
      if (rank !== undefined) assert.equal(array.dims.length, rank);
      assert.ok(array.data.length <= DEFLATE_MAX_RATIO * bytes.length, 'no more data than the file can hold');
    },
  );
  for (const call of spy.calls) {
    assert.ok(call.maxOutputLength <= DEFLATE_MAX_RATIO * bytes.length + 1024, `zlib asked for ${call.maxOutputLength} bytes from a ${bytes.length}-byte file`);
  }
}

const rank = fc.option(fc.constantFrom(1, 2, 3), { nil: undefined });
const validIdx = fc
  .array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 })
  .chain((dims) => {
    const n = dims.reduce((a, b) => a * b, 1);
    return fc.record({ dims: fc.constant(dims), data: fc.uint8Array({ minLength: n, maxLength: n }) });
  });

test('random bytes', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), rank, (b, r) => fuzzCase('random bytes', b, r)), { numRuns: RUNS.random });
});

test('random bytes behind the gzip magic', () => {
  const magic = fc.constantFrom(Uint8Array.of(0x1f, 0x8b), Uint8Array.of(0x1f, 0x8b, 8), Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3));
  fc.assert(
    fc.property(magic, fc.uint8Array({ maxLength: 256 }), rank, (m, tail, r) => fuzzCase('random bytes behind the gzip magic', new Uint8Array([...m, ...tail]), r)),
    { numRuns: RUNS.gzipMagic },
  );
});

test('valid raw IDX files, truncated, bit-flipped, spliced, with forged uint32 fields', () => {
  fc.assert(
    fc.property(validIdx, byteMutations, rank, (array, muts, r) => fuzzCase('mutated raw IDX', applyByteMutations(encodeIdx(array, { gzip: false }), muts), r)),
    { numRuns: RUNS.mutatedRaw },
  );
});

test('valid gzipped IDX files, mutated in their compressed bytes', () => {
  fc.assert(
    fc.property(validIdx, byteMutations, rank, (array, muts, r) => fuzzCase('mutated gzip bytes', applyByteMutations(encodeIdx(array), muts), r)),
    { numRuns: RUNS.mutatedGz },
  );
});

test('valid gzip streams of mutated IDX files (hostile content behind a correct CRC)', () => {
  fc.assert(
    fc.property(validIdx, byteMutations, rank, (array, muts, r) => {
      fuzzCase('gzip of mutated IDX', new Uint8Array(gzipSync(applyByteMutations(encodeIdx(array, { gzip: false }), muts))), r);
    }),
    { numRuns: RUNS.gzOfMutated },
  );
});

test('forged headers: any magic, rank and uint32 dims (60000×28×28, 2³²−1…) over a short payload', () => {
  const header = fc.record({
    magic: fc.oneof(fc.constantFrom(0x801, 0x803, 0x802, 0x804, 0x8ff, 0xd03, 0x800), interestingUint32),
    dims: fc.array(fc.oneof(interestingUint32, fc.constantFrom(60000, 28, 10000)), { minLength: 0, maxLength: 6 }),
    payload: fc.uint8Array({ maxLength: 64 }),
    gzip: fc.boolean(),
  });
  fc.assert(
    fc.property(header, rank, ({ magic, dims, payload, gzip }, r) => {
      const raw = new Uint8Array(4 + 4 * dims.length + payload.length);
      const view = new DataView(raw.buffer);
      view.setUint32(0, magic >>> 0);
      dims.forEach((d, k) => view.setUint32(4 + 4 * k, d >>> 0));
      raw.set(payload, 4 + 4 * dims.length);
      fuzzCase('forged headers', gzip ? new Uint8Array(gzipSync(raw)) : raw, r);
    }),
    { numRuns: RUNS.forgedHeader },
  );
});

test('decompression bombs: megabytes of zeros behind headers announcing other sizes', () => {
  const bomb = fc.record({
    dims: fc.array(fc.oneof(fc.integer({ min: 1, max: 2000 }), fc.constant(60000)), { minLength: 1, maxLength: 3 }),
    zeros: fc.integer({ min: 0, max: 3_000_000 }),
  });
  fc.assert(
    fc.property(bomb, ({ dims, zeros }) => {
      const raw = new Uint8Array(4 + 4 * dims.length + zeros);
      const view = new DataView(raw.buffer);
      view.setUint32(0, 0x800 + dims.length);
      dims.forEach((d, k) => view.setUint32(4 + 4 * k, d));
      const announced = 4 + 4 * dims.length + dims.reduce((a, b) => a * b, 1);
      const bytes = new Uint8Array(gzipSync(raw));
      fuzzCase('decompression bombs', bytes);
      const full = spy.calls.filter((c) => c.inputBytes === bytes.length && c.maxOutputLength !== DEFLATE_MAX_RATIO * bytes.length + 1024);
      for (const call of full) assert.ok(call.maxOutputLength <= announced, 'the full inflation is capped at the announced size');
    }),
    { numRuns: RUNS.bomb },
  );
});
