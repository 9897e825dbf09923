import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { InputError } from '@bilevel/io';
import type { GridInput } from '../bench/grid-spec';
import { parseGrid } from '../bench/grid-spec';
import { InProcessExecutor } from './in-process-executor';
import { defaultSweepDir, readGridFile, sweepCommand } from './sweep-command';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

const tmp = () => mkdtempSync(join(tmpdir(), 'sweep-cmd-'));

/** Two short SABA runs on the bundled breast-cancer task (about 0.1 s each, h* by L-BFGS in 0.3 s). */
const GRID: GridInput = {
  name: 'cmd',
  solvers: ['saba'],
  seeds: [0, 1],
  problems: [{ name: 'logreg-hpo', batch: 32, maxIter: 50, evalEvery: 10, evaluation: 'exact', metric: 'suboptimality', tolerances: [1] }],
};

function file(content: string, name = 'grid.json'): string {
  const path = join(tmp(), name);
  writeFileSync(path, content);
  return path;
}

/** A grid read from a file fails with one InputError naming the file and listing `where` (each with its path). */
function assertGridIssues(grid: unknown, issues: number, where: readonly string[]) {
  const path = file(JSON.stringify(grid));
  assert.throws(
    () => readGridFile(path),
    (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.ok(e.message.startsWith(`${path}: the grid is invalid (${issues} problems):`), e.message);
      for (const w of where) assert.ok(e.message.includes(`\n  ${w}`), `${w} in\n${e.message}`);
      return true;
    },
  );
}

test('readGridFile: every problem of a malformed grid in one InputError, each with its path', () => {
  // the shape first (zod reports every field at once) …
  const shape = { name: 'x', solvers: ['saba'], seeds: [0, 'one'], problems: [{ name: 'quadratic', batch: -1, evaluation: 'exact', metric: 'suboptimality', tolerances: [] }] };
  assertGridIssues(shape, 4, ['seeds.1:', 'problems.0.batch:', 'problems.0.evalEvery:', 'problems.0.tolerances:']);
  // … then the rules across fields, all at once too
  const rules = { name: 'x', solvers: ['saba', 'nope'], seeds: [0, 0], problems: [{ name: 'quadratic', batch: 8, evalEvery: 1, evaluation: 'exact', metric: 'suboptimality', tolerances: [1] }] };
  assertGridIssues(rules, 3, ['seeds: seeds must be distinct', 'solvers.1: unknown solver "nope"', 'problems.0.maxSeconds: a budget is needed']);
});

test('readGridFile: JSON syntax with line and column, a missing file, a folder', () => {
  const path = file('{\n  "name": "x",\n  "seeds": [0,]\n}');
  assert.throws(() => readGridFile(path), (e: unknown) => e instanceof InputError && e.message.startsWith(`${path}: not valid JSON at line 3, column 15`));
  const truncated = file('{"name": "x", "seeds": [0');
  assert.throws(() => readGridFile(truncated), (e: unknown) => e instanceof InputError && e.message.startsWith(`${truncated}: not valid JSON at line 1, column 26 (`), 'just after the end');
  assert.throws(() => readGridFile(join(tmp(), 'none.json')), (e: unknown) => e instanceof InputError && /none.json: cannot read the grid file \(no such file\)/.test(e.message));
  assert.throws(() => readGridFile(tmp()), /cannot read the grid file \(a folder\)/);
});

test('defaultSweepDir: the same grid in any key order or layout → the same folder; another grid → another', () => {
  const a = defaultSweepDir('grids/my-grid.json', parseGrid(GRID));
  assert.match(a, /^sweep-results[/\\]my-grid-[0-9a-f]{8}$/);
  const reordered = JSON.parse(JSON.stringify({ problems: GRID.problems, seeds: GRID.seeds, solvers: GRID.solvers, name: GRID.name }));
  assert.equal(defaultSweepDir('other/my-grid.json', parseGrid(reordered)), a);
  assert.notEqual(defaultSweepDir('grids/my-grid.json', parseGrid({ ...GRID, seeds: [0, 2] })), a);
});

test('sweep command: bad --workers and a foreign folder are InputErrors; nothing is written', async () => {
  const io = { stdout: new Capture(), stderr: new Capture(), progress: false };
  const grid = file(JSON.stringify(GRID));
  await assert.rejects(sweepCommand({ grid, workers: 0 }, io), (e: unknown) => e instanceof InputError && /--workers: received 0, expected an integer from 1 to 256/.test(e.message));
  const out = tmp();
  writeFileSync(join(out, 'keep.txt'), 'x');
  await assert.rejects(sweepCommand({ grid, out }, { ...io, executor: new InProcessExecutor() }), (e: unknown) => e instanceof InputError && /--out .*holds no earlier sweep/.test(e.message));
  assert.deepEqual(readdirSync(out), ['keep.txt']);
});

test('sweep command end to end (in process): the table and the counts line, then a resumed run with --json, then another grid in the same folder', async () => {
  const grid = file(JSON.stringify(GRID));
  const out = join(tmp(), 'out');
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await sweepCommand({ grid, out }, { stdout, stderr, progress: false, executor: new InProcessExecutor() });
  assert.equal(code, 0, stderr.text);
  assert.match(stdout.text, /## Benchmark grid "cmd"/);
  assert.match(stdout.text, /2 runs: 0 skipped \(complete\), 2 ran, 0 failed; wrote .*out\/\{results.json,results.csv,logreg-hpo.svg,logreg-hpo.png,table.md\}\n$/);

  const again = new Capture();
  assert.equal(await sweepCommand({ grid, out, json: true }, { stdout: again, stderr, progress: false, executor: new InProcessExecutor() }), 0);
  const last = JSON.parse(again.text.trim().split('\n').at(-1)!);
  assert.deepEqual([last.total, last.skipped, last.ran, last.failed], [2, 2, 0, 0]);
  assert.equal(last.aggregate[0].cells[0].runs, 2);
  assert.ok(existsSync(join(out, 'grid.json')));

  // another grid into the same folder: the run it shares (seed 1) is reused, the report covers this grid only
  const other = file(JSON.stringify({ ...GRID, seeds: [1, 2] }));
  const third = new Capture();
  assert.equal(await sweepCommand({ grid: other, out, json: true }, { stdout: third, stderr, progress: false, executor: new InProcessExecutor() }), 0);
  const summary = JSON.parse(third.text.trim().split('\n').at(-1)!);
  assert.deepEqual([summary.total, summary.skipped, summary.ran], [2, 1, 1]);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { results: { id: string }[] };
  assert.deepEqual(results.results.map((r) => r.id), ['logreg-hpo/saba/seed1', 'logreg-hpo/saba/seed2']);
  assert.equal(readdirSync(join(out, 'runs')).length, 3, 'seed 0 of the first grid stays stored');
});
