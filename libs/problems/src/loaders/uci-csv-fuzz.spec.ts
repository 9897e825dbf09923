// Fuzzing the UCI header-CSV reader of ../uci-csv.ts (fast-check): random text, and valid files whose data lines are
// truncated, deleted, duplicated, swapped, edited and given hostile tokens. Every case must end with a consistent
// data set or an InputError, within a time bound, allocating typed arrays in proportion to the text only.
//
// The header line is fuzzed too. It found four defects of uci-csv.ts (a RangeError instead of an InputError, a matrix
// allocated from the header before the lines were checked, label overflow, and a heap-exhausting class list), now
// fixed and pinned as regression tests below.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { Dataset } from '../dataset';
import { bundledDataPath } from '../bundled';
import { parseUciCsv } from '../uci-csv';
import type { FuzzTally } from './fuzz-outcome';
import { emptyTally, formatTally, fuzzOutcome } from './fuzz-outcome';
import { applyTextMutations, hostileToken, textMutations } from './text-mutations';

const CASE_MS = 1000;
const RUNS = { random: 300, mutated: 600, headers: 600 };
const SOURCE = 'fuzz.csv';
const tallies = new Map<string, FuzzTally>();
after(() => {
  for (const [kind, t] of tallies) console.log(`fuzz uci-csv ${formatTally(kind, t)}`);
});

/** Typed arrays a case may allocate: a value takes at least two characters ("0,"), so n·d·8 ≤ 4 × the text. */
const allocationBound = (text: string): number => 16 * text.length + (1 << 20);

function checkDataset(data: Dataset): void {
  const { rows, cols, data: x } = data.features;
  assert.ok(rows >= 1 && cols >= 1, `a ${rows} × ${cols} matrix`);
  assert.equal(x.length, rows * cols);
  assert.ok(x.every(Number.isFinite), 'finite features');
  assert.ok(data.classNames.length >= 2, `${data.classNames.length} class name(s)`);
  assert.equal(data.labels.length, rows);
  assert.ok(data.labels.every((l) => l >= 0 && l < data.classNames.length), 'every label indexes a class name');
}

function fuzzCase(kind: string | undefined, text: string): void {
  const tally = (kind && tallies.get(kind)) || emptyTally();
  if (kind) tallies.set(kind, tally);
  fuzzOutcome(tally, SOURCE, { maxMs: CASE_MS, maxArrayBufferBytes: allocationBound(text) }, () => parseUciCsv(text, SOURCE), checkDataset);
}

/** The first 12 rows of the bundled breast cancer file, under a header announcing 12. */
const breastCancerHead = (() => {
  const lines = readFileSync(bundledDataPath('breast_cancer.csv'), 'utf8').split('\n');
  return [lines[0].replace(/^569,/, '12,'), ...lines.slice(1, 13)].join('\n') + '\n';
})();

/** Small valid files with named classes: n rows, d features, K classes, LF or CRLF. */
const validText = fc
  .record({ n: fc.integer({ min: 1, max: 8 }), d: fc.integer({ min: 1, max: 5 }), k: fc.integer({ min: 2, max: 3 }), crlf: fc.boolean() })
  .chain(({ n, d, k, crlf }) =>
    fc.record({
      rows: fc.array(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: d, maxLength: d }), { minLength: n, maxLength: n }),
      labels: fc.array(fc.integer({ min: 0, max: k - 1 }), { minLength: n, maxLength: n }),
    }).map(({ rows, labels }) => {
      const header = [n, d, ...['a', 'b', 'c'].slice(0, k)].join(',');
      return [header, ...rows.map((r, i) => [...r.map(String), labels[i]].join(','))].join(crlf ? '\r\n' : '\n');
    }),
  );
const fixture = fc.oneof(fc.constant(breastCancerHead), validText);

test('random text', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (t) => fuzzCase('random text', t)), { numRuns: RUNS.random });
});

test('valid files with truncated, deleted, duplicated, swapped and edited data lines and hostile tokens', () => {
  fc.assert(
    fc.property(fixture, textMutations, (text, muts) => fuzzCase('mutated data lines', applyTextMutations(text, muts, 1))),
    { numRuns: RUNS.mutated },
  );
});

test(
  'header lines with hostile tokens (n_samples, n_features, class names) and random CSV-alphabet text',
  () => {
    const csvText = fc.array(fc.constantFrom(...'0123456789,.-e\n'.split('')), { maxLength: 80 }).map((c) => c.join(''));
    fc.assert(
      fc.property(fixture, textMutations, csvText, fc.boolean(), (text, muts, random, useRandom) => {
        fuzzCase('mutated headers', useRandom ? random : applyTextMutations(text, muts, 0));
      }),
      { numRuns: RUNS.headers },
    );
    fc.assert(fc.property(validText, hostileToken, fc.nat(3), (text, token, field) => {
      const lines = text.split('\n');
      const header = lines[0].split(',');
      header[Math.min(field, header.length - 1)] = token;
      lines[0] = header.join(',');
      fuzzCase('hostile header fields', lines.join('\n'));
    }), { numRuns: RUNS.headers });
  },
);

// Defects of uci-csv.ts found by the header fuzzing above, fixed; regression tests.

test('n_features = 1e300 in the header is an InputError (was: RangeError "Invalid typed array length")', () => {
  fuzzCase(undefined, '1,1e300,a,b\n1,0\n');
});

test('n_features = 20,000,000 is refused before a 160 MB matrix is allocated (was: allocated first)', () => {
  fuzzCase(undefined, '1,20000000,a,b\n1,0\n');
});

test('without class names, label 3000000000 is an InputError (was: wrapped to −1294967296 in the Int32Array)', () => {
  fuzzCase(undefined, '2,1\n1,0\n2,3000000000\n');
});

test('without class names, 200,000 distinct labels end in a result or an InputError (was: Math.max(...labels) overflowed the stack)', () => {
  const n = 200_000;
  const lines = [`${n},1`];
  for (let i = 0; i < n; i++) lines.push(`0,${i}`);
  const text = lines.join('\n');
  fuzzOutcome(emptyTally(), SOURCE, { maxMs: 20 * CASE_MS, maxArrayBufferBytes: allocationBound(text) }, () => parseUciCsv(text, SOURCE), checkDataset);
});

test('without class names, label 500000000 is an InputError (was: 500 million class names, heap exhausted)', () => {
  fuzzCase(undefined, '2,1\n1,0\n2,500000000\n');
});
