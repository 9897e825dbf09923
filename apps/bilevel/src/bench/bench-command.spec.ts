import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { InputError } from '@bilevel/io';
import { benchCommand, selectGrid } from './bench-command';
import { expandGrid } from './expand-grid';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

const tmp = () => mkdtempSync(join(tmpdir(), 'bench-cmd-'));

test('selectGrid: seeds, problems and solvers narrow the grid; unknown names are one InputError', () => {
  const runs = expandGrid(selectGrid({ seeds: 2, problems: ['datacleaning'], solvers: ['saba', 'amigo'] }));
  assert.deepEqual(runs.map((r) => r.id), ['datacleaning/saba/seed0', 'datacleaning/amigo/seed0', 'datacleaning/saba/seed1', 'datacleaning/amigo/seed1']);
  assert.equal(expandGrid(selectGrid({ full: true, solvers: ['shine'] })).every((r) => r.problem.name !== 'datacleaning'), true, 'rows without the solver are dropped');
  assert.throws(() => selectGrid({ problems: ['nope'] }), (e: unknown) => e instanceof InputError && /--problems: unknown problem "nope"; the default grid has logreg-hpo, datacleaning/.test(e.message));
  assert.throws(() => selectGrid({ solvers: ['saba', 'shine'] }), (e: unknown) => e instanceof InputError && /--solvers: unknown solver "shine"/.test(e.message));
  assert.throws(() => selectGrid({ seeds: 0 }), (e: unknown) => e instanceof InputError && /--seeds: received 0/.test(e.message));
});

test('bench refuses a non-empty output folder before running anything', async () => {
  const out = tmp();
  writeFileSync(join(out, 'keep.txt'), 'x');
  await assert.rejects(benchCommand({ seeds: 1, solvers: ['saba'], problems: ['logreg-hpo'], out }, { stdout: new Capture(), stderr: new Capture(), progress: false }), InputError);
  assert.deepEqual(readdirSync(out), ['keep.txt']);
});

test('bench end to end on one run: the table, the files, and --json as the last line', async () => {
  const out = join(tmp(), 'grid');
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await benchCommand({ seeds: 1, solvers: ['saba'], problems: ['logreg-hpo'], out, json: true }, { stdout, stderr, progress: false });
  assert.equal(code, 0, stderr.text);
  const last = JSON.parse(stdout.text.trim().split('\n').at(-1)!);
  assert.equal(last.runs, 1);
  assert.equal(last.failed, 0);
  assert.deepEqual([...last.files].sort(), ['logreg-hpo.png', 'logreg-hpo.svg', 'results.csv', 'results.json', 'table.md']);
  const cell = last.aggregate[0].cells[0];
  assert.equal(cell.solver, 'saba');
  // 2 s of SABA reach 1e-2 on this task (README: 1e-6 relative suboptimality within seconds)
  assert.equal(cell.crossings[0].reached, 1);
  for (const f of last.files) assert.ok(existsSync(join(out, f)), f);
});
