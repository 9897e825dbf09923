// The monitor operator: snapshots pass unchanged, findings flow in order, strict mode stops the run at the first
// violation, run errors reach onError before they propagate, a throwing monitor is disabled, and monitor time is
// not solver time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { quadraticProblem } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { run } from '../run';
import { DivergenceError } from '../divergence-error';
import type { Snapshot } from '../snapshot';
import type { Finding } from './finding';
import type { Monitor } from './monitor';
import { monitorContext } from './monitor-context';
import { monitorSnapshots } from './monitor-snapshots';
import { MonitorViolationError } from './monitor-violation-error';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 24, nOuter: 20, seed: 5 });
const solver = saba({ batchSize: 4, innerStep: 0.2, outerStep: 0.05 });
const opts = { seed: 1, maxIter: 400, sampleEvery: 50 };
const ctx = monitorContext(problem, solver, opts);

/** A monitor that reports `level` at every snapshot from iteration `from` on, and counts what it saw. */
function flagFrom(name: string, from: number, level: Finding['level']): Monitor & { starts: number; seen: number[] } {
  const m = {
    name,
    description: `${level} from iteration ${from}`,
    starts: 0,
    seen: [] as number[],
    start() {
      m.starts++;
      return {
        onSnapshot: (s: Snapshot) => {
          m.seen.push(s.iteration);
          return s.iteration >= from ? [{ level, monitor: name, iteration: s.iteration, message: 'step too large', value: 0.11, bound: 0.1 }] : [];
        },
      };
    },
  };
  return m;
}

test('snapshots pass unchanged; each subscription starts every monitor once; findings arrive in order', async () => {
  const a = flagFrom('a', 100, 'info');
  const b = flagFrom('b', 300, 'warning');
  const found: Finding[] = [];
  const plain = await lastValueFrom(run(problem, solver, opts).pipe(toArray()));
  const watched = await lastValueFrom(run(problem, solver, opts).pipe(monitorSnapshots(ctx, [a, b], { onFinding: (f) => found.push(f) }), toArray()));
  assert.deepEqual(watched.map((s) => s.iteration), [0, 50, 100, 150, 200, 250, 300, 350, 400]);
  watched.forEach((s, i) => assert.deepEqual(s.x, plain[i].x));
  assert.equal(a.starts, 1);
  assert.deepEqual(a.seen, [0, 50, 100, 150, 200, 250, 300, 350, 400]);
  // per snapshot: a then b; a from 100 (7 snapshots), b from 300 (3)
  assert.deepEqual(found.map((f) => `${f.monitor}@${f.iteration}`), ['a@100', 'a@150', 'a@200', 'a@250', 'a@300', 'b@300', 'a@350', 'b@350', 'a@400', 'b@400']);
});

test('without strict a violation is reported and the run goes on', async () => {
  const found: Finding[] = [];
  const last = await lastValueFrom(run(problem, solver, opts).pipe(monitorSnapshots(ctx, [flagFrom('v', 100, 'violation')], { onFinding: (f) => found.push(f) })));
  assert.equal(last.iteration, 400);
  assert.equal(found.length, 7);
});

test('strict: the first violation passes its snapshot on, then ends the run with MonitorViolationError', async () => {
  const v = flagFrom('theorem', 100, 'violation');
  const seen: number[] = [];
  const err = await new Promise<unknown>((resolve) => {
    run(problem, solver, opts)
      .pipe(monitorSnapshots(ctx, [v], { strict: true }))
      .subscribe({ next: (s) => seen.push(s.iteration), error: resolve, complete: () => resolve(undefined) });
  });
  assert.ok(err instanceof MonitorViolationError);
  assert.equal(err.finding.monitor, 'theorem');
  assert.equal(err.finding.iteration, 100);
  assert.match(err.message, /monitor "theorem" found a violation at iteration 100: step too large \(value 0\.11, bound 0\.1\)/);
  assert.deepEqual(seen, [0, 50, 100]);
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(v.seen, [0, 50, 100], 'the run was unsubscribed: no snapshot after the violation');
});

test('strict: a violation on the first snapshot (delivered during subscribe) stops the run too', async () => {
  const v = flagFrom('v', 0, 'violation');
  await assert.rejects(lastValueFrom(run(problem, solver, opts).pipe(monitorSnapshots(ctx, [v], { strict: true }))), MonitorViolationError);
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(v.seen, [0]);
});

test('a run error reaches onError before it propagates unchanged (strict too)', async () => {
  const found: Finding[] = [];
  const errors: unknown[] = [];
  const m: Monitor = {
    name: 'on-error',
    description: 'reports run errors',
    start: () => ({
      onSnapshot: () => [],
      onError: (err) => {
        errors.push(err);
        return [{ level: 'violation', monitor: 'on-error', iteration: 0, message: String(err) }];
      },
    }),
  };
  const diverging = saba({ batchSize: 4, innerStep: 50, outerStep: 50 });
  const c = monitorContext(problem, diverging, opts);
  await assert.rejects(lastValueFrom(run(problem, diverging, opts).pipe(monitorSnapshots(c, [m], { strict: true, onFinding: (f) => found.push(f) }))), DivergenceError);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof DivergenceError);
  assert.equal(found.length, 1);
});

test('a monitor that throws is reported once as a warning and disabled; the others go on', async () => {
  let calls = 0;
  const broken: Monitor = {
    name: 'broken',
    description: 'throws at iteration 100',
    start: () => ({
      onSnapshot: (s) => {
        calls++;
        if (s.iteration === 100) throw new Error('boom');
      },
    }),
  };
  const ok = flagFrom('ok', 0, 'info');
  const found: Finding[] = [];
  const last = await lastValueFrom(run(problem, solver, opts).pipe(monitorSnapshots(ctx, [broken, ok], { strict: true, onFinding: (f) => found.push(f) })));
  assert.equal(last.iteration, 400);
  assert.equal(calls, 3);
  const warnings = found.filter((f) => f.monitor === 'broken');
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0].level, 'warning');
  assert.equal(warnings[0].iteration, 100);
  assert.match(warnings[0].message, /threw and was disabled: boom/);
  assert.equal(ok.seen.length, 9);
});

test('options are validated up front, naming the function and field', () => {
  const a = flagFrom('a', 0, 'info');
  assert.throws(() => monitorSnapshots(ctx, [a, a]), /monitorSnapshots: monitors\[1\] repeats the name "a"/);
  assert.throws(() => monitorSnapshots(ctx, [a], { strickt: true } as never), /monitorSnapshots: unknown option "strickt"/);
  assert.throws(() => monitorSnapshots(ctx, [a], { strict: 'yes' } as never), /monitorSnapshots: strict must be a boolean, received yes/);
  assert.throws(() => monitorSnapshots(ctx, [{} as Monitor]), /monitorSnapshots: monitors\[0\] must be a Monitor/);
});

/** Busy-waits `ms` milliseconds (a slow monitor). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

test('monitor time is not solver time', async () => {
  // 9 snapshots × 40 ms of monitor work against a run whose solver stretches take a few ms in total
  const MONITOR_MS = 40;
  const slow: Monitor = { name: 'slow', description: 'spins', start: () => ({ onSnapshot: () => busy(MONITOR_MS) }) };
  const t0 = performance.now();
  const last = await lastValueFrom(run(problem, solver, opts).pipe(monitorSnapshots(ctx, [slow])));
  const wall = (performance.now() - t0) / 1000;
  assert.ok(wall >= (9 * MONITOR_MS) / 1000, `wall ${wall}`);
  assert.ok(last.solverSeconds < wall - (8 * MONITOR_MS) / 1000, `solver ${last.solverSeconds} s of ${wall} s wall`);
});
