// Marble tests of the wiring: a probe step publishes its version number and records which versions it read, so
// the marbles show, tick by tick, who reads what under each schedule. Also: unsubscribe stops the streams, and a
// step that throws ends the streams with that error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import type { Observable } from 'rxjs';
import { Subject, map } from 'rxjs';
import type { StreamName } from '@bilevel/solvers';
import type { BoundStep } from './couple-streams';
import { coupleStreams } from './couple-streams';
import type { Schedule } from './schedule';
import { gaussSeidel, jacobi, multiRate } from './schedule';

/** Steps whose iterate is [its version number], and that report "z1 v0 x0" for the versions they read. */
function probe(failAt?: { stream: StreamName; n: number }) {
  const reads: Record<StreamName, Subject<string>> = { inner: new Subject(), linsys: new Subject(), outer: new Subject() };
  const steps = {} as Record<StreamName, BoundStep>;
  for (const s of ['inner', 'linsys', 'outer'] as const) {
    steps[s] = (r, n, out) => {
      if (failAt && failAt.stream === s && failAt.n === n) throw new Error(`oracle failed in ${s} at step ${n}`);
      reads[s].next(`z${r.z[0]} v${r.v[0]} x${r.x[0]}`);
      out[0] = n + 1;
    };
  }
  return { reads, steps };
}

const init = { z: new Float64Array(1), v: new Float64Array(1), x: new Float64Array(1) };
const ticks = { a: 0, b: 1, c: 2, d: 3, e: 4, f: 5 };

function wire(schedule: Schedule, failAt?: { stream: StreamName; n: number }) {
  const ts = new TestScheduler((a, b) => assert.deepEqual(a, b));
  return { ts, make: (clock$: Observable<number>) => {
    const p = probe(failAt);
    const c = coupleStreams(clock$, p.steps, schedule, init);
    return { ...p, c };
  } };
}

test('jacobi: at tick t every stream reads iterate t of all three', () => {
  const { ts, make } = wire(jacobi());
  ts.run(({ hot, expectObservable }) => {
    const { reads, c } = make(hot<number>('-a-b-c|', ticks));
    expectObservable(reads.inner).toBe('-p-q-r', { p: 'z0 v0 x0', q: 'z1 v1 x1', r: 'z2 v2 x2' });
    expectObservable(reads.linsys).toBe('-p-q-r', { p: 'z0 v0 x0', q: 'z1 v1 x1', r: 'z2 v2 x2' });
    expectObservable(reads.outer).toBe('-p-q-r', { p: 'z0 v0 x0', q: 'z1 v1 x1', r: 'z2 v2 x2' });
    // the streams complete with the clock
    expectObservable(c.x$.pipe(map((v) => v.k))).toBe('-1-2-3|', { 1: 1, 2: 2, 3: 3 });
    c.start();
  });
});

test('gauss-seidel: v reads the new z, x reads the new z and v', () => {
  const { ts, make } = wire(gaussSeidel());
  ts.run(({ hot, expectObservable }) => {
    const { reads, c } = make(hot<number>('-a-b-c|', ticks));
    expectObservable(reads.inner).toBe('-p-q-r', { p: 'z0 v0 x0', q: 'z1 v1 x1', r: 'z2 v2 x2' });
    expectObservable(reads.linsys).toBe('-p-q-r', { p: 'z1 v0 x0', q: 'z2 v1 x1', r: 'z3 v2 x2' });
    expectObservable(reads.outer).toBe('-p-q-r', { p: 'z1 v1 x0', q: 'z2 v2 x1', r: 'z3 v3 x2' });
    c.start();
  });
});

test('multi-rate k=2: z and v take two steps on x_s, then x reads their results', () => {
  const { ts, make } = wire(multiRate({ k: 2 }));
  ts.run(({ hot, expectObservable }) => {
    const { reads, c } = make(hot<number>('-a-b-c-d|', ticks));
    expectObservable(reads.inner).toBe('-p-q-r-s', { p: 'z0 v0 x0', q: 'z1 v1 x0', r: 'z2 v2 x1', s: 'z3 v3 x1' });
    expectObservable(reads.linsys).toBe('-p-q-r-s', { p: 'z0 v0 x0', q: 'z1 v1 x0', r: 'z2 v2 x1', s: 'z3 v3 x1' });
    expectObservable(reads.outer).toBe('---p---q', { p: 'z2 v2 x0', q: 'z4 v4 x1' });
    expectObservable(c.x$.pipe(map((v) => v.k))).toBe('---1---2|', { 1: 1, 2: 2 });
    c.start();
  });
});

test('unsubscribing stops every stream: no step after the unsubscription frame', () => {
  const { ts, make } = wire(jacobi());
  ts.run(({ hot, expectObservable }) => {
    const { reads, c } = make(hot<number>('-a-b-c-d-e|', ticks));
    const steps: string[] = [];
    reads.inner.subscribe((r) => steps.push(r));
    expectObservable(c.z$.pipe(map((v) => v.k)), '^---!').toBe('-1-2', { 1: 1, 2: 2 });
    c.start();
    ts.schedule(() => c.subscription.unsubscribe(), 4);
    ts.schedule(() => assert.deepEqual(steps, ['z0 v0 x0', 'z1 v1 x1']), 9);
  });
});

test('a step that throws ends all three streams with that error', () => {
  const { ts, make } = wire(jacobi(), { stream: 'linsys', n: 2 });
  ts.run(({ hot, expectObservable }) => {
    const { c } = make(hot<number>('-a-b-c-d|', ticks));
    const err = new Error('oracle failed in linsys at step 2');
    expectObservable(c.v$.pipe(map((v) => v.k))).toBe('-1-2-#', { 1: 1, 2: 2 }, err);
    // the inner stream stepped at tick 2 before linsys failed, then ends with the same error
    expectObservable(c.x$.pipe(map((v) => v.k))).toBe('-1-2-#', { 1: 1, 2: 2 }, err);
    c.start();
  });
});
