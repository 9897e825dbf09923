// h* of multiclass-hpo: its progress is reported, and on large data `--reference auto` leaves it out (opt-in).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_WEIGHT_GRID } from '@bilevel/problems';
import { buildProblem } from './build-problem';
import type { ProblemConfig } from './build-problem';
import { EXIT } from './exit-codes';
import { cli } from './in-process-cli';
import type { ReferenceProgress } from './reference';
import { AUTO_REFERENCE_MAX_SIZE, computeReference, referenceByDefault } from './reference';

const tmp = () => mkdtempSync(join(tmpdir(), 'bilevel-reference-'));
const multiclass = (train?: string) => buildProblem({ problem: 'multiclass-hpo', seed: 0, standardize: 'train', ...(train ? { train } : {}) } as ProblemConfig);

test('computeReference reports every exact hypergradient: L-BFGS from 0, the 41-point grid, L-BFGS from the grid', () => {
  const seen: ReferenceProgress[] = [];
  const r = computeReference(multiclass(), (p) => seen.push(p));
  const phases = [...new Set(seen.map((p) => p.phase))];
  assert.deepEqual(phases, ['lbfgs from 0', 'shared-weight grid', 'lbfgs from the grid']);
  const grid = seen.filter((p) => p.phase === 'shared-weight grid');
  assert.deepEqual(grid.map((p) => p.done), SHARED_WEIGHT_GRID.map((_, i) => i + 1));
  assert.ok(grid.every((p) => p.of === SHARED_WEIGHT_GRID.length));
  assert.ok(seen.some((p) => p.value === r.value), 'h* is one of the values reported');
});

test('--reference auto computes h* on small data, not on data past AUTO_REFERENCE_MAX_SIZE (said why, how to turn it on)', async () => {
  // Arrange: 400 samples of 60 features in 10 classes (headerless: features then the label): n × dim z = 200 × 610
  const dir = tmp();
  const file = join(dir, 'wide.csv');
  const rows: string[] = [];
  for (let i = 0; i < 400; i++) rows.push([...Array.from({ length: 60 }, (_, j) => (Math.sin(i * 7 + j * 3) + (i % 10 === j % 10 ? 1 : 0)).toFixed(4)), String(i % 10)].join(','));
  writeFileSync(file, rows.join('\n') + '\n');
  assert.equal(referenceByDefault(multiclass()).on, true, 'wine');
  const wide = referenceByDefault(multiclass(file));
  assert.equal(wide.on, false);
  assert.match(wide.why!, new RegExp(`> ${AUTO_REFERENCE_MAX_SIZE.toExponential(0).replace('+', '\\+')}`));
  // Act (no monitors: the theorem monitor's L_h estimate, exact hypergradients on this data, was half of the test)
  const out = join(dir, 'run');
  const r = await cli(['run', '--problem', 'multiclass-hpo', '--train', file, '--max-iter', '20', '--eval-every', '10', '--no-monitor', '--out', out, '--json']);
  // Assert
  assert.equal(r.code, EXIT.ok, r.stderr);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.hStar, undefined);
  assert.match(r.stderr, /no reference h\*: h\* on this data .* takes minutes of exact inner solves; --reference on computes it/);
});

test('a run that computes h* logs its progress', async () => {
  const r = await cli(['run', '--problem', 'multiclass-hpo', '--max-iter', '20', '--eval-every', '10', '--out', join(tmp(), 'run'), '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const progress = r.stderr.split('\n').filter((l) => l.includes('"msg":"computing h*:'));
  assert.ok(progress.length >= 2, r.stderr);
  assert.match(progress[0]!, /"phase":"lbfgs from 0"/);
  assert.ok(progress.some((l) => l.includes('"phase":"shared-weight grid"') && l.includes('"of":41') && l.includes('shared-weight grid, 41/41 evaluations')), progress.join('\n'));
});
