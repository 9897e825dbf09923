// The registry: every shipped monitor by name, the cheap defaults, and name lists as the CLI passes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { quadraticProblem } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { run } from '@bilevel/streams';
import { safeSabaOptions } from '../safe-saba-options';
import { monitorContext, withMonitors } from '@bilevel/streams';
import { DEFAULT_MONITORS, MONITORS, monitorsByName } from './monitor-registry';

test('every entry is registered under its monitor name; the defaults are the cheap ones', () => {
  for (const [key, e] of Object.entries(MONITORS)) {
    assert.equal(e.name, key);
    assert.equal(e.create().name, key);
    assert.ok(e.description.length > 20);
  }
  assert.deepEqual(DEFAULT_MONITORS.map((m) => m.name), ['finiteness', 'theorem', 'budget']);
  assert.deepEqual(Object.values(MONITORS).filter((e) => e.cheap).map((e) => e.name), ['finiteness', 'theorem', 'budget']);
});

test('name lists: defaults expanded, no repeats, unknown names refused with the known ones', () => {
  assert.deepEqual(monitorsByName('default, progress,theorem').map((m) => m.name), ['finiteness', 'theorem', 'budget', 'progress']);
  assert.deepEqual(monitorsByName('accuracy').map((m) => m.name), ['accuracy']);
  assert.throws(() => monitorsByName('finitness'), /monitorsByName: unknown monitor "finitness"; expected one of finiteness, theorem, accuracy, progress, budget, default/);
  assert.throws(() => monitorsByName(' , '), /monitorsByName: expected a comma-separated list/);
});

test('options reach the factory and are validated there', () => {
  assert.throws(() => MONITORS.budget.create({ maxCalls: -1 }), /budgetMonitor: maxCalls must be a positive finite number, received -1/);
  assert.equal(MONITORS.theorem.create({ every: 3 }).name, 'theorem');
});

test('the defaults watch a safe SABA run in strict mode without a warning or violation', async () => {
  const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 32, nOuter: 32, seed: 4 });
  const solver = saba(safeSabaOptions(problem));
  const opts = { maxIter: 500, sampleEvery: 50 };
  const m = withMonitors(run(problem, solver, opts), monitorContext(problem, solver, opts), DEFAULT_MONITORS, { strict: true });
  const findings = lastValueFrom(m.findings$.pipe(toArray()));
  const last = await lastValueFrom(m.snapshots$);
  assert.equal(last.iteration, 500);
  const all = await findings;
  assert.deepEqual(all.filter((f) => f.level !== 'info'), []);
  assert.deepEqual([...new Set(all.map((f) => f.monitor))].sort(), ['budget', 'theorem']);
});
