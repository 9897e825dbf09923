// The progress monitor: silent on a good SABA run (h falls, then the run is stationary); flags an outer step so
// small that h does not move, and a run whose x moves away from x*.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Observable } from 'rxjs';
import { lastValueFrom, map, toArray } from 'rxjs';
import { quadraticProblem } from '@bilevel/problems';
import type { Solver } from '@bilevel/solvers';
import { saba } from '@bilevel/solvers';
import type { Snapshot } from '@bilevel/streams';
import { run } from '@bilevel/streams';
import { safeSabaOptions } from '../safe-saba-options';
import type { Finding } from '@bilevel/streams';
import { monitorContext, withMonitors } from '@bilevel/streams';
import { progressMonitor } from './progress-monitor';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 32, nOuter: 32, mu: 0.2, L: 1, seed: 9 });
const safe = safeSabaOptions(problem);
const opts = { seed: 0, maxIter: 2000, sampleEvery: 50 };
const x0 = Float64Array.from({ length: 3 }, () => 2);

async function watch(solver: Solver, snapshots$: Observable<Snapshot> = run(problem, solver, { ...opts, x0 })): Promise<Finding[]> {
  const m = withMonitors(snapshots$, monitorContext(problem, solver, opts), [progressMonitor({ every: 1, window: 4 })]);
  const findings = lastValueFrom(m.findings$.pipe(toArray()));
  await lastValueFrom(m.snapshots$);
  return findings;
}

test('good SABA run: h falls, no warning', async () => {
  const findings = await watch(saba({ ...safe, innerStep: 2 * safe.innerStep, outerStep: 4 * safe.outerStep }));
  const h = findings.filter((f) => f.level === 'info').map((f) => f.value!);
  assert.equal(h.length, 41);
  assert.ok(h.at(-1)! < h[0] - 0.5 * (h[0] - problem.solution().value), `h ${h[0]} → ${h.at(-1)}, h* ${problem.solution().value}`);
  assert.deepEqual(findings.filter((f) => f.level !== 'info'), []);
});

test('an outer step so small that h does not move is a plateau warning', async () => {
  const findings = await watch(saba({ ...safe, outerStep: 1e-9 }));
  const warnings = findings.filter((f) => f.level === 'warning');
  assert.ok(warnings.length >= 1);
  assert.equal(warnings[0].iteration, 150, 'as soon as the first window of 4 evaluations is full');
  assert.match(warnings[0].message, /plateau/);
});

test('x moving away from x* is a rise warning', async () => {
  const star = problem.solution().x;
  const away$ = run(problem, saba(safe), opts).pipe(map((s) => ({ ...s, x: Float64Array.from(star, (v) => v + s.iteration / 1000) })));
  const findings = await watch(saba(safe), away$);
  const warnings = findings.filter((f) => f.level === 'warning');
  assert.ok(warnings.length >= 1);
  assert.match(warnings[0].message, /h rose/);
  assert.ok(warnings[0].value! < 0);
});

test('options are validated', () => {
  assert.throws(() => progressMonitor({ window: 1 }), /progressMonitor: window must be an integer ≥ 2, received 1/);
  assert.throws(() => progressMonitor({ minDecrease: -1 }), /progressMonitor: minDecrease must be a positive finite number, received -1/);
});
