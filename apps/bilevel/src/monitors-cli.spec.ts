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
  // SABA's default ρ = 0.1 is above SAGA's 1/(3·L_max) = 0.0034 on this data, a sufficient bound: the theorem
  // monitor says so at warning level (the run converges), never as a violation
  const theorem = (summary.monitors.findings as { monitor: string; level: string; message: string }[]).filter((f) => f.monitor === 'theorem');
  assert.ok(theorem.some((f) => f.level === 'warning' && /^saba\.innerStep: the step exceeds the theorem's sufficient bound ρ ≤ 1\/\(3·L_max\) \(0\.100 > 0\.00339\): convergence not guaranteed by the theorem/.test(f.message)));
  assert.deepEqual(theorem.filter((f) => f.level === 'violation'), []);
  const lines = readFileSync(join(out, 'trace.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => l.finding?.monitor === 'progress'));
  assert.match(r.stdout, /monitor\s+level\s+count\s+latest/);
  assert.match(r.stdout, /theorem\s+warning\s+1/);
  assert.doesNotMatch(r.stdout, /^\w+\s+violation\s+\d/m, 'no monitor row at violation level');
  assert.match(r.stdout, /monitors\.counts\.violation\s+0\n/);
});

test('--strict ends the run at the first violation (exit 4) and still writes the summary', async () => {
  // ρ = 5 > 2/L = 0.47: the linear system's iteration diverges, a violation (not only the theorem's bound missed)
  const out = join(tmp(), 'run');
  const r = await cli(['run', '--max-iter', '4000', '--inner-step', '5', '--monitor', 'theorem', '--strict', '--out', out, '--log-level', 'fatal']);
  assert.equal(r.code, EXIT.monitorViolation, r.stderr);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.status, 'violation');
  assert.match(summary.violation, /theorem" found a violation at iteration 0: saba\.innerStep = 5\.00 exceeds 2\/L/);
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
