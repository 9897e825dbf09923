// Each schedule is described twice: `reads` (a version index per step) and `view` (an RxJS operator on the
// stream of versions). These tests check the two agree, and show the views as marbles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { from, map, toArray } from 'rxjs';
import type { StreamName } from '@bilevel/solvers';
import type { Schedule, Variable, Version } from './schedule';
import { gaussSeidel, jacobi, multiRate, parseSchedule } from './schedule';

const SCHEDULES: Schedule[] = [jacobi(), gaussSeidel(), multiRate({ k: 3 }), multiRate({ k: 2, inner: 'gauss-seidel' }), multiRate({ k: 1 })];
const STREAMS: StreamName[] = ['inner', 'linsys', 'outer'];
const VARS: Variable[] = ['z', 'v', 'x'];

for (const schedule of SCHEDULES) {
  test(`${schedule.name}: view(s, w) emits, as its n-th element, version reads(s, w, n)`, () => {
    const versions: Version[] = Array.from({ length: 40 }, (_, k) => ({ k, value: new Float64Array(0) }));
    for (const s of STREAMS) {
      for (const w of VARS) {
        let seen: number[] = [];
        from(versions)
          .pipe(schedule.view(s, w), map((v) => v.k), toArray())
          .subscribe((ks) => (seen = ks));
        const n = Math.min(seen.length, 10);
        assert.ok(n >= 10, `${s}/${w}: the view must keep producing`);
        for (let i = 0; i < n; i++) assert.equal(seen[i], schedule.reads(s, w, i), `${s} step ${i} reads ${w}`);
      }
    }
  });
}

test('marbles: who reads which version of z (versions a=0, b=1, c=2, …)', () => {
  const ts = new TestScheduler((a, b) => assert.deepEqual(a, b));
  ts.run(({ cold, expectObservable }) => {
    const z$ = cold<Version>('abcdef|', Object.fromEntries('abcdef'.split('').map((c, k) => [c, { k, value: new Float64Array(0) }])));
    const k$ = (op: Schedule['view'], s: StreamName) => z$.pipe(op(s, 'z'), map((v) => 'abcdef'[v.k]));
    // jacobi: every stream reads z_t at its step t
    expectObservable(k$(jacobi().view, 'linsys')).toBe('abcdef|');
    // gauss-seidel: v and x read the new z (z_{t+1}) at step t
    expectObservable(k$(gaussSeidel().view, 'linsys')).toBe('-bcdef|');
    expectObservable(k$(gaussSeidel().view, 'outer')).toBe('-bcdef|');
    // multi-rate k=2: x's step s reads z_{2(s+1)}
    expectObservable(k$(multiRate({ k: 2 }).view, 'outer')).toBe('--c-e-|');
  });
  new TestScheduler((a, b) => assert.deepEqual(a, b)).run(({ cold, expectObservable }) => {
    const x$ = cold<Version>('a-----(b|)', { a: { k: 0, value: new Float64Array(0) }, b: { k: 1, value: new Float64Array(0) } });
    // multi-rate k=3: z reads x_s for its three steps of outer step s
    expectObservable(x$.pipe(multiRate({ k: 3 }).view('inner', 'x'), map((v) => 'ab'[v.k]))).toBe('(aaa)-(bbb|)');
  });
});

test('steps: multi-rate steps x once every k ticks, on the last tick of each cycle', () => {
  const m = multiRate({ k: 3 });
  assert.deepEqual(Array.from({ length: 7 }, (_, t) => m.steps('outer', t)), [false, false, true, false, false, true, false]);
  assert.ok([0, 1, 2].every((t) => m.steps('inner', t) && m.steps('linsys', t)));
});

test('parseSchedule accepts the documented names and refuses others', () => {
  assert.equal(parseSchedule('jacobi').name, 'jacobi');
  assert.equal(parseSchedule('gauss-seidel').name, 'gauss-seidel');
  assert.equal(parseSchedule('multi-rate:4').period, 4);
  assert.equal(parseSchedule('multi-rate:2:gauss-seidel').name, 'multi-rate(2, gauss-seidel)');
  assert.throws(() => parseSchedule('async'), /unknown schedule "async"; expected jacobi, gauss-seidel or multi-rate:K/);
  assert.throws(() => multiRate({ k: 0 }), /k must be a positive integer, received 0/);
});
