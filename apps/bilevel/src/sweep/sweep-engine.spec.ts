import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@bilevel/io';
import type { RunResult } from '../bench/execute-run';
import { executeRun } from '../bench/execute-run';
import { expandGrid } from '../bench/expand-grid';
import type { GridInput } from '../bench/grid-spec';
import { GridSpecError } from '../bench/grid-spec';
import { ProblemCache } from '../bench/problem-cache';
import { ProcessPool } from './process-pool';
import { runKey } from './run-key';
import { RunStore } from './run-store';
import type { SweepProgress } from './sweep-engine';
import { runSweep } from './sweep-engine';

/** 2 solvers × 4 seeds of the benchmark's quadratic, 100 outer steps each (about 0.2 s a run). */
const GRID: GridInput = {
  name: 'tiny',
  solvers: ['saba', 'soba'],
  seeds: [0, 1, 2, 3],
  problems: [{ name: 'quadratic', batch: 64, maxIter: 100, evalEvery: 20, evalGrowth: 1, evaluation: 'exact', metric: 'suboptimality', tolerances: [1e-1] }],
};
const RUNS = 8;

const tmp = () => mkdtempSync(join(tmpdir(), 'sweep-engine-'));
/** One pool for the whole file: its children keep their problem cache between sweeps, as they would in a CLI run. */
const pool = new ProcessPool({ workers: 2 });
after(() => pool.close());

/** What must not depend on where a run executed: everything but timings. */
function numbers(r: RunResult) {
  return {
    id: r.id,
    status: r.status,
    stopReason: r.stopReason,
    hStar: r.hStar,
    iterations: r.iterations,
    oracleCalls: r.oracleCalls,
    points: r.points.map((p) => [p.iteration, p.oracleCalls, p.samples, p.value, p.metric]),
  };
}

const out = join(tmp(), 'sweep');

test('8 runs through a pool of 2 processes: stored results equal executeRun in this process, report written', async () => {
  // Arrange
  const events: SweepProgress[] = [];
  // Act
  const outcome = await runSweep(GRID, { out, executor: pool, onProgress: (p) => events.push(p) });
  // Assert
  assert.deepEqual({ total: outcome.total, skipped: outcome.skipped, ran: outcome.ran, failed: outcome.failed, notRun: outcome.notRun }, { total: RUNS, skipped: 0, ran: RUNS, failed: 0, notRun: 0 });
  assert.deepEqual(new Set(events.filter((e) => e.event === 'start').map((e) => e.worker)), new Set(['pool-1', 'pool-2']), 'both children worked');
  assert.deepEqual(events.filter((e) => e.event === 'result').map((e) => e.ran), [1, 2, 3, 4, 5, 6, 7, 8]);
  const cache = new ProblemCache();
  const store = new RunStore(out);
  for (const spec of expandGrid(GRID)) {
    const stored = store.read(runKey(spec));
    assert.ok(stored, spec.id);
    const local = await executeRun(spec, { cache });
    assert.equal(local.status, 'finished', local.error?.message);
    // same seed, same code, same float64 operations in another process: bit-identical values
    assert.deepEqual(numbers(stored), numbers(local), spec.id);
  }
  assert.deepEqual(outcome.report.results.map((r) => r.id), expandGrid(GRID).map((s) => s.id), 'the report has every run, in grid order');
  for (const f of ['results.json', 'table.md', 'quadratic.svg', 'quadratic.png', 'grid.json']) assert.ok(existsSync(join(out, f)), f);
  assert.equal(readdirSync(join(out, 'runs')).length, RUNS);
});

test('rerun skips every complete run; after deleting two result.json exactly those two run again', async () => {
  const again = await runSweep(GRID, { out, executor: pool });
  assert.deepEqual([again.skipped, again.ran], [RUNS, 0]);
  assert.equal(again.report.results.length, RUNS, 'the report still covers the whole grid');

  const lost = expandGrid(GRID).filter((s) => s.seed === 2 && s.solver === 'soba' || s.seed === 0 && s.solver === 'saba');
  for (const s of lost) rmSync(join(out, 'runs', runKey(s), 'result.json'));
  const ran: string[] = [];
  const resumed = await runSweep(GRID, { out, executor: pool, onProgress: (p) => p.event === 'result' && ran.push(p.job.spec.id) });
  assert.deepEqual([resumed.skipped, resumed.ran, resumed.failed], [RUNS - 2, 2, 0]);
  assert.deepEqual(ran.sort(), lost.map((s) => s.id).sort());
});

test('a child killed mid-run: that run is recorded as an error with the signal, the others complete, the next sweep retries it', async () => {
  const dir = join(tmp(), 'killed');
  let victim: string | undefined;
  const outcome = await runSweep(GRID, {
    out: dir,
    executor: pool,
    onProgress: (p) => {
      if (p.event !== 'start' || victim) return;
      victim = p.job.spec.id;
      process.kill(pool.pidOf(p.worker!)!, 'SIGKILL');
    },
  });
  assert.deepEqual([outcome.ran, outcome.failed], [RUNS, 1]);
  const killed = outcome.report.results.find((r) => r.id === victim)!;
  assert.equal(killed.status, 'error');
  assert.match(killed.error!.message, /worker process pool-\d+ \(pid \d+\) ended during the run with signal SIGKILL/);
  assert.ok(outcome.report.results.filter((r) => r.id !== victim).every((r) => r.status === 'finished'));
  const cell = outcome.report.aggregate[0].cells.find((c) => c.solver === killed.spec.solver)!;
  assert.equal(cell.errors, 1, 'the failure is in the table');

  const retried: string[] = [];
  const next = await runSweep(GRID, { out: dir, executor: pool, onProgress: (p) => p.event === 'result' && retried.push(p.job.spec.id) });
  assert.deepEqual(retried, [victim]);
  assert.deepEqual([next.skipped, next.failed], [RUNS - 1, 0]);
});

test('bad input is refused before anything is written: a grid error, a bad data path, a foreign non-empty folder', async () => {
  const base = tmp();
  const fresh = join(base, 'fresh');
  await assert.rejects(runSweep({ ...GRID, seeds: [] }, { out: fresh, executor: pool }), (e: unknown) => e instanceof GridSpecError && /seeds/.test(e.message));
  const badData: GridInput = { ...GRID, problems: [{ name: 'logreg-hpo', config: { train: join(base, 'missing.csv') }, batch: 8, maxIter: 5, evalEvery: 1, evaluation: 'exact', metric: 'suboptimality', tolerances: [1] }] };
  await assert.rejects(runSweep(badData, { out: fresh, executor: pool }), (e: unknown) => e instanceof InputError && /grid problem logreg-hpo/.test(e.message));
  assert.equal(existsSync(fresh), false);
  const foreign = join(base, 'foreign');
  rmSync(foreign, { recursive: true, force: true });
  await import('node:fs').then((fs) => fs.mkdirSync(foreign));
  writeFileSync(join(foreign, 'notes.txt'), 'mine');
  await assert.rejects(runSweep(GRID, { out: foreign, executor: pool }), (e: unknown) => e instanceof InputError && /holds no earlier sweep/.test(e.message));
  assert.deepEqual(readdirSync(foreign), ['notes.txt']);
});
