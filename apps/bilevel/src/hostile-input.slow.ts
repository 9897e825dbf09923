// The full-size decompression bombs of issue 16 (item 2) through the whole program, in a watched child process
// (child-cli.ts): the audit's 0.4 MB gzipped CSV of 260 MB of text, which reached 5.2 GB before its error, and one
// past the 256 MiB text cap. Slow: each bomb is written (streamed) and inflated whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from './exit-codes';
import type { ChildRun } from './child-cli';
import { childCli } from './child-cli';
import { gzipCsv } from './gzip-csv';

const dir = mkdtempSync(join(tmpdir(), 'bilevel-bomb-'));
const MiB = 2 ** 20;

/** Exactly one line on stderr, the error, matching `pattern`; exit 2. */
function refusedInOneLine(r: ChildRun, pattern: RegExp, what: string): void {
  assert.equal(r.code, EXIT.badInput, `${what}: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0], pattern, what);
}

test('gzip bombs: one within the 256 MiB text cap is refused by the memory budget before its matrix is allocated, one beyond it by the cap', async () => {
  // 130,000 × 1,000: 0.4 MB of gzip, 260 MB of text, 1 GB of float64 (and three more copies for the problem)
  const within = join(dir, 'bomb.csv.gz');
  await gzipCsv(within, '130000,1000,a,b', 130_000, 1000);
  const beyond = join(dir, 'bigger.csv.gz');
  await gzipCsv(beyond, '150000,1000,a,b', 150_000, 1000);
  const a = await childCli([['run', '--train', within, '--out', join(dir, 'out-bomb')]]);
  assert.equal(a.killed, undefined, a.stderr);
  refusedInOneLine(
    a.runs[0],
    /^bilevel: error: .*bomb\.csv\.gz: needs dense features 130000 × 1000 × 8 bytes and labels = 992 MiB \+ .* more than the memory budget of 2 GiB; raise it with --memory-budget/,
    'bomb within the cap',
  );
  assert.ok(a.maxRssBytes < 1.5 * 2 ** 30, `peak ${a.maxRssBytes / MiB} MiB`);
  const b = await childCli([['run', '--train', beyond, '--out', join(dir, 'out-bomb2')]]);
  assert.equal(b.killed, undefined, b.stderr);
  refusedInOneLine(b.runs[0], /^bilevel: error: .*bigger\.csv\.gz: the gunzipped text is longer than 268435456 bytes \(option maxBytes\)$/, 'bomb beyond the cap');
  assert.ok(b.maxRssBytes < 1.5 * 2 ** 30, `peak ${b.maxRssBytes / MiB} MiB`);
  console.log(`gzip bombs: within the cap refused in ${a.runs[0].ms.toFixed(0)} ms, peak ${(a.maxRssBytes / MiB).toFixed(0)} MiB; beyond it in ${b.runs[0].ms.toFixed(0)} ms, peak ${(b.maxRssBytes / MiB).toFixed(0)} MiB`);
});

