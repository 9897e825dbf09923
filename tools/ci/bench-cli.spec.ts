// `npm run bench -- --help` prints the benchmarks and exits (it used to run the whole grid); an unknown name is
// refused at once. Both before any benchmark module is loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../bench/main.ts', import.meta.url));
/** tsx's loader as this repository has it (the child runs in a scratch folder, where `--import tsx` resolves nothing). */
const TSX = import.meta.resolve('tsx');

/** `npm run bench -- ARGS` in an empty folder (so that a benchmark that ran would leave bench-results/ there). */
function bench(args: readonly string[]) {
  const cwd = mkdtempSync(join(tmpdir(), 'bench-cli-'));
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { ...r, wrote: existsSync(join(cwd, 'bench-results')) };
}

for (const flag of ['--help', '-h']) {
  test(`npm run bench -- ${flag} prints the usage and the benchmarks, runs none`, () => {
    const r = bench([flag]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Usage: npm run bench -- \[name…\]/);
    for (const name of ['grid', 'logreg', 'peer', 'control', 'models']) assert.match(r.stdout, new RegExp(`^  ${name} +\\S`, 'm'));
    assert.equal(r.wrote, false);
  });
}

test('npm run bench -- grid --help prints the help too, whatever comes before it', () => {
  const r = bench(['grid', '--seeds', '1', '--help']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Usage:/);
  assert.equal(r.wrote, false);
});

test('an unknown benchmark is refused with the list, exit 2', () => {
  const r = bench(['nope']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bench: unknown benchmark "nope"; expected one of logreg, .*--help describes them/);
  assert.equal(r.wrote, false);
});
