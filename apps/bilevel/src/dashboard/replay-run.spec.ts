// replayRun: a run folder to the dashboard, finished or still written (only complete lines are read; a character
// cut between two writes is read whole), and a folder that is not a run folder refused with one clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@bilevel/io';
import type { DashboardMessage } from '@bilevel/dashboard';
import { replayRun } from './replay-run';

const row = (iter: number, value: number) => JSON.stringify({ iter, solverSeconds: iter / 1000, value, hypergradNorm: 0.1, relativeSuboptimality: value - 1, oracleCalls: 4 * iter }) + '\n';
const finding = JSON.stringify({ finding: { level: 'violation', monitor: 'theorem', iteration: 0, message: 'ρ breaks ‖·‖ bound', value: 0.5, bound: 0.003, stream: 'inner' } }) + '\n';

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bilevel-replay-'));
  writeFileSync(join(dir, 'run-config.json'), JSON.stringify({ problem: 'logreg-hpo', solver: 'saba', seed: 3, schedule: 'jacobi', maxIter: 1000, evalEvery: 500 }));
  return dir;
}

function recorder() {
  const messages: DashboardMessage[] = [];
  return {
    sink: (m: DashboardMessage) => void messages.push(m),
    points: () => messages.flatMap((m) => (m.type === 'point' ? [m.point] : [])),
    items: () => messages.flatMap((m) => (m.type === 'item' ? [m.item] : [])),
    state: () => Object.assign({}, ...messages.flatMap((m) => (m.type === 'state' ? [m.patch] : []))) as Record<string, unknown>,
    meta: () => messages.find((m) => m.type === 'meta'),
  };
}

test('a running run is followed: complete lines only, a cut character read whole, the end once the summary is written', () => {
  // Arrange: a trace with one row and half of a finding whose message has a multi-byte character cut in two
  const dir = folder();
  const trace = join(dir, 'trace.jsonl');
  const bytes = Buffer.from(finding);
  const cut = bytes.indexOf(Buffer.from('‖')) + 1;
  writeFileSync(trace, row(0, 3));
  appendFileSync(trace, bytes.subarray(0, cut));
  const r = recorder();
  const replay = replayRun(dir, r.sink);

  // Act / Assert: the first poll reads the row, not the half line
  assert.equal(replay.poll(), false);
  assert.deepEqual(r.points().map((p) => [p.iter, p.h, p.gap]), [[0, 3, null]], 'no summary yet: no h*');
  assert.equal(r.items().length, 0);
  assert.equal(r.state().status, 'running');
  // the rest of the finding and a second row
  appendFileSync(trace, bytes.subarray(cut));
  appendFileSync(trace, row(500, 1.5));
  assert.equal(replay.poll(), false);
  assert.equal(r.items()[0]?.message, 'ρ breaks ‖·‖ bound');
  assert.deepEqual(r.points().map((p) => p.iter), [0, 500]);
  assert.equal(r.state().iteration, 500);
  // the run ends
  appendFileSync(trace, row(1000, 1.25));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ status: 'finished', iterations: 1000, solverSeconds: 1, hStar: 1 }));
  assert.equal(replay.poll(), true);
  assert.deepEqual(r.points().map((p) => p.iter), [0, 500, 1000]);
  assert.deepEqual([r.state().status, r.state().outcome, r.state().failed], ['ended', 'finished', false]);
  assert.equal(replay.poll(), true, 'ended stays ended');
  assert.equal(r.points().length, 3, 'nothing read twice');
});

test('a finished run: its rows as h − h* from the summary, its heading from the configuration, no controls', () => {
  const dir = folder();
  writeFileSync(join(dir, 'trace.jsonl'), row(0, 3) + finding + row(500, 1.5));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ status: 'interrupted', iterations: 500, hStar: 1 }));
  const r = recorder();
  const replay = replayRun(dir, r.sink);
  assert.equal(replay.poll(), true);
  assert.deepEqual(r.points().map((p) => p.gap), [2, 0.5]);
  assert.equal(replay.meta.title, 'logreg-hpo · saba · seed 3 (replay)');
  assert.deepEqual(replay.meta.controls, { stop: false, pause: false });
  assert.equal(r.state().outcome, 'interrupted');
  assert.equal(r.state().hStar, 1);
});

test('not a run folder, or a trace line that is not JSON: one InputError naming the file', () => {
  const r = recorder();
  assert.throws(() => replayRun(join(tmpdir(), 'no-such-bilevel-run-folder'), r.sink), (e: unknown) => e instanceof InputError && /no such folder/.test(e.message));
  assert.throws(() => replayRun(mkdtempSync(join(tmpdir(), 'bilevel-replay-')), r.sink), (e: unknown) => e instanceof InputError && /no run-config\.json/.test(e.message));
  const dir = folder();
  writeFileSync(join(dir, 'trace.jsonl'), row(0, 3) + '{"iter": 5, oops\n');
  const replay = replayRun(dir, r.sink);
  assert.throws(() => replay.poll(), (e: unknown) => e instanceof InputError && /line 2 is not JSON/.test(e.message) && /trace\.jsonl/.test(e.message));
});
