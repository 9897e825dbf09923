import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aggregate } from './aggregate';
import { DEFAULT_GRID } from './default-grids';
import { parseGrid } from './grid-spec';
import { machineInfo } from './machine-info';
import { writeReport } from './report';
import { syntheticRun } from './synthetic-run';

/** Three solvers × three seeds of made-up runs, one of them diverged, on the problem "logreg-hpo". */
const results = ['soba', 'saba', 'amigo'].flatMap((solver, s) =>
  [0, 1, 2].map((seed) =>
    syntheticRun(
      'logreg-hpo',
      solver,
      seed,
      Array.from({ length: 12 }, (_, k) => [0.01 * 1.5 ** k, 40 * 1.5 ** k, 2 * 10 ** (-(k * (s + 1)) / 4) * (1 + 0.1 * seed)] as const),
      solver === 'amigo' && seed === 2 ? 'diverged' : 'finished',
    ),
  ),
);

test('writeReport: results.json, table.md and one SVG + PNG per problem, one band path per solver and panel', async () => {
  // Arrange
  const dir = join(mkdtempSync(join(tmpdir(), 'bench-report-')), 'out');
  const grid = parseGrid({ ...DEFAULT_GRID, problems: [DEFAULT_GRID.problems[0]] });
  const agg = aggregate(results, { tolerances: { 'logreg-hpo': [1e-2, 1e-4, 1e-6] }, gridPoints: 30 });
  // Act
  const written = await writeReport(dir, { grid, results, aggregate: agg, machine: machineInfo(), wallSeconds: 12.5 });
  // Assert
  assert.deepEqual(written.plotErrors, []);
  assert.deepEqual(readdirSync(dir).sort(), ['logreg-hpo.png', 'logreg-hpo.svg', 'results.csv', 'results.json', 'table.md']);
  const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  assert.equal(json.results.length, 9);
  assert.equal(json.aggregate[0].cells.length, 3);
  for (const key of ['cpu', 'cores', 'totalMemoryGiB', 'node', 'os', 'backend', 'date']) assert.ok(key in json.machine, key);
  assert.equal(json.machine.backend, 'float64 typed-array kernels');

  const md = readFileSync(join(dir, 'table.md'), 'utf8');
  assert.equal(md, written.markdown);
  assert.match(md, /\| solver \| time to ≤ 0\.01 \| time to ≤ 1e-4 \| time to ≤ 1e-6 \| calls to ≤ 0\.01 \|/);
  assert.match(md, /\| amigo \(1 diverged\) \|/);
  assert.equal(md.split('\n').filter((l) => /^\| (soba|saba|amigo)/.test(l)).length, 3);

  const svg = readFileSync(join(dir, 'logreg-hpo.svg'), 'utf8');
  assert.ok(svg.startsWith('<svg'), svg.slice(0, 50));
  const bands = [...svg.matchAll(/<g class="mark-area role-mark[^>]*>(.*?)<\/g>/g)].map((m) => (m[1].match(/<path/g) ?? []).length);
  assert.deepEqual(bands, [1, 1, 1, 1, 1, 1], 'one band per solver in each of the two panels');
  assert.equal((svg.match(/<g class="mark-line role-mark/g) ?? []).length, 6, 'one median line per solver and panel');
  assert.match(svg, /legend titled 'solver' [^"]* with 3 values: soba, saba, amigo/, 'one legend entry per solver');
  assert.match(svg, /solver time \(s\)/);
  assert.match(svg, /oracle calls/);
  const png = readFileSync(join(dir, 'logreg-hpo.png'));
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'PNG signature');
});
