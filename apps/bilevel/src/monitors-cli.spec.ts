// `--monitor` and `--strict` end to end, in process: findings reach the trace, the summary and the end-of-run
// table; strict mode stops at the first violation with exit 4; bad monitor options are refused up front.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from './exit-codes';
import { cli } from './in-process-cli';


const tmp = () => mkdtempSync(join(tmpdir(), 'bilevel-monitors-'));

test('--monitor: findings in the trace, the summary and a table at the end', async () => {
  const out = join(tmp(), 'run');
  const r = await cli(['run', '--max-iter', '4000', '--eval-every', '1000', '--monitor', 'default,progress', '--out', out, '--log-level', 'fatal']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.deepEqual(summary.monitors.names, ['finiteness', 'theorem', 'budget', 'progress']);
  assert.ok(summary.monitors.counts.info >= 1);
  // SABA's default ρ = 0.1 is above SAGA's 1/(3·L_max) on this data: the theorem monitor says so
  assert.ok(summary.monitors.findings.some((f: { monitor: string; level: string }) => f.monitor === 'theorem' && f.level === 'violation'));
  const lines = readFileSync(join(out, 'trace.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => l.finding?.monitor === 'progress'));
  assert.match(r.stdout, /monitor\s+level\s+count\s+latest/);
  assert.match(r.stdout, /theorem\s+violation\s+1/);
});

test('--strict ends the run at the first violation (exit 4) and still writes the summary', async () => {
  const out = join(tmp(), 'run');
  const r = await cli(['run', '--max-iter', '4000', '--monitor', 'theorem', '--strict', '--out', out, '--log-level', 'fatal']);
  assert.equal(r.code, EXIT.monitorViolation, r.stderr);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.status, 'violation');
  assert.match(summary.violation, /theorem/);
  assert.ok(summary.iterations < 4000);
});

test('bad monitor options are refused before anything is written', async () => {
  const out = join(tmp(), 'run');
  const r1 = await cli(['run', '--monitor', 'nope', '--out', out]);
  assert.equal(r1.code, EXIT.badInput);
  assert.match(r1.stderr, /--monitor: unknown monitor "nope"; expected one of finiteness, theorem, accuracy, progress, budget, default/);
  const r2 = await cli(['run', '--strict', '--out', out]);
  assert.equal(r2.code, EXIT.badInput);
  assert.match(r2.stderr, /--strict ends the run at the first monitor violation; name the monitors with --monitor/);
  assert.equal(existsSync(out), false);
});
