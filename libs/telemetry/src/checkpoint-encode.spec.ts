import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeCheckpoint } from './checkpoint-encode';
import { decodeCheckpoint } from './checkpoint-decode';
import { checkpointDifference } from './checkpoint-difference';
import { CHECKPOINT_DIGEST_BYTES, CHECKPOINT_MAGIC, CHECKPOINT_PREFIX_BYTES } from './checkpoint-format';
import type { CheckpointTypedArray, CheckpointValue } from './checkpoint-format';

const KIND = 'bilevel-run';
const CREATED = '2026-11-23T07:00:00.000Z';
/** Round-trip cases over random trees; each case is encoded, decoded and compared to the bit. */
const ROUND_TRIP_RUNS = 400;

/** A typed array, sometimes as a view at an odd offset into a larger buffer (the codec must copy only the view). */
function typedArray(): fc.Arbitrary<CheckpointValue> {
  const arrays: fc.Arbitrary<CheckpointTypedArray>[] = [
    fc.float64Array({ maxLength: 12 }),
    fc.float32Array({ maxLength: 12 }),
    fc.int32Array({ maxLength: 12 }),
    fc.uint32Array({ maxLength: 12 }),
    fc.uint8Array({ maxLength: 12 }),
    fc.int16Array({ maxLength: 6 }),
    fc.uint16Array({ maxLength: 6 }),
    fc.int8Array({ maxLength: 6 }),
    fc.uint8ClampedArray({ maxLength: 6 }),
    fc.bigInt64Array({ maxLength: 4 }),
    fc.bigUint64Array({ maxLength: 4 }),
  ];
  return fc.tuple(fc.oneof(...arrays), fc.nat(3)).map(([a, pad]) => {
    if (pad === 0 || a.length === 0) return a;
    const Ctor = a.constructor as new (n: number) => Float64Array;
    const big = new Ctor(a.length + 2 * pad);
    big.set(a as unknown as Float64Array, pad); // same constructor as a, typed loosely for the compiler
    return big.subarray(pad, pad + a.length) as CheckpointTypedArray;
  });
}

const tree = fc.letrec<{ node: CheckpointValue }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.double(),
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.boolean(),
    fc.constant(null),
    fc.bigInt(),
    fc.constantFrom(-0, NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MAX_VALUE),
    typedArray(),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('node'), { maxKeys: 4 }),
  ),
})).node;

test(`round trip over ${ROUND_TRIP_RUNS} random trees is bit-exact (−0, NaN, ±Infinity, typed arrays, bigints)`, () => {
  fc.assert(
    fc.property(tree, fc.dictionary(fc.string({ maxLength: 5 }), tree, { maxKeys: 3 }), (state, meta) => {
      const bytes = encodeCheckpoint(state, { kind: KIND, createdAt: CREATED, meta });
      const out = decodeCheckpoint(bytes, { kind: KIND });
      assert.equal(checkpointDifference(out.state, state), undefined);
      assert.equal(checkpointDifference(out.meta, meta, 'meta'), undefined);
      assert.equal(out.kind, KIND);
      assert.equal(out.createdAt, CREATED);
      assert.equal(out.version, 1);
    }),
    { seed: 20261123, numRuns: ROUND_TRIP_RUNS },
  );
});

test('layout: magic, version, lengths, 8-aligned sections, SHA-256 trailer', () => {
  const x = new Float64Array([1.5, -0, NaN]);
  const bytes = encodeCheckpoint({ x, it: 3 }, { kind: KIND, createdAt: CREATED });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  assert.deepEqual([...bytes.subarray(0, 8)], [...CHECKPOINT_MAGIC]);
  assert.equal(view.getUint32(8, true), 1);
  assert.equal(view.getBigUint64(16, true), BigInt(bytes.length));
  const headerLength = view.getUint32(12, true);
  const header = JSON.parse(Buffer.from(bytes.subarray(CHECKPOINT_PREFIX_BYTES, CHECKPOINT_PREFIX_BYTES + headerLength)).toString('utf8'));
  assert.deepEqual(header.sections, [{ type: 'Float64Array', offset: 0, byteLength: 24 }]);
  assert.deepEqual(header.state, { o: { x: { t: 0 }, it: 3 } });
  const dataStart = Math.ceil((CHECKPOINT_PREFIX_BYTES + headerLength) / 8) * 8;
  assert.equal(dataStart % 8, 0);
  assert.equal(bytes.length, dataStart + 24 + CHECKPOINT_DIGEST_BYTES);
  assert.deepEqual(new Float64Array(bytes.slice(dataStart, dataStart + 24).buffer), x);
});

test('decoded arrays own fresh memory; object keys like __proto__, o, t, n survive as plain data', () => {
  const x = new Float64Array([1, 2]);
  const state: CheckpointValue = JSON.parse('{"__proto__": {"t": 0}, "o": 1, "n": "NaN", "b": "1"}');
  (state as Record<string, CheckpointValue>).x = x;
  const out = decodeCheckpoint(encodeCheckpoint(state, { kind: KIND, createdAt: CREATED }), { kind: KIND }).state as Record<string, CheckpointValue>;

  assert.equal(checkpointDifference(out, state), undefined);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.ok(Object.hasOwn(out, '__proto__'));
  (out.x as Float64Array)[0] = 99;
  assert.equal(x[0], 1);
});

test('unencodable values are refused with their path, before any output', () => {
  const opts = { kind: KIND, createdAt: CREATED };
  const cyclic: Record<string, CheckpointValue> = { a: 1 };
  cyclic.self = cyclic;
  let deep: CheckpointValue = 1;
  for (let i = 0; i < 300; i++) deep = [deep];

  assert.throws(() => encodeCheckpoint({ a: [1, undefined as never] }, opts), /encodeCheckpoint: state\.a\[1\] is undefined; expected a number, string/);
  assert.throws(() => encodeCheckpoint({ f: (() => 1) as never }, opts), /state\.f is a function/);
  assert.throws(() => encodeCheckpoint({ m: new Map() as never }, opts), /state\.m is a Map; expected a plain object, an array or one of the typed arrays/);
  assert.throws(() => encodeCheckpoint({ d: new Date(0) as never }, opts), /state\.d is a Date/);
  assert.throws(() => encodeCheckpoint({ v: new DataView(new ArrayBuffer(8)) as never }, opts), /state\.v is a DataView/);
  assert.throws(() => encodeCheckpoint(cyclic, opts), /state\.self refers back to one of its ancestors/);
  // eslint-disable-next-line no-sparse-arrays
  assert.throws(() => encodeCheckpoint([1, , 3] as never, opts), /state\[1\] is a hole in a sparse array/);
  assert.throws(() => encodeCheckpoint(deep, opts), /nested 256 levels deep; expected at most 256/);
  assert.throws(() => encodeCheckpoint({ s: Symbol('x') as never }, opts), /state\.s is .*; expected a number, string/);
  assert.throws(() => encodeCheckpoint({ [Symbol('k')]: 1 } as never, opts), /state has symbol keys/);
  assert.throws(() => encodeCheckpoint(10n ** 5000n, opts), /state is a bigint of 5001 digits; expected at most 4096/);
});

test('options are validated up front', () => {
  assert.throws(() => encodeCheckpoint(1, null as never), /encodeCheckpoint: options is null; expected an object/);
  assert.throws(() => encodeCheckpoint(1, { kind: '', createdAt: CREATED }), /options\.kind is ""; expected a non-empty string/);
  assert.throws(() => encodeCheckpoint(1, { kind: KIND } as never), /options\.createdAt is undefined; expected a non-empty timestamp string/);
  assert.throws(() => encodeCheckpoint(1, { kind: KIND, createdAt: CREATED, meta: [] as never }), /options\.meta is an array of 0; expected a plain object/);
  assert.throws(() => encodeCheckpoint(1, { kind: KIND, createdAt: CREATED, meta: { d: new Date() as never } }), /encodeCheckpoint: meta\.d is a Date/);
});
