// What `safe-control train` tells its page: c*, V, ‖Δθ‖, λ per iteration, the verdicts with their boxes, the
// phase picture at most once a second (and on a counterexample), and the end with its checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeaturePolicy } from '@bilevel/control';
import type { DashboardMessage, DashboardMeta } from '@bilevel/dashboard';
import { lookupSystem } from '../lookup-system';
import { cli } from '../in-process-cli';
import type { PipelineEvent } from '../control-pipeline';
import { PHASE_GRID, PHASE_TRAJECTORIES, phaseState, trainDashboard, trainMeta } from './train-dashboard';

const system = lookupSystem('lane-keeping');
const policy = new FeaturePolicy(system.nx, system.nu, { degree: 1 });
const theta = new Float64Array(policy.nTheta);

function recorder() {
  const messages: DashboardMessage[] = [];
  const opened: DashboardMeta[] = [];
  return {
    port: { open: (meta: DashboardMeta) => void opened.push(meta), send: (m: DashboardMessage) => void messages.push(m) },
    messages,
    phases: () => messages.flatMap((m) => (m.type === 'state' && m.patch.phase ? [m.patch.phase as { iteration: number }] : [])),
    state: () => Object.assign({}, ...messages.flatMap((m) => (m.type === 'state' ? [m.patch] : []))) as Record<string, unknown>,
  };
}

function event(iteration: number, verdict: PipelineEvent['verdict'] = null): PipelineEvent {
  return {
    iteration,
    policy: { iteration, theta, status: 'running', value: -2, lambda: 10, stepNorm: 0.5 },
    certificate: { cStar: 0.25, found: verdict !== null, certificate: null, dcdtheta: null },
    verdict,
    stop: null,
  } as PipelineEvent;
}

test('phaseState: the box, the sets and trajectories in the plane of the first two states, the certificate on a grid with its level', () => {
  const ph = phaseState(system, policy, theta, { evaluate: (x) => x[0] - 1 }, Float64Array.from([0.5, 0.25, 0, 0]), 3, 1) as Record<string, unknown>;
  assert.deepEqual(ph.box, { lo: [system.domain.lo[0], system.domain.lo[1]], hi: [system.domain.hi[0], system.domain.hi[1]] });
  assert.deepEqual(ph.names, [system.stateNames[0], system.stateNames[1]]);
  assert.equal((ph.trajectories as unknown[]).length, PHASE_TRAJECTORIES);
  const grid = ph.grid as { n: number; values: number[]; level: number; label: string };
  assert.equal(grid.values.length, PHASE_GRID * PHASE_GRID);
  assert.equal(grid.values[0], system.domain.lo[0] - 1, 'row 0, column 0: the box corner');
  assert.equal(grid.values[PHASE_GRID - 1], system.domain.hi[0] - 1, 'row 0, last column');
  assert.deepEqual([grid.level, grid.label], [0, 'B(x) = 0'], 'a barrier is drawn at B = 0');
  assert.deepEqual(ph.counterexample, [0.5, 0.25]);
  assert.match(String(ph.projection), /plane \(y, vy\)/);
});

test('per iteration a point and the iteration; a verdict with its boxes; the phase at most once a second, and on a counterexample', () => {
  const r = recorder();
  let clock = 0;
  const d = trainDashboard(r.port, system, policy, 1, () => clock);
  d.event(event(0), 0.5);
  clock = 400;
  d.event(event(1), 1);
  clock = 900;
  d.event(event(2, { status: 'falsified', method: 'sound', counterexample: Float64Array.from([1, 2, 0, 0]), violated: 'initial', boxes: { verified: 3, falsified: 1, unknown: 2 } }), 1.5);
  clock = 1200;
  d.event(event(3), 2);
  clock = 2000;
  d.event(event(4), 2.5);
  const points = r.messages.flatMap((m) => (m.type === 'point' ? [m.point] : []));
  assert.deepEqual(points.map((p) => [p.iter, p.cStar, p.value, p.stepNorm, p.lambda]), [0, 1, 2, 3, 4].map((i) => [i, 0.25, -2, 0.5, 10]));
  const items = r.messages.flatMap((m) => (m.type === 'item' ? [m.item] : []));
  assert.deepEqual(items, [{ iteration: 2, method: 'sound', status: 'falsified', violated: 'initial', boxes: { verified: 3, falsified: 1, unknown: 2 }, samples: null }]);
  assert.deepEqual(r.phases().map((p) => p.iteration), [0, 2, 4], 'at 0 ms, at the counterexample, then a second after it');
  assert.equal(r.state().iteration, 4);
});

test('the end: interrupted with a checkpoint says how to resume; certified is not failed; not certified is', () => {
  const stopped = recorder();
  trainDashboard(stopped.port, system, policy, 1).ended('interrupted', false, 7, '/tmp/t');
  assert.deepEqual(stopped.state(), { outcome: 'interrupted', failed: false, notice: 'checkpoint at iteration 7: continue with safe-control train --resume /tmp/t' });
  const certified = recorder();
  trainDashboard(certified.port, system, policy, 1).ended('certified', true, null, '/tmp/t');
  assert.deepEqual(certified.state(), { outcome: 'certified', failed: false });
  const budget = recorder();
  trainDashboard(budget.port, system, policy, 1).ended('max-iter', false, 9, '/tmp/t');
  assert.equal(budget.state().failed, true);
  assert.deepEqual(trainMeta(system, 'polynomial', 0, 5, '/tmp/t').controls, { stop: true, pause: false });
});

test('bad dashboard options: --dashboard-linger without --dashboard, --dashboard on the neural track (exit 2, nothing written, no server)', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'train-dash-')), 'out');
  const linger = await cli(['train', '--system', 'pj', '--dashboard-linger', '3', '--out', out]);
  assert.equal(linger.code, 2);
  assert.match(linger.stderr, /--dashboard-linger.*add --dashboard/);
  const neural = await cli(['train', '--system', 'pj', '--track', 'neural', '--dashboard', '--out', out]);
  assert.equal(neural.code, 2);
  assert.match(neural.stderr, /--dashboard.*neural track has none yet/);
  assert.equal(existsSync(out), false);
  assert.doesNotMatch(linger.stderr + neural.stderr, /dashboard: http/);
});
