// Fuzzing the LIBSVM reader (fast-check): random text, text over the format's own alphabet, valid files with
// truncated, deleted, duplicated, swapped and inserted lines and hostile tokens, and huge indices. Every case must
// end with a consistent data set or an InputError, within a time bound, its dense matrix within maxEntries.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Dataset } from '../dataset';
import { parseLibsvm } from './libsvm';
import { formatLibsvm } from './format-libsvm';
import type { FuzzTally } from './fuzz-outcome';
import { emptyTally, formatTally, fuzzOutcome } from './fuzz-outcome';
import { applyTextMutations, hostileToken, textMutations } from './text-mutations';

const CASE_MS = 1000;
/** Dense entries allowed in these cases (the default cap, the memory budget, is exercised by the targeted tests in libsvm.spec.ts). */
const MAX_ENTRIES = 1 << 16;
const RUNS = { random: 300, alphabet: 500, mutated: 500, hugeIndex: 200 };
const SOURCE = 'fuzz.svm';
const tallies = new Map<string, FuzzTally>();
after(() => {
  for (const [kind, t] of tallies) console.log(`fuzz libsvm ${formatTally(kind, t)}`);
});

function fuzzCase(kind: string, text: string, features?: number): void {
  const tally = tallies.get(kind) ?? emptyTally();
  tallies.set(kind, tally);
  fuzzOutcome(
    tally,
    SOURCE,
    // the dense matrix, labels and one JS number per sparse entry
    { maxMs: CASE_MS, maxArrayBufferBytes: 8 * MAX_ENTRIES + 16 * text.length + (1 << 20) },
    () => parseLibsvm(text, SOURCE, { maxEntries: MAX_ENTRIES, ...(features ? { features } : {}) }),
    (data: Dataset) => {
      const { rows, cols, data: x } = data.features;
      assert.ok(rows >= 1 && cols >= 1 && rows * cols <= MAX_ENTRIES, `a ${rows} × ${cols} matrix within maxEntries`);
      assert.equal(x.length, rows * cols);
      if (features) assert.equal(cols, features);
      assert.ok(x.every(Number.isFinite), 'finite features');
      assert.equal(data.labels.length, rows);
      assert.ok(data.classNames.length >= 2, `${data.classNames.length} class name(s)`);
      assert.ok(data.labels.every((l) => l >= 0 && l < data.classNames.length), 'every label indexes a class name');
    },
  );
}

const features = fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined });
const alphabet = fc.constantFrom(...'0123456789 :.-+eE\n\t#NaIfy'.split(''), '\r\n', '1:', ' 2:', '-1 ', '+1 ');

/** Valid LIBSVM texts: a few rows, a few features, 2 to 4 numeric classes. */
const validText = fc
  .record({ n: fc.integer({ min: 1, max: 10 }), d: fc.integer({ min: 1, max: 8 }) })
  .chain(({ n, d }) =>
    fc.record({
      values: fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.double({ noNaN: true, noDefaultInfinity: true })), { minLength: n * d, maxLength: n * d }),
      labels: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
    }).map(({ values, labels }) =>
      formatLibsvm({
        features: { rows: n, cols: d, data: Float64Array.from(values) },
        labels: Int32Array.from(labels),
        classNames: ['-1', '+1', '2', '7'],
        source: 'generated',
      }),
    ),
  );

test('random text', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), features, (t, f) => fuzzCase('random text', t, f)), { numRuns: RUNS.random });
});

test('random text over the LIBSVM alphabet', () => {
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 120 }), features, (chars, f) => fuzzCase('LIBSVM-alphabet text', chars.join(''), f)),
    { numRuns: RUNS.alphabet },
  );
});

test('valid files with truncation, line edits and hostile tokens', () => {
  fc.assert(
    fc.property(validText, textMutations, features, (text, muts, f) => fuzzCase('mutated valid files', applyTextMutations(text, muts), f)),
    { numRuns: RUNS.mutated },
  );
});

test('huge and malformed indices in valid files', () => {
  const index = fc.oneof(
    fc.constantFrom('65537', '67108865', '2147483648', '4294967296', '9007199254740993', '1' + '0'.repeat(40), '0', '-1', '1e3', ''),
    fc.bigInt({ min: 1n, max: 10n ** 30n }).map(String),
    hostileToken,
  );
  fc.assert(
    fc.property(validText, index, hostileToken, fc.nat(), (text, idx, value, where) => {
      const lines = text.split('\n');
      const i = where % lines.length;
      lines[i] = `${lines[i]} ${idx}:${value}`;
      fuzzCase('huge and malformed indices', lines.join('\n'));
    }),
    { numRuns: RUNS.hugeIndex },
  );
});
