// What `bilevel sweep` tells its page: every run of the grid as a row (queued, running with its worker, done with
// its curve, or done already in the folder), and at an interruption the runs not finished queued again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { DashboardMessage } from '@bilevel/dashboard';
import type { GridInput } from '../bench/grid-spec';
import { parseGrid } from '../bench/grid-spec';
import { InProcessExecutor } from '../sweep/in-process-executor';
import { sweepCommand } from '../sweep/sweep-command';
import { sweepJobs } from '../sweep/sweep-engine';
import type { SweepDashboardRequest } from './sweep-dashboard';
import { sweepDashboard } from './sweep-dashboard';

/** Two short SABA runs on the bundled breast-cancer task (as sweep-command.spec.ts). */
const GRID: GridInput = {
  name: 'dash',
  solvers: ['saba'],
  seeds: [0, 1],
  problems: [{ name: 'logreg-hpo', batch: 32, maxIter: 50, evalEvery: 10, evaluation: 'exact', metric: 'suboptimality', tolerances: [1] }],
};

const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });

function recorder() {
  const messages: DashboardMessage[] = [];
  const rows = () => {
    const out = new Map<string, Record<string, unknown>>();
    for (const m of messages) if (m.type === 'row') out.set(m.key, m.row as Record<string, unknown>);
    return out;
  };
  const curves = () => new Map(messages.flatMap((m) => (m.type === 'curve' ? [[m.key, m.points] as const] : [])));
  return { messages, sink: (m: DashboardMessage) => void messages.push(m), rows, curves };
}

test('a sweep: every run queued first, then running on its worker, then done with its curve; a second sweep shows them stored', async () => {
  // Arrange
  const dir = mkdtempSync(join(tmpdir(), 'sweep-dash-'));
  const gridFile = join(dir, 'grid.json');
  writeFileSync(gridFile, JSON.stringify(GRID));
  const out = join(dir, 'sweep');
  const r = recorder();
  const seen: string[] = [];
  const request: SweepDashboardRequest = {
    async start(info) {
      const d = sweepDashboard(r.sink, info);
      seen.push([...r.rows().values()].map((x) => x.status).join());
      return { progress: (p) => (d.progress(p), seen.push(`${p.event}:${r.rows().get(p.job.key)?.status}`)), ended: d.ended };
    },
  };

  // Act
  const code = await sweepCommand({ grid: gridFile, out, json: true }, { stdout: quiet(), stderr: quiet(), progress: false, executor: new InProcessExecutor(), dashboard: request });

  // Assert: the order of the statuses, and the rows and curves at the end
  assert.equal(code, 0);
  assert.deepEqual(seen, ['queued,queued', 'start:running', 'result:done', 'start:running', 'result:done']);
  const rows = r.rows();
  assert.equal(rows.size, 2);
  for (const [key, row] of rows) {
    assert.equal(row.status, 'done');
    assert.equal(row.iterations, 50);
    assert.equal(row.metricName, 'suboptimality');
    assert.match(String(row.worker), /^in-process:/);
    const curve = r.curves().get(key);
    assert.ok(curve && curve.length >= 2 && curve.at(-1)?.iter === 50, 'the curve ends at the last iteration');
    assert.equal(curve.at(-1)?.metric, row.metric);
  }

  // a second sweep in the same folder: both runs are complete, shown as done and stored, with their curves
  const again = recorder();
  sweepDashboard(again.sink, { gridFile, grid: parseGrid(GRID), out });
  assert.deepEqual([...again.rows().values()].map((x) => [x.status, x.stored]), [['done', true], ['done', true]]);
  assert.equal(again.curves().size, 2);
});

test('an interrupted sweep: a run taken but not finished is queued again, and the page says the same command resumes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sweep-dash-'));
  const grid = parseGrid(GRID);
  const r = recorder();
  const d = sweepDashboard(r.sink, { gridFile: 'grid.json', grid, out: join(dir, 'sweep') });
  const [first] = sweepJobs(grid);
  d.progress({ event: 'start', job: first, worker: 'pool-1', total: 2, skipped: 0, pending: 2, ran: 0, failed: 0 });
  assert.equal(r.rows().get(first.key)?.status, 'running');
  d.ended(true);
  assert.deepEqual(r.rows().get(first.key), { id: first.spec.id, problem: 'logreg-hpo', solver: 'saba', seed: 0, metricName: 'suboptimality', status: 'queued', error: 'not finished: reruns next time' });
  const state = Object.assign({}, ...r.messages.flatMap((m) => (m.type === 'state' ? [m.patch] : []))) as Record<string, unknown>;
  assert.equal(state.outcome, 'interrupted');
  assert.equal(state.notice, '2 runs not run: the same command resumes the sweep');
});
