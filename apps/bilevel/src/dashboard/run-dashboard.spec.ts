// What `bilevel run` tells its page: live samples at most N a second (none computed in between), the three streams'
// norms, moves and steps, the evaluated rows against h*, the findings, and the end with its checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSolver, emptyCounts } from '@bilevel/solvers';
import type { Snapshot } from '@bilevel/streams';
import type { DashboardMessage, DashboardPoint } from '@bilevel/dashboard';
import type { RunDashboardInfo } from './run-dashboard';
import { constantSteps, runDashboard } from './run-dashboard';

const INFO: RunDashboardInfo = { problem: 'quadratic', solver: 'saba', seed: 0, schedule: 'jacobi', maxIter: 100, evalEvery: 10, evaluation: 'exact', hStar: 1, outDir: '/tmp/out' };

function snapshot(iteration: number, z: number[], diagnostics: Snapshot['diagnostics'] = {}): Snapshot {
  const counts = { inner: { ...emptyCounts(), innerGrad: iteration }, linsys: { ...emptyCounts(), hvp: iteration, outerGradZ: iteration }, outer: { ...emptyCounts(), cross: iteration }, total: emptyCounts() };
  return { iteration, tick: iteration, z: Float64Array.from(z), v: Float64Array.from([0, 0]), x: Float64Array.from([2]), solverSeconds: iteration / 1000, counts, diagnostics, final: false };
}

function recorder() {
  const messages: DashboardMessage[] = [];
  const points = (series: string) => messages.flatMap((m) => (m.type === 'point' && m.series === series ? [m.point] : [])) as DashboardPoint[];
  const state = () => Object.assign({}, ...messages.flatMap((m) => (m.type === 'state' ? [m.patch] : []))) as Record<string, unknown>;
  return { messages, sink: (m: DashboardMessage) => void messages.push(m), points, state };
}

test('onYield samples at most samplesPerSecond times a second and peeks only when a sample is due', () => {
  // Arrange: 10 samples a second, a clock the test moves
  const r = recorder();
  let clock = 0;
  const dash = runDashboard(r.sink, INFO, { samplesPerSecond: 10, now: () => clock });
  let peeks = 0;
  const peek = () => (peeks++, snapshot(peeks * 10, [0, 0]));
  // Act: yields at 0, 50, 99, 100 and 250 ms
  for (const t of [0, 50, 99, 100, 250]) {
    clock = t;
    dash.onYield(peek);
  }
  // Assert: samples at 0, 100 and 250 ms only
  assert.equal(peeks, 3);
  assert.deepEqual(r.points('live').map((p) => p.iter), [10, 20, 30]);
});

test('a live sample: norms, moves per iteration since the last sample, steps (diagnostics, else the constant ones), calls per stream, the schedule', () => {
  const r = recorder();
  let clock = 0;
  const dash = runDashboard(r.sink, { ...INFO, constantSteps: { inner: 0.1, linsys: 0.1, outer: 0.01 } }, { now: () => clock });
  dash.onYield(() => snapshot(0, [0, 0]));
  clock = 1000;
  dash.onYield(() => snapshot(10, [3, 4], { outer: { step: 0.005 } }));
  const [first, second] = r.points('live');
  assert.equal(first.dz, null, 'no move before a second sample');
  assert.equal(second.zn, 5);
  assert.equal(second.dz, 0.5, '‖(3, 4) − 0‖ over 10 iterations');
  assert.equal(second.dv, 0);
  assert.deepEqual([second.az, second.av, second.ax], [0.1, 0.1, 0.005]);
  assert.deepEqual([second.ci, second.cl, second.co], [10, 20, 10]);
  const state = r.state();
  assert.equal(state.iteration, 10);
  assert.deepEqual((state.reads as Record<string, unknown>).outer, { steps: 10, z: 9, v: 9, x: 9, own: 10 });
});

test('onYield returns the hold of the pause, so that the run waits for it', () => {
  const r = recorder();
  const pause = Promise.resolve();
  let paused = true;
  const dash = runDashboard(r.sink, INFO, { hold: () => (paused ? pause : undefined), now: () => 0 });
  assert.equal(dash.onYield(() => snapshot(0, [0, 0])), pause);
  paused = false;
  assert.equal(dash.onYield(() => snapshot(0, [0, 0])), undefined);
});

test('an evaluated row: h − h*, ‖∇h‖, ‖z − z*(x)‖ with the exact evaluation only, the metrics', () => {
  const r = recorder();
  runDashboard(r.sink, INFO).evaluated(snapshot(10, [3, 4]), { iter: 10, solverSeconds: 0.01, value: 1.25, hypergradNorm: 0.5, oracleCalls: 40, metrics: { acc: 0.9 } }, Float64Array.from([0, 4]));
  const [p] = r.points('eval');
  assert.deepEqual([p.h, p.gap, p.grad, p.zdist, p['m:acc']], [1.25, 0.25, 0.5, 3, 0.9]);
  const q = recorder();
  runDashboard(q.sink, { ...INFO, evaluation: 'iterate', hStar: undefined }).evaluated(snapshot(10, [3, 4]), { iter: 10, solverSeconds: 0.01, value: NaN, oracleCalls: 40 }, Float64Array.from([0, 4]));
  const [i] = q.points('eval');
  assert.deepEqual([i.h, i.gap, i.zdist], [null, null, null], 'NaN is sent as null; no h*, no z* at the iterate');
});

test('the end: an interrupted run points to its checkpoint; a diverged run is failed; a finished one says nothing more', () => {
  const stopped = recorder();
  runDashboard(stopped.sink, INFO).ended('interrupted', 420);
  assert.deepEqual({ ...stopped.state(), reads: undefined }, { schedule: 'jacobi', maxIter: 100, hStar: 1, outcome: 'interrupted', failed: false, checkpoint: 420, notice: 'checkpoint at iteration 420: continue with bilevel run --resume /tmp/out', reads: undefined });
  const diverged = recorder();
  runDashboard(diverged.sink, INFO).ended('diverged');
  assert.equal(diverged.state().failed, true);
  assert.equal(diverged.state().notice, undefined);
  const finished = recorder();
  runDashboard(finished.sink, INFO).ended('finished', 100);
  assert.equal(finished.state().notice, undefined);
});

test('constantSteps: SABA declares constant steps, SOBA decreasing ones (read from its diagnostics instead)', () => {
  assert.deepEqual(constantSteps(createSolver('saba', { innerStep: 0.2, outerStep: 0.03 })), { inner: 0.2, linsys: 0.2, outer: 0.03 });
  assert.deepEqual(constantSteps(createSolver('soba', {})), {});
});
