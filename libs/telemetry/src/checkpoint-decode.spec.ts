import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { encodeCheckpoint } from './checkpoint-encode';
import { decodeCheckpoint } from './checkpoint-decode';
import { CheckpointError } from './checkpoint-error';
import type { CheckpointErrorCode } from './checkpoint-error';
import { checkpointDifference } from './checkpoint-difference';
import { CHECKPOINT_MAGIC } from './checkpoint-format';
import type { CheckpointValue } from './checkpoint-format';

const KIND = 'bilevel-run';
const CREATED = '2026-11-23T07:00:00.000Z';
const SOURCE = 'runs/x/checkpoint.bin';
/** Bytes XOR-ed into each position in the single-byte-flip sweep: lowest bit, highest bit, all bits. */
const FLIP_MASKS = [0x01, 0x80, 0xff];
const RANDOM_RUNS = 3000;
const MUTATION_RUNS = 2000;
const FORGED_HEADER_RUNS = 1000;

/** A small but complete run state: every kind of leaf, a few typed arrays, nested containers. */
function sampleState(): CheckpointValue {
  return {
    iteration: 1200,
    x: new Float64Array([1.25, -0, NaN, Infinity, -3e-300]),
    saga: { table: new Float32Array([0.5, -0, 7]), index: new Int32Array([3, -1, 7]), seen: new Uint8Array([1, 0, 1, 1, 0]) },
    rng: { s: new Uint32Array([0xdeadbeef, 1, 2, 3]), counter: 99n },
    step: { rule: 'armijo', eta: 0.01, lastGood: -0, history: [1, NaN, -Infinity, null, true, 'é'] },
  };
}
const SAMPLE = encodeCheckpoint(sampleState(), { kind: KIND, createdAt: CREATED, meta: { seed: 7, argv: ['run', '--seed', '7'] } });

/** Decodes and returns the CheckpointError it must throw; any other outcome (a result, a TypeError, a crash) fails. */
function refusal(bytes: Uint8Array, opts: { kind?: string; maxBytes?: number } = {}): CheckpointError {
  try {
    decodeCheckpoint(bytes, { kind: KIND, source: SOURCE, ...opts });
  } catch (err) {
    if (!(err instanceof CheckpointError)) throw new Error(`expected a CheckpointError, got ${String(err)}`, { cause: err });
    assert.ok(err.message.startsWith(`decodeCheckpoint: ${SOURCE}: `), err.message);
    assert.equal(err.source, SOURCE);
    return err;
  }
  throw new Error(`decoding ${bytes.length} defective bytes returned a result instead of refusing`);
}

/** A file with the given header text and data region whose length fields and checksum are right: it tests the checks after the checksum. */
function forge(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0), headerLengthOverride?: number): Uint8Array {
  const h = typeof header === 'string' ? Buffer.from(header, 'utf8') : header;
  const dataStart = Math.ceil((24 + h.length) / 8) * 8;
  const total = dataStart + data.length + 32;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(CHECKPOINT_MAGIC, 0);
  view.setUint32(8, 1, true);
  view.setUint32(12, headerLengthOverride ?? h.length, true);
  view.setBigUint64(16, BigInt(total), true);
  out.set(h, 24);
  out.set(data, dataStart);
  out.set(createHash('sha256').update(out.subarray(0, total - 32)).digest(), total - 32);
  return out;
}
function header(fields: Record<string, unknown>): string {
  return JSON.stringify({ kind: KIND, createdAt: CREATED, endian: 'LE', meta: { o: {} }, state: null, sections: [], ...fields });
}

test('the sample decodes bit-exactly and the input buffer may sit at any byte offset', () => {
  const shifted = new Uint8Array(SAMPLE.length + 3);
  shifted.set(SAMPLE, 3);

  const out = decodeCheckpoint(shifted.subarray(3), { kind: KIND });

  assert.equal(checkpointDifference(out.state, sampleState()), undefined);
  assert.deepEqual(out.meta, { seed: 7, argv: ['run', '--seed', '7'] });
});

test(`every single-byte flip (${FLIP_MASKS.length} masks × every position) is refused with a format or checksum error`, (t) => {
  const codes = new Map<CheckpointErrorCode, number>();
  let cases = 0;
  for (let i = 0; i < SAMPLE.length; i++) {
    for (const mask of FLIP_MASKS) {
      const bad = SAMPLE.slice();
      bad[i] ^= mask;
      const { code } = refusal(bad);
      codes.set(code, (codes.get(code) ?? 0) + 1);
      cases++;
      if (i >= 24) assert.equal(code, 'checksum', `flip at ${i} past the prefix must be caught by the checksum`);
    }
  }

  t.diagnostic(`${cases} flips of a ${SAMPLE.length}-byte checkpoint: ${[...codes].map(([c, k]) => `${c} ${k}`).join(', ')}`);
  assert.equal(cases, SAMPLE.length * FLIP_MASKS.length);
  assert.ok((codes.get('bad-magic') ?? 0) === 8 * FLIP_MASKS.length, 'every magic flip names the magic');
  assert.ok((codes.get('bad-version') ?? 0) >= 4 * FLIP_MASKS.length, 'every version flip names the version');
  assert.ok((codes.get('checksum') ?? 0) >= (SAMPLE.length - 24) * FLIP_MASKS.length);
});

test('every truncation length is refused (too short or truncated), as is any trailing garbage', () => {
  for (let n = 0; n < SAMPLE.length; n++) {
    const { code, message } = refusal(SAMPLE.subarray(0, n));
    assert.ok(n < 56 ? code === 'too-short' : code === 'truncated', `length ${n}: ${code}`);
    if (code === 'truncated') assert.match(message, new RegExp(`is ${n} bytes but declares ${SAMPLE.length}; the file is truncated`));
  }
  const longer = new Uint8Array(SAMPLE.length + 1);
  longer.set(SAMPLE);
  assert.match(refusal(longer).message, /expected no trailing bytes/);
});

test(`${RANDOM_RUNS} random byte strings, raw and behind a valid prefix, are refused`, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withPrefix) => {
      if (withPrefix && bytes.length >= 24) {
        bytes.set(CHECKPOINT_MAGIC, 0);
        new DataView(bytes.buffer, bytes.byteOffset).setUint32(8, 1, true);
        new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(16, BigInt(bytes.length), true);
      }
      refusal(bytes);
    }),
    { seed: 8, numRuns: RANDOM_RUNS },
  );
});

test(`${MUTATION_RUNS} random multi-byte mutations, splices and cuts of the sample are refused`, () => {
  const edit = fc.oneof(
    fc.record({ at: fc.nat(SAMPLE.length - 1), byte: fc.integer({ min: 1, max: 255 }), op: fc.constant('xor' as const) }),
    fc.record({ at: fc.nat(SAMPLE.length - 1), byte: fc.integer({ min: 0, max: 255 }), op: fc.constant('insert' as const) }),
    fc.record({ at: fc.nat(SAMPLE.length - 1), byte: fc.constant(0), op: fc.constant('delete' as const) }),
  );
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => {
      const bytes = [...SAMPLE];
      for (const { at, byte, op } of edits) {
        const i = Math.min(at, bytes.length - 1);
        if (op === 'xor') bytes[i] ^= byte;
        else if (op === 'insert') bytes.splice(i, 0, byte);
        else bytes.splice(i, 1);
      }
      const out = Uint8Array.from(bytes);
      if (Buffer.compare(out, SAMPLE) === 0) return; // edits cancelled out (xor twice, insert then delete)
      refusal(out);
    }),
    { seed: 88, numRuns: MUTATION_RUNS },
  );
});

test('checksum-valid but malformed headers are refused with a header or section error', () => {
  const f64 = new Uint8Array(16);
  const cases: [Uint8Array, CheckpointErrorCode, RegExp][] = [
    [forge('{"kind": '), 'header', /header is not UTF-8 JSON/],
    [forge(new Uint8Array([0x7b, 0xff, 0x7d])), 'header', /header is not UTF-8 JSON/],
    [forge('[1,2]'), 'header', /header is an array of 2; expected a JSON object/],
    [forge(header({ kind: 7 })), 'header', /header\.kind is 7; expected a string/],
    [forge(header({ endian: 'BE' })), 'header', /header\.endian is "BE"; expected "LE"/],
    [forge(header({ kind: 'safe-control' })), 'kind', /holds a "safe-control" checkpoint; expected kind "bilevel-run"/],
    [forge(header({ sections: {} })), 'section', /header\.sections is an object; expected an array/],
    [forge(header({ sections: [{ type: 'Float16Array', offset: 0, byteLength: 0 }] })), 'section', /sections\[0\]\.type is "Float16Array"; expected one of Float64Array/],
    [forge(header({ sections: [{ type: 'Float64Array', offset: 4, byteLength: 8 }], state: { t: 0 } }), f64), 'section', /offset is 4; expected a non-negative multiple of 8/],
    [forge(header({ sections: [{ type: 'Float64Array', offset: 0, byteLength: 12 }], state: { t: 0 } }), f64), 'section', /byteLength is 12; expected a non-negative multiple of 8/],
    [forge(header({ sections: [{ type: 'Float64Array', offset: 0, byteLength: 2 ** 40 }], state: { t: 0 } }), f64), 'section', /section 0 spans bytes .*expected it inside/],
    [forge(header({ sections: [{ type: 'Uint8Array', offset: 8, byteLength: 8 }, { type: 'Uint8Array', offset: 0, byteLength: 8 }], state: [{ t: 0 }, { t: 1 }] }), f64), 'section', /section 1 spans .*after the previous section/],
    [forge(header({ sections: [{ type: 'Uint8Array', offset: 0, byteLength: 16 }], state: [{ t: 0 }, { t: 0 }] }), f64), 'section', /refers to section 0 a second time/],
    [forge(header({ sections: [{ type: 'Uint8Array', offset: 0, byteLength: 16 }] }), f64), 'section', /section 0 is not referenced by the tree/],
    [forge(header({ state: { t: 3 } })), 'section', /header\.state\.t is 3; expected a section index below 0/],
    [forge(header({ state: { q: 1 } })), 'header', /header\.state has tag "q"; expected one of o, n, t, b/],
    [forge(header({ state: { o: 1, n: 2 } })), 'header', /expected one tag o, n, t or b/],
    [forge(header({ state: { n: '-1' } })), 'header', /header\.state\.n is "-1"; expected "NaN"/],
    [forge(header({ state: { b: '1'.repeat(5000) } })), 'header', /expected a decimal integer of at most 4096 digits/],
    [forge(header({ state: { b: '1e3' } })), 'header', /header\.state\.b is "1e3"/],
    [forge(header({ meta: [] })), 'header', /header\.meta is an array of 0; expected a plain object/],
    [forge(header({ meta: undefined })), 'header', /header\.meta is undefined; expected a JSON value/],
    [forge(header({ state: undefined })), 'header', /header\.state is undefined; expected a JSON value/],
    [forge(header({}).replace('"state":null', '"state":1e999')), 'header', /header\.state is Infinity as a JSON literal/],
    [forge(header({ state: JSON.parse('['.repeat(300) + ']'.repeat(300)) })), 'header', /nested more than 256 levels deep/],
    [forge(header({}), new Uint8Array(0), 10_000), 'header', /declares a 10000-byte header/],
  ];

  for (const [bytes, code, pattern] of cases) {
    const err = refusal(bytes);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
  }
});

/** Headers whose fields are each either right or random JSON, any of them possibly missing, with tagged nodes mixed in. */
const anyJson = fc.jsonValue({ maxDepth: 2 });
const taggedNode = fc.oneof(
  anyJson,
  fc.record({ t: fc.oneof(fc.nat(3), anyJson) }),
  fc.record({ n: fc.oneof(fc.constantFrom('NaN', '-0', 'Infinity'), anyJson) }),
  fc.record({ b: fc.oneof(fc.bigInt().map(String), anyJson) }),
  fc.record({ o: fc.oneof(fc.dictionary(fc.string({ maxLength: 3 }), anyJson, { maxKeys: 3 }), anyJson) }),
);
const structuredHeader = fc
  .record(
    {
      kind: fc.oneof({ arbitrary: fc.constant(KIND), weight: 6 }, anyJson),
      createdAt: fc.oneof({ arbitrary: fc.constant(CREATED), weight: 6 }, anyJson),
      endian: fc.oneof({ arbitrary: fc.constant('LE'), weight: 6 }, anyJson),
      meta: fc.oneof(fc.constant({ o: {} }), taggedNode),
      state: fc.oneof(taggedNode, fc.array(taggedNode, { maxLength: 4 })),
      sections: fc.oneof(
        anyJson,
        fc.array(fc.record({ type: fc.oneof(fc.constantFrom('Float64Array', 'Uint8Array', 'Int32Array'), anyJson), offset: fc.oneof(fc.constantFrom(0, 8, 16), anyJson), byteLength: fc.oneof(fc.constantFrom(0, 8, 16, 24), anyJson) }, { requiredKeys: [] }), { maxLength: 3 }),
      ),
    },
    { requiredKeys: ['kind', 'createdAt', 'endian'] },
  )
  .map((h) => JSON.stringify(h));

test(`${FORGED_HEADER_RUNS} checksum-valid random JSON headers end in a result or a CheckpointError, never a crash`, (t) => {
  let results = 0;
  fc.assert(
    fc.property(fc.oneof(fc.json({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 3 }).map((state) => header({ state })), structuredHeader), (text) => {
      try {
        decodeCheckpoint(forge(text, new Uint8Array(32)), { kind: KIND, source: SOURCE });
        results++;
      } catch (err) {
        if (!(err instanceof CheckpointError)) throw err;
      }
    }),
    { seed: 888, numRuns: FORGED_HEADER_RUNS },
  );
  t.diagnostic(`${results} of ${FORGED_HEADER_RUNS} decoded, the rest refused with a CheckpointError`);
  assert.ok(results > 0, 'some random states inside a valid header decode');
});

test('kind and size cap are enforced; options are validated', () => {
  assert.match(refusal(SAMPLE, { kind: 'safe-control' }).message, /holds a "bilevel-run" checkpoint; expected kind "safe-control"/);
  const big = refusal(SAMPLE, { maxBytes: SAMPLE.length - 1 });
  assert.equal(big.code, 'too-large');
  assert.match(big.message, new RegExp(`is ${SAMPLE.length} bytes; expected at most maxBytes = ${SAMPLE.length - 1}`));
  assert.doesNotThrow(() => decodeCheckpoint(SAMPLE, { kind: KIND, maxBytes: SAMPLE.length }));

  assert.throws(() => decodeCheckpoint([1, 2] as never, { kind: KIND }), /decodeCheckpoint: bytes is an array of 2; expected a Uint8Array/);
  assert.throws(() => decodeCheckpoint(SAMPLE, { kind: '' }), /options\.kind is ""; expected a non-empty string/);
  assert.throws(() => decodeCheckpoint(SAMPLE, { kind: KIND, maxBytes: 0 }), /options\.maxBytes is 0; expected a positive integer/);
  assert.match(refusal(new Uint8Array(10)).message, /is 10 bytes; expected at least 56/);
});
