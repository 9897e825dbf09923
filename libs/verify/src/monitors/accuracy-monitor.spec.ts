// The accuracy monitor: on a good SABA run the relative error of the streams' direction falls and nothing is
// flagged; when the linear-system stream follows the wrong sign of the HVP, v drifts away and the growth is flagged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { quadraticProblem } from '@bilevel/problems';
import type { Solver } from '@bilevel/solvers';
import { saba } from '@bilevel/solvers';
import { run } from '@bilevel/streams';
import { withLinsysHvp } from '../fixtures/with-linsys-hvp';
import { safeSabaOptions } from '../safe-saba-options';
import type { Finding } from '@bilevel/streams';
import { monitorContext, withMonitors } from '@bilevel/streams';
import type { AccuracyMonitorOptions } from './accuracy-monitor';
import { accuracyMonitor } from './accuracy-monitor';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 32, nOuter: 32, mu: 0.2, L: 1, seed: 9 });
const safe = safeSabaOptions(problem);
const opts = { seed: 0, maxIter: 600, sampleEvery: 20 };

async function watch(solver: Solver, options: AccuracyMonitorOptions, o = opts): Promise<Finding[]> {
  const m = withMonitors(run(problem, solver, o), monitorContext(problem, solver, o), [accuracyMonitor(options)]);
  const findings = lastValueFrom(m.findings$.pipe(toArray()));
  await lastValueFrom(m.snapshots$);
  return findings;
}

test('good SABA run: the error falls, no warning', async () => {
  const findings = await watch(saba({ ...safe, innerStep: 2 * safe.innerStep }), { every: 1, window: 4 });
  const errors = findings.filter((f) => f.level === 'info').map((f) => f.value!);
  assert.equal(errors.length, 31);
  assert.deepEqual(findings.filter((f) => f.level !== 'info'), []);
  assert.ok(errors.at(-1)! < 0.5 * errors[1], `${errors[1]} → ${errors.at(-1)}`);
});

test('linear-system stream with the HVP sign flipped: the growing error is flagged', async () => {
  const bad = withLinsysHvp(saba({ ...safe, innerStep: 2 * safe.innerStep }), -1);
  const findings = await watch(bad, { every: 1, window: 4 }, { seed: 0, maxIter: 200, sampleEvery: 10 });
  const warnings = findings.filter((f) => f.level === 'warning');
  assert.ok(warnings.length >= 1, JSON.stringify(findings.map((f) => f.value)));
  assert.ok(warnings[0].value! >= 2);
  assert.equal(warnings[0].bound, 2);
  assert.match(warnings[0].message, /grew .* over the last 4 checks/);
});

test('every and maxDimZ', async () => {
  const sparse = await watch(saba(safe), { every: 10 });
  assert.deepEqual(sparse.map((f) => f.iteration), [0, 200, 400, 600]);
  const skipped = await watch(saba(safe), { maxDimZ: 5 });
  assert.equal(skipped.length, 1);
  assert.match(skipped[0].message, /not checked: dim z = 6 > maxDimZ = 5/);
});

test('options are validated', () => {
  assert.throws(() => accuracyMonitor({ window: 1 }), /accuracyMonitor: window must be an integer ≥ 2, received 1/);
  assert.throws(() => accuracyMonitor({ growth: 0 }), /accuracyMonitor: growth must be a positive finite number, received 0/);
});
