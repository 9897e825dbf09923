// forwardSolveMonitor: a DEQ whose layer is far from a contraction, trained through run(), has forward solves that
// miss their budget: each is reported on findings$ (a warning naming the samples, the residual, the tolerance and the
// budget), the steps are skipped (x stays at x0), and the run goes on to its iteration limit instead of looping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { Rng } from '@bilevel/linalg';
import { deqProblem } from '@bilevel/autodiff';
import { deqTraining } from '@bilevel/solvers';
import { run } from '../run';
import { monitorContext } from './monitor-context';
import { withMonitors } from './with-monitors';
import { forwardSolveMonitor } from './forward-solve-monitor';
import type { Finding } from './finding';

function problem(layerScale: number) {
  const rng = Rng.fromSeed(1);
  const n = 32;
  const p = 5;
  const data = new Float64Array(n * p);
  rng.normals(data);
  return deqProblem({ train: { features: { rows: n, cols: p, data }, labels: Int32Array.from({ length: n }, (_, i) => i % 2) }, classes: 2, hidden: 6, init: { seed: 2, layerScale } });
}

test('forwardSolveMonitor: forward solves of a non-contractive layer that miss their budget are findings, and their steps are skipped', async () => {
  // ‖W‖ ≈ 2·20: Broyden (a root finder) still solves some batches within 30 iterations, not all
  const p = problem(20);
  const solver = deqTraining({ backward: 'shine', batchSize: 8, forwardTol: 1e-6, forwardMaxIter: 30 });
  const x0 = p.initialX();
  const options = { maxIter: 8, sampleEvery: 1, seed: 3, x0 };
  const monitored = withMonitors(run(p, solver, options), monitorContext(p, solver, options), [forwardSolveMonitor()]);
  const findings: Finding[] = [];
  monitored.findings$.subscribe((f) => findings.push(f));
  const snaps = await lastValueFrom(monitored.snapshots$.pipe(toArray()));
  const last = snaps.at(-1);
  assert.ok(last && last.iteration === 8, 'the run reaches its iteration limit');
  const failures = last.diagnostics.inner?.forwardFailures ?? 0;
  assert.ok(failures >= 1, 'some forward solves fail');
  assert.equal((last.diagnostics.outer?.adamSteps ?? 0) + failures, 8, 'a failed step makes no update');
  // one finding per snapshot after which failures grew; with a snapshot every step, one per failed step
  assert.equal(findings.length, failures, findings.map((f) => f.message).join('\n'));
  for (const f of findings) {
    assert.equal(f.level, 'warning');
    assert.equal(f.monitor, 'forward-solve');
    assert.equal(f.stream, 'inner');
    assert.equal(f.bound, 1e-6);
    assert.ok((f.value as number) > 1e-6);
    assert.match(f.message, /^1 forward solve since iteration \d+ did not converge within the budget of 30 iterations \(the last, at step \d+: \d+ samples? unconverged.*relative residual .* > tol 1\.00e-6\); that step was skipped \(no backward pass, no parameter update\)$/);
  }
  // the skipped steps leave x as it was: between snapshots around a failed step x does not move
  const failedAt = findings.map((f) => f.iteration);
  for (const it of failedAt) {
    const before = snaps.find((s) => s.iteration === it - 1);
    const after = snaps.find((s) => s.iteration === it);
    assert.ok(before && after);
    assert.deepEqual([...after.x], [...before.x], `step ${it}`);
  }
});

test('forwardSolveMonitor: failures between two snapshots are reported together, naming how many', async () => {
  const p = problem(6);
  const solver = deqTraining({ backward: 'shine', batchSize: 8, forwardTol: 1e-10, forwardMaxIter: 4 });
  const x0 = p.initialX();
  const options = { maxIter: 6, sampleEvery: 2, seed: 3, x0 };
  const monitored = withMonitors(run(p, solver, options), monitorContext(p, solver, options), [forwardSolveMonitor()]);
  const findings: Finding[] = [];
  monitored.findings$.subscribe((f) => findings.push(f));
  const last = await lastValueFrom(monitored.snapshots$);
  assert.deepEqual([...last.x], [...x0], 'no parameter update');
  assert.equal(last.diagnostics.inner?.forwardFailures, 6);
  assert.equal(findings.length, 3);
  assert.match(findings[0].message, /^2 forward solves since iteration 0 did not converge within the budget of 4 iterations \(the last, at step 1: .*; those steps were skipped/);
});

test('forwardSolveMonitor: a contractive layer solved to its tolerance gives no finding', async () => {
  const p = problem(0.5);
  const solver = deqTraining({ backward: 'jfb', batchSize: 8 });
  const options = { maxIter: 4, sampleEvery: 1, seed: 3, x0: p.initialX() };
  const monitored = withMonitors(run(p, solver, options), monitorContext(p, solver, options), [forwardSolveMonitor()]);
  const findings: Finding[] = [];
  monitored.findings$.subscribe((f) => findings.push(f));
  const last = await lastValueFrom(monitored.snapshots$);
  assert.equal(last.diagnostics.inner?.forwardFailures, 0);
  assert.deepEqual(findings, []);
});
