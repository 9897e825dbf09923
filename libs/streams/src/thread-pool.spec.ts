// Worker threads kept across runs (ThreadPool): runs on one pool give the single-thread snapshots to the bit, seed
// after seed, with the same workers; one run at a time; a run cancelled midway leaves the pool usable; a rebuild that
// fails, a closed pool and conflicting options each give one clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, take, toArray } from 'rxjs';
import { run } from './run';
import type { Snapshot } from './snapshot';
import type { QuadraticFixtureArgs } from './thread-fixture';
import { quadraticFixture } from './thread-fixture';
import { ThreadPool } from './thread-pool';

const source = (args: QuadraticFixtureArgs, name = 'quadraticFixture') => ({ module: new URL('./thread-fixture.ts', import.meta.url).href, name, args });
const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const same = (a: Snapshot, b: Snapshot) => sameBits(a.z, b.z) && sameBits(a.v, b.v) && sameBits(a.x, b.x);

for (const threads of [2, 3]) {
  test(`runs on one pool of ${threads} threads: the single-thread snapshots to the bit, seed after seed, on the same workers`, async () => {
    const args = { problemSeed: 5, solver: 'saba' } as const;
    const { problem, solver } = quadraticFixture(args);
    const pool = new ThreadPool({ threads, rebuild: source(args) });
    try {
      const workers = await pool.start();
      assert.equal(workers.length, threads - 1);
      for (const seed of [3, 4, 3]) {
        const opts = { seed, maxIter: 120, sampleEvery: 40 };
        const one = await lastValueFrom(run(problem, solver, opts).pipe(toArray()));
        const many = await lastValueFrom(run(problem, solver, { ...opts, pool }).pipe(toArray()));
        assert.equal(many.length, one.length);
        many.forEach((s, i) => assert.ok(same(s, one[i]), `seed ${seed}, snapshot ${i} differs`));
        many.forEach((s, i) => assert.deepEqual(s.counts, one[i].counts));
        many.forEach((s, i) => assert.deepEqual(s.diagnostics, one[i].diagnostics));
      }
      assert.equal(await pool.start(), workers, 'the pool kept its workers');
    } finally {
      await pool.close();
    }
  });
}

test('one run at a time on a pool; a run cancelled midway leaves it usable', async () => {
  const args = { problemSeed: 5, solver: 'saba' } as const;
  const { problem, solver } = quadraticFixture(args);
  const pool = new ThreadPool({ threads: 2, rebuild: source(args) });
  try {
    await pool.start();
    const long = run(problem, solver, { seed: 1, maxIter: Number.MAX_SAFE_INTEGER, sampleEvery: 10, pool });
    // the first run holds the pool from its subscription: a second one fails at once
    const firstThree = lastValueFrom(long.pipe(take(3), toArray()));
    const second = lastValueFrom(run(problem, solver, { seed: 2, maxIter: 10, pool }));
    await assert.rejects(second, /run: the thread pool is in use by another run/);
    assert.equal((await firstThree).length, 3); // take(3) unsubscribes: the run is cancelled midway
    const opts = { seed: 2, maxIter: 60, sampleEvery: 30 };
    const after = await lastValueFrom(run(problem, solver, { ...opts, pool }));
    assert.ok(same(after, await lastValueFrom(run(problem, solver, opts))), 'the next run on the pool gives the single-thread bits');
  } finally {
    await pool.close();
  }
});

test('a pool whose rebuild fails, a closed pool, and conflicting options: one error each', async () => {
  const { problem, solver } = quadraticFixture({ problemSeed: 5, solver: 'saba' });
  const broken = new ThreadPool({ threads: 2, rebuild: source({ problemSeed: 5, solver: 'saba' }, 'noSuchFunction') });
  for (let k = 0; k < 2; k++) {
    await assert.rejects(lastValueFrom(run(problem, solver, { maxIter: 10, pool: broken })), /run: a worker thread could not rebuild the problem from .*thread-fixture\.ts#noSuchFunction: .*no exported function "noSuchFunction"/);
  }
  await broken.close();
  const rebuild = source({ problemSeed: 5, solver: 'saba' });
  const pool = new ThreadPool({ threads: 2, rebuild });
  await pool.close();
  await assert.rejects(lastValueFrom(run(problem, solver, { maxIter: 10, pool })), /run: the thread pool is closed/);
  assert.throws(() => new ThreadPool({ threads: 4, rebuild }), /ThreadPool: threads must be 2 or 3.*received 4/);
  assert.throws(() => new ThreadPool({ threads: 2 } as never), /ThreadPool: rebuild must be \{ module, name, args\? \}/);
  assert.throws(() => run(problem, solver, { pool, threads: 3 }), /run: threads 3 differs from the pool's 2/);
  assert.throws(() => run(problem, solver, { pool, rebuild: { ...rebuild } }), /run: give rebuild or pool, not both/);
  assert.throws(() => run(problem, solver, { pool: {} as never }), /run: pool must be a ThreadPool/);
});

test('closing a pool ends the run on it with an error, whether its workers are stepping or still rebuilding', async () => {
  const args = { problemSeed: 5, solver: 'saba' } as const;
  const { problem, solver } = quadraticFixture(args);
  const stepping = new ThreadPool({ threads: 2, rebuild: source(args) });
  await stepping.start();
  const seen: number[] = [];
  await assert.rejects(
    new Promise<void>((resolve, reject) =>
      run(problem, solver, { seed: 1, maxIter: Number.MAX_SAFE_INTEGER, sampleEvery: 10, pool: stepping }).subscribe({
        next: (s) => {
          seen.push(s.iteration);
          if (s.iteration === 20) void stepping.close();
        },
        error: reject,
        complete: resolve,
      }),
    ),
    /run: the thread pool was closed during the run/,
  );
  assert.equal(seen.at(-1), 20, 'no snapshot after the close');
  const rebuilding = new ThreadPool({ threads: 3, rebuild: source(args) });
  const pending = assert.rejects(lastValueFrom(run(problem, solver, { maxIter: 10, pool: rebuilding })), /run: the thread pool was closed during the run/);
  await rebuilding.close();
  await pending;
});

test('a pool whose workers rebuilt another solver refuses the run (the workers would step other rules)', async () => {
  const { problem, solver } = quadraticFixture({ problemSeed: 5, solver: 'saba' });
  const pool = new ThreadPool({ threads: 2, rebuild: source({ problemSeed: 5, solver: 'soba' }) });
  try {
    await assert.rejects(lastValueFrom(run(problem, solver, { maxIter: 10, pool })), /run: the worker threads rebuilt another solver or problem than the run's \(theirs .*"solver":"soba".*the run's .*"solver":"saba"/);
    // the pool stays usable for runs of what it rebuilt
    const soba = quadraticFixture({ problemSeed: 5, solver: 'soba' });
    const opts = { seed: 3, maxIter: 40, sampleEvery: 20 };
    assert.ok(same(await lastValueFrom(run(soba.problem, soba.solver, { ...opts, pool })), await lastValueFrom(run(soba.problem, soba.solver, opts))));
  } finally {
    await pool.close();
  }
});
