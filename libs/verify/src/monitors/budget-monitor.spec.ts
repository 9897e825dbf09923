// The budget monitor: a call limit is a violation at the first snapshot past it (strict mode stops the run there);
// a leak of retained memory exceeds a memory-growth limit; without limits only the final usage is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { quadraticProblem } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { run } from '@bilevel/streams';
import type { Finding, Monitor } from '@bilevel/streams';
import { monitorContext, MonitorViolationError, withMonitors } from '@bilevel/streams';
import { budgetMonitor } from './budget-monitor';

const problem = quadraticProblem({ dimZ: 5, dimX: 3, nInner: 20, nOuter: 20, seed: 3 });
const solver = saba({ batchSize: 4, innerStep: 0.2, outerStep: 0.05 });
const opts = { seed: 0, maxIter: 500, sampleEvery: 50 };

async function watch(monitors: Monitor[], strict = false): Promise<{ findings: Finding[]; error?: unknown; last?: number }> {
  const m = withMonitors(run(problem, solver, opts), monitorContext(problem, solver, opts), monitors, { strict });
  const findings = lastValueFrom(m.findings$.pipe(toArray()));
  let error: unknown;
  let last: number | undefined;
  await lastValueFrom(m.snapshots$)
    .then((s) => (last = s.iteration))
    .catch((e: unknown) => (error = e));
  return { findings: await findings, error, last };
}

test('without limits: one info with the usage at the final snapshot', async () => {
  const { findings } = await watch([budgetMonitor()]);
  assert.equal(findings.length, 1);
  assert.equal(findings[0].level, 'info');
  assert.equal(findings[0].iteration, 500);
  assert.equal(findings[0].value, 5 * 500, 'SABA: five oracle calls per outer step');
});

test('a call limit: violation at the first snapshot past it, once; strict mode stops the run there', async () => {
  // 5 calls per step: 1000 calls at iteration 200 (not above), 1250 at 250
  const { findings } = await watch([budgetMonitor({ maxCalls: 1000 })]);
  const v = findings.filter((f) => f.level === 'violation');
  assert.equal(v.length, 1);
  assert.equal(v[0].iteration, 250);
  assert.equal(v[0].value, 1250);
  assert.equal(v[0].bound, 1000);
  const strict = await watch([budgetMonitor({ maxCalls: 1000 })], true);
  assert.ok(strict.error instanceof MonitorViolationError);
  assert.equal(strict.error.finding.iteration, 250);
  assert.match(strict.error.message, /oracle calls 1250 exceeds the limit 1000 \(value 1250, bound 1000\)/);
});

test('a wall-time limit', async () => {
  const { findings } = await watch([budgetMonitor({ maxSeconds: 1e-9 })]);
  assert.equal(findings.filter((f) => f.level === 'violation' && /wall seconds/.test(f.message)).length, 1);
});

test('retained memory exceeds a memory-growth limit; a run that retains nothing does not', async () => {
  const BYTES_PER_SNAPSHOT = 8 * 2 ** 20; // 8 MiB per 50 steps ≈ 168 kB per step, against a 20 kB limit
  const kept: Float64Array[] = [];
  const leak: Monitor = { name: 'leak', description: 'retains memory', start: () => ({ onSnapshot: () => void kept.push(new Float64Array(BYTES_PER_SNAPSHOT / 8).fill(1)) }) };
  const leaking = await watch([leak, budgetMonitor({ maxBytesPerIteration: 20_000, minIterations: 100 })]);
  assert.equal(leaking.findings.filter((f) => f.level === 'violation').length, 1);
  kept.length = 0;
  const clean = await watch([budgetMonitor({ maxBytesPerIteration: 20_000, minIterations: 100 })]);
  assert.deepEqual(clean.findings.filter((f) => f.level !== 'info'), []);
});

test('options are validated', () => {
  assert.throws(() => budgetMonitor({ maxCalls: 0 }), /budgetMonitor: maxCalls must be a positive finite number, received 0/);
  assert.throws(() => budgetMonitor({ maxCall: 5 } as never), /budgetMonitor: unknown option "maxCall"/);
});
