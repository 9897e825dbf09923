// The run driver: bit-for-bit agreement with the plain loop under every schedule, replay from a seed,
// cancellation, errors and divergence, and solver time that excludes the subscribers' time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import { saba, soba } from '@bilevel/solvers';
import { run } from './run';
import { runLoop } from './run-loop';
import { DivergenceError } from './divergence-error';
import type { Snapshot } from './snapshot';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 24, nOuter: 20, seed: 5 });
const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const sameState = (a: Snapshot, b: Snapshot) => sameBits(a.z, b.z) && sameBits(a.v, b.v) && sameBits(a.x, b.x);

for (const schedule of ['jacobi', 'gauss-seidel', 'multi-rate:3', 'multi-rate:2:gauss-seidel']) {
  test(`streams and the plain loop agree to the bit (${schedule})`, async () => {
    const solver = saba({ batchSize: 4, innerStep: 0.2, outerStep: 0.05 });
    const opts = { seed: 11, maxIter: 300, sampleEvery: 50, schedule };
    const fromLoop: Snapshot[] = [];
    runLoop(problem, solver, opts, (s) => fromLoop.push(s));
    const fromStreams = await lastValueFrom(run(problem, solver, opts).pipe(toArray()));
    assert.deepEqual(fromStreams.map((s) => s.iteration), [0, 50, 100, 150, 200, 250, 300]);
    assert.deepEqual(fromLoop.map((s) => s.iteration), [0, 50, 100, 150, 200, 250, 300]);
    fromStreams.forEach((s, i) => assert.ok(sameState(s, fromLoop[i]), `snapshot ${i} differs`));
    fromStreams.forEach((s, i) => assert.deepEqual(s.counts, fromLoop[i].counts));
    const period = schedule.startsWith('multi-rate:3') ? 3 : schedule.startsWith('multi-rate:2') ? 2 : 1;
    assert.equal(fromStreams.at(-1)!.tick, 300 * period);
    assert.equal(fromStreams.at(-1)!.counts.inner.innerGrad, 300 * period, 'one inner gradient per inner step');
  });
}

test('same seed, same trajectory to the bit; another seed, another trajectory', async () => {
  const solver = soba({ batchSize: 4 });
  const a = await lastValueFrom(run(problem, solver, { seed: 3, maxIter: 200, sampleEvery: 20 }).pipe(toArray()));
  const b = await lastValueFrom(run(problem, solver, { seed: 3, maxIter: 200, sampleEvery: 20 }).pipe(toArray()));
  const c = await lastValueFrom(run(problem, solver, { seed: 4, maxIter: 200, sampleEvery: 20 }).pipe(toArray()));
  assert.ok(a.every((s, i) => sameState(s, b[i])));
  assert.ok(!sameState(a.at(-1)!, c.at(-1)!));
});

test('snapshots carry oracle counts per stream: SABA takes one of each per step', async () => {
  const last = await lastValueFrom(run(problem, saba({ batchSize: 5 }), { maxIter: 40 }));
  const { inner, linsys, outer, total } = last.counts;
  assert.equal(inner.innerGrad, 40);
  assert.equal(linsys.hvp, 40);
  assert.equal(linsys.outerGradZ, 40);
  assert.equal(outer.cross, 40);
  assert.equal(outer.outerGradX, 40);
  assert.equal(total.innerGrad + total.hvp + total.cross + total.outerGradZ + total.outerGradX, 200);
  // batches of 24 samples into ceil(24/5)=5 blocks of 4-5 samples: 40 steps visit 8 full epochs = 192 samples
  assert.equal(inner.innerSamples, 8 * 24);
  assert.equal(last.final, true);
  assert.equal(last.reason, 'max-iter');
});

/** Wraps a problem so that an oracle can be made to throw or counted. */
function instrumented(base: BilevelProblem, hooks: { hvp?: (n: number) => void }): BilevelProblem & { calls: number } {
  const wrapped = Object.create(base) as BilevelProblem & { calls: number };
  wrapped.calls = 0;
  wrapped.innerHvp = (z, x, v, batch, out) => {
    wrapped.calls++;
    hooks.hvp?.(wrapped.calls);
    base.innerHvp(z, x, v, batch, out);
  };
  return wrapped;
}

test('an oracle that throws ends the run with that error', async () => {
  const failing = instrumented(problem, {
    hvp: (n) => {
      if (n === 57) throw new Error('HVP oracle failed on batch 57');
    },
  });
  await assert.rejects(lastValueFrom(run(failing, saba({ batchSize: 4 }), { maxIter: 1000 })), /HVP oracle failed on batch 57/);
  assert.equal(failing.calls, 57, 'no oracle call after the failure');
});

test('unsubscribing early cancels the run: no step is taken afterwards', async () => {
  const p = instrumented(problem, {});
  const first = await firstValueFrom(run(p, saba({ batchSize: 4 }), { maxIter: 10_000_000, sampleEvery: 10, yieldMs: 1 }).pipe(take(3)));
  assert.equal(first.iteration, 0);
  const callsAtStop = p.calls;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(p.calls, callsAtStop);
  assert.ok(callsAtStop < 1_000_000);
});

test('a diverging run stops at the first non-finite iterate and reports the last finite state', async () => {
  const err = await lastValueFrom(run(problem, saba({ batchSize: 4, innerStep: 50, outerStep: 50 }), { maxIter: 100_000 })).then(
    () => assert.fail('expected divergence'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DivergenceError, String(err));
  const { lastFinite } = err;
  for (const a of [lastFinite.z, lastFinite.v, lastFinite.x]) assert.ok(a.every(Number.isFinite));
  assert.ok(err.version >= 1);
  assert.match(err.message, /non-finite/);
});

test('solver seconds exclude the time subscribers spend on snapshots', async () => {
  const wall0 = performance.now();
  let last: Snapshot | undefined;
  await new Promise<void>((resolve, reject) =>
    run(problem, saba({ batchSize: 4 }), { maxIter: 200, sampleEvery: 20 }).subscribe({
      next: (s) => {
        last = s;
        const until = performance.now() + 20; // a slow evaluation
        while (performance.now() < until);
      },
      error: reject,
      complete: resolve,
    }),
  );
  const wall = (performance.now() - wall0) / 1000;
  // the subscriber spent at least 11 × 20 ms of wall time, whatever the load: solver seconds leave all of it out
  // (a relation between the two clocks, true on a busy machine too, not a bound on either)
  assert.equal(last!.iteration, 200);
  assert.ok(last!.solverSeconds <= wall - 0.22, `solver seconds ${last!.solverSeconds} of ${wall} s wall should not include 0.22 s of evaluation`);
});

test('maxSeconds stops the run on solver time', async () => {
  const last = await lastValueFrom(run(problem, saba({ batchSize: 4 }), { maxIter: 100_000_000, maxSeconds: 0.05 }));
  assert.equal(last.reason, 'max-seconds');
  // it stops at the first clock reading past the budget; the upper bound only guards against a run that ignores it
  // (10⁸ iterations take minutes), not a timing, so a busy machine cannot fail it
  assert.ok(last.solverSeconds >= 0.05 && last.solverSeconds < 30, `stopped at ${last.solverSeconds} s`);
  assert.ok(last.iteration < 100_000_000);
});

test('bad options are refused up front with the field and value', () => {
  assert.throws(() => run(problem, saba(), { maxIter: -1 }), /run: maxIter must be an integer ≥ 0, received -1/);
  assert.throws(() => run(problem, saba(), { x0: new Float64Array(2) }), /run: x0 has length 2, expected 3/);
  assert.throws(() => run(problem, saba(), { schedule: 'nope' }), /unknown schedule "nope"/);
});

test('aux published by a step reaches the readers of that version, and diagnostics reach the snapshots', async () => {
  // inner publishes {from: n} with z_{n+1}; under gauss-seidel the linsys step n reads z_{n+1}, so it must see n
  const seen: number[] = [];
  const base = saba({ batchSize: 4 });
  const solver = {
    ...base,
    inner: {
      stream: 'inner' as const,
      init: (p: BilevelProblem, r: Parameters<typeof base.inner.init>[1]) => ({ inner: base.inner.init(p, r), calls: 0 }),
      step(s: { inner: unknown; calls: number }, reads: Parameters<typeof base.inner.step>[1], n: number, out: Float64Array) {
        base.inner.step(s.inner, reads, n, out);
        s.calls++;
        return { from: n };
      },
      diagnostics: (s: { calls: number }) => ({ calls: s.calls }),
    },
    linsys: {
      ...base.linsys,
      step(s: unknown, reads: Parameters<typeof base.linsys.step>[1], n: number, out: Float64Array) {
        seen.push((reads.aux?.z as { from: number } | undefined)?.from ?? -1);
        return base.linsys.step(s, reads, n, out);
      },
    },
  };
  const last = await lastValueFrom(run(problem, solver, { maxIter: 5, schedule: 'gauss-seidel' }));
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  assert.deepEqual(last.diagnostics.inner, { calls: 5 });
  seen.length = 0;
  const loopLast = runLoop(problem, solver, { maxIter: 5, schedule: 'gauss-seidel' });
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  assert.ok(sameState(last, loopLast));
});
