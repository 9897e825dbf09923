// The threaded jacobi run: the same snapshots as one thread to the bit (iterates, counts, diagnostics), other
// schedules in their order, and one clear error for what it does not support.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { run } from './run';
import type { Snapshot } from './snapshot';
import type { QuadraticFixtureArgs } from './thread-fixture';
import { quadraticFixture } from './thread-fixture';

const source = (args: QuadraticFixtureArgs) => ({ module: new URL('./thread-fixture.ts', import.meta.url).href, name: 'quadraticFixture', args });
const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const same = (a: Snapshot, b: Snapshot) => sameBits(a.z, b.z) && sameBits(a.v, b.v) && sameBits(a.x, b.x);

for (const solverName of ['saba', 'soba'] as const) {
  for (const threads of [2, 3]) {
    test(`${threads} threads give the single-thread snapshots to the bit (${solverName}, jacobi)`, async () => {
      const args = { problemSeed: 5, solver: solverName };
      const { problem, solver } = quadraticFixture(args);
      const opts = { seed: 11, maxIter: 300, sampleEvery: 50 };
      const one = await lastValueFrom(run(problem, solver, opts).pipe(toArray()));
      const many = await lastValueFrom(run(problem, solver, { ...opts, threads, rebuild: source(args) }).pipe(toArray()));
      assert.deepEqual(many.map((s) => s.iteration), [0, 50, 100, 150, 200, 250, 300]);
      assert.equal(many.length, one.length);
      many.forEach((s, i) => assert.ok(same(s, one[i]), `snapshot ${i} differs`));
      many.forEach((s, i) => assert.deepEqual(s.counts, one[i].counts));
      many.forEach((s, i) => assert.deepEqual(s.diagnostics, one[i].diagnostics));
      assert.equal(many.at(-1)!.reason, 'max-iter');
    });
  }
}

test('the check detects a worker whose rebuilt problem differs (another problem seed)', async () => {
  const { problem, solver } = quadraticFixture({ problemSeed: 5, solver: 'saba' });
  const opts = { seed: 11, maxIter: 50, sampleEvery: 50 };
  const one = await lastValueFrom(run(problem, solver, opts));
  const other = await lastValueFrom(run(problem, solver, { ...opts, threads: 3, rebuild: source({ problemSeed: 6, solver: 'saba' }) }));
  assert.ok(!same(one, other));
});

test('another schedule with threads keeps its order on this thread (gauss-seidel: same bits as threads 1)', async () => {
  const args = { problemSeed: 5, solver: 'saba' } as const;
  const { problem, solver } = quadraticFixture(args);
  const opts = { seed: 2, maxIter: 100, sampleEvery: 50, schedule: 'gauss-seidel' };
  const one = await lastValueFrom(run(problem, solver, opts));
  const many = await lastValueFrom(run(problem, solver, { ...opts, threads: 3, rebuild: source(args) }));
  assert.ok(same(one, many));
});

test('a stop request ends a threaded run with a stopped snapshot', async () => {
  const args = { problemSeed: 5, solver: 'saba' } as const;
  const { problem, solver } = quadraticFixture(args);
  const { Subject } = await import('rxjs');
  const stop = new Subject<void>();
  const seen: Snapshot[] = [];
  await new Promise<void>((resolve, reject) =>
    run(problem, solver, { seed: 1, maxIter: Number.MAX_SAFE_INTEGER, sampleEvery: 10, threads: 2, rebuild: source(args), stop }).subscribe({
      next: (s) => {
        seen.push(s);
        if (s.iteration >= 30) stop.next();
      },
      error: reject,
      complete: resolve,
    }),
  );
  assert.equal(seen.at(-1)!.reason, 'stopped');
});

test('bad threads options: one error each, when run is called', () => {
  const { problem, solver } = quadraticFixture({ problemSeed: 5, solver: 'saba' });
  assert.throws(() => run(problem, solver, { threads: 4 }), /run: threads must be 1, 2 or 3.*received 4/);
  assert.throws(() => run(problem, solver, { threads: 1.5 }), /run: threads must be 1, 2 or 3/);
  assert.throws(() => run(problem, solver, { threads: 2 }), /run: threads 2 needs rebuild/);
  const rebuild = source({ problemSeed: 5, solver: 'saba' });
  assert.throws(() => run(problem, solver, { threads: 2, rebuild, checkpoint: { due: () => false, save: () => undefined } }), /threads 2 does not support checkpoint/);
});

test('a rebuild that cannot load ends the run with one error naming the module and function', async () => {
  const { problem, solver } = quadraticFixture({ problemSeed: 5, solver: 'saba' });
  const rebuild = { module: new URL('./thread-fixture.ts', import.meta.url).href, name: 'noSuchFunction' };
  await assert.rejects(lastValueFrom(run(problem, solver, { maxIter: 10, threads: 2, rebuild })), /could not rebuild the problem from .*thread-fixture\.ts#noSuchFunction: .*no exported function "noSuchFunction"/);
});
