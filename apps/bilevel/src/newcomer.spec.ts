// What a new user trips on first (issue 20, item 7): --version, help that states the real defaults, and runs that
// "finish" far from h* without a word (the cheap monitors are on by default, with one warning line at the end).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_CLEANING_DEFAULT_C } from '@bilevel/problems';
import { EXIT } from './exit-codes';
import { cli } from './in-process-cli';
import { FAR_FROM_H_STAR } from './run-monitors';

const tmp = () => mkdtempSync(join(tmpdir(), 'bilevel-newcomer-'));
const WARNING = /^warning: /m;

test('--version prints the package version and exits 0', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const r = await cli(['--version']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.equal(r.stdout.trim(), pkg.version);
});

test("run --help gives --ridge's data-cleaning default as the problem has it", async () => {
  const r = await cli(['run', '--help']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.ok(r.stdout.replace(/\s+/g, ' ').includes(`datacleaning: C of C‖z‖² [${DATA_CLEANING_DEFAULT_C}]`), r.stdout);
});

test('a run that ends far from h* says so in one warning line and the summary; --no-monitor silences it', async () => {
  // SOBA with its default steps after 2,000 iterations: h is still far above h* (relative suboptimality ≈ 1)
  const out = join(tmp(), 'soba');
  const r = await cli(['run', '--solver', 'soba', '--max-iter', '2000', '--eval-every', '1000', '--out', out, '--log-level', 'fatal']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => WARNING.test(l));
  assert.equal(lines.length, 1, r.stdout);
  assert.match(lines[0]!, /the run ended far from h\*: relative suboptimality \d/);
  assert.match(lines[0]!, /--no-monitor/);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.deepEqual(summary.monitors.names, ['finiteness', 'theorem']);
  assert.equal(summary.warning, lines[0]);
  // the findings table stays for runs that name their monitors
  assert.doesNotMatch(r.stdout, /monitor\s+level\s+count\s+latest/);

  const quiet = join(tmp(), 'quiet');
  const q = await cli(['run', '--solver', 'soba', '--max-iter', '2000', '--eval-every', '1000', '--out', quiet, '--log-level', 'fatal', '--no-monitor']);
  assert.equal(q.code, EXIT.ok, q.stderr);
  assert.doesNotMatch(q.stdout, WARNING);
  const quietSummary = JSON.parse(readFileSync(join(quiet, 'summary.json'), 'utf8'));
  assert.equal(quietSummary.monitors, undefined);
  assert.equal(quietSummary.warning, undefined);
});

test('a run that converges ends without a warning line', async () => {
  const out = join(tmp(), 'saba');
  const r = await cli(['run', '--max-iter', '4000', '--eval-every', '2000', '--out', out, '--log-level', 'fatal']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.ok(summary.relativeSuboptimality < FAR_FROM_H_STAR, String(summary.relativeSuboptimality));
  assert.doesNotMatch(r.stdout, WARNING);
});

test('multiclass-hpo reads a plain CSV with a header of column names, the label column named by --label', async () => {
  // Arrange: the bundled wine data rewritten as a spreadsheet would save it: names, the label ("cultivar") first
  const wine = readFileSync(new URL('../../../libs/problems/data/wine_data.csv', import.meta.url), 'utf8').trim().split('\n').slice(1);
  const d = wine[0]!.split(',').length - 1;
  const file = join(tmp(), 'wine-named.csv');
  writeFileSync(file, [['cultivar', ...Array.from({ length: d }, (_, j) => `f${j}`)].join(','), ...wine.map((l) => { const c = l.split(','); return [`c${c.at(-1)}`, ...c.slice(0, -1)].join(','); })].join('\n') + '\n');
  // Act
  const out = join(tmp(), 'run');
  const r = await cli(['run', '--problem', 'multiclass-hpo', '--train', file, '--label', 'cultivar', '--max-iter', '20', '--eval-every', '10', '--reference', 'off', '--out', out, '--json']);
  // Assert
  assert.equal(r.code, EXIT.ok, r.stderr);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.problemInfo.classes, 3);
  assert.equal(summary.problemInfo.features, d);
  const wrong = await cli(['run', '--problem', 'multiclass-hpo', '--train', file, '--label', 'class', '--out', join(tmp(), 'x')]);
  assert.equal(wrong.code, EXIT.badInput);
  assert.match(wrong.stderr, /no column named "class" \(--label\); the header names "cultivar", "f0"/);
});
