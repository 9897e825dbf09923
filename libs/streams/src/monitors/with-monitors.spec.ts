// withMonitors: the findings stream carries what the operator finds and completes when the run ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { quadraticProblem } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { run } from '../run';
import type { Monitor } from './monitor';
import { monitorContext } from './monitor-context';
import { MonitorViolationError } from './monitor-violation-error';
import { withMonitors } from './with-monitors';

const problem = quadraticProblem({ dimZ: 4, dimX: 2, nInner: 16, nOuter: 16, seed: 2 });
const solver = saba({ batchSize: 4, innerStep: 0.2, outerStep: 0.05 });
const opts = { maxIter: 100, sampleEvery: 25 };
const every = (level: 'info' | 'violation'): Monitor => ({
  name: level,
  description: 'one finding per snapshot',
  start: () => ({ onSnapshot: (s) => [{ level, monitor: level, iteration: s.iteration, message: 'seen' }] }),
});

test('findings$ carries one finding per snapshot and completes with the run', async () => {
  const { snapshots$, findings$ } = withMonitors(run(problem, solver, opts), monitorContext(problem, solver, opts), [every('info')]);
  const findings = lastValueFrom(findings$.pipe(toArray()));
  const snaps = await lastValueFrom(snapshots$.pipe(toArray()));
  assert.deepEqual((await findings).map((f) => f.iteration), snaps.map((s) => s.iteration));
});

test('strict: findings$ completes and snapshots$ errors at the first violation', async () => {
  const { snapshots$, findings$ } = withMonitors(run(problem, solver, opts), monitorContext(problem, solver, opts), [every('violation')], { strict: true });
  const findings = lastValueFrom(findings$.pipe(toArray()));
  await assert.rejects(lastValueFrom(snapshots$), MonitorViolationError);
  assert.deepEqual((await findings).map((f) => f.iteration), [0]);
});

test('findings$ completes when the run is unsubscribed', async () => {
  const { snapshots$, findings$ } = withMonitors(run(problem, solver, { maxIter: 1_000_000, sampleEvery: 10 }), monitorContext(problem, solver, opts), [every('info')]);
  let completed = false;
  findings$.subscribe({ complete: () => (completed = true) });
  const sub = snapshots$.subscribe();
  await new Promise((r) => setTimeout(r, 20));
  sub.unsubscribe();
  assert.equal(completed, true);
});
