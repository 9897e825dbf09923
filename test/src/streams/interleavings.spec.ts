// Issue 9, deliverable 3: the coupling of the three streams (inner z, linear system v, outer x) checked under
// randomly interleaved asynchronous emissions, against the schedules' documented contract (expected-contract.ts).
//
// How asynchrony is injected. coupleStreams(clock$, steps, schedule, init) is the level the library exposes: the
// steps are synchronous functions and the three variables are internal subjects, so a version cannot be delayed
// between its producer and its readers. What can be made asynchronous is the clock: coupleStreams subscribes to it
// once per stream (inner, linsys, outer), so a cold clock gives each stream its own tick sequence, delivered at
// times chosen by fast-check (split-clock.ts). A stream then steps when its own tick has come and every version
// it needs has been published, so the streams run ahead of and behind each other in every order the scheduler
// picks, and versions pile up in the zip buffers for as long as the lagging stream waits. The call to start()
// (publication of the versions 0) is interleaved with the ticks too.
//
// Covered: who reads which version under jacobi, gauss-seidel, multi-rate:K and multi-rate:K:gauss-seidel; step
// indices 0, 1, 2, … once each; each version published once (and seen in order when start() precedes the ticks);
// the K-to-1 ratio; bit-for-bit equality of the final state with the synchronous plain loop (runLoop) on a real
// quadratic problem with SABA and SOBA; a model-based run where ticks and start arrive one command at a time and
// a model predicts how far each stream has got.
// Both version storages are exercised ('ring' and 'copy'): the schedules' own coupling keeps every read within
// the 3-slot ring even when a stream lags, which these properties confirm. Mutant schedules (a stale read, a
// missing Gauss-Seidel skip, a wrong rate, a doubled version) are run through the same checks and must be caught.
// Not covered: asynchrony inside a step or between a subject and its readers (the library has no hook for it), run()
// itself (its clock is a single synchronous Subject; run.spec.ts checks it against runLoop), errors and divergence
// under interleavings. A bug these tests found (ticks that arrive before start() made the steps run re-entrantly inside
// start(), so subscribers of x$ saw the versions in reverse order) is fixed; the regression test is at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { quadraticProblem } from '@bilevel/problems';
import type { StreamName } from '@bilevel/solvers';
import { saba, soba } from '@bilevel/solvers';
import type { Schedule, Variable, Version } from '@bilevel/streams';
import { coupleStreams, countsSnapshot, gaussSeidel, jacobi, multiRate, parseSchedule, prepare, runLoop } from '@bilevel/streams';
import type { MonoTypeOperatorFunction } from 'rxjs';
import { NEVER, concat, concatMap, from, map, range } from 'rxjs';
import type { ScheduleContract } from './expected-contract';
import { OWN, expectedContract } from './expected-contract';
import type { StepEvent } from './probe-steps';
import { probeInit, probeSteps } from './probe-steps';
import { checkInterleaving } from './check-interleaving';
import { manualClock, scheduledClock } from './split-clock';

const SPECS = ['jacobi', 'gauss-seidel', 'multi-rate:3', 'multi-rate:2:gauss-seidel', 'multi-rate:1'] as const;
const STREAMS: readonly StreamName[] = ['inner', 'linsys', 'outer'];
/** Runs per schedule of each property: 5 schedules × (140 + 60) + 4 × 40 = 1,160 generated schedules, plus mutants. */
const RUNS = { scheduled: 140, model: 60, real: 40 } as const;
const SEED = 20261123;

type Published = Record<Variable, { k: number; value: number }[]>;

/** Wires the probe steps to `clock$` and records every published version (number and value at publication). */
function probeCoupling(
  contract: ScheduleContract,
  clock$: Parameters<typeof coupleStreams>[0],
  buffers: 'copy' | 'ring' = 'copy',
  schedule: Schedule = parseSchedule(contract.spec),
) {
  const log: StepEvent[] = [];
  const c = coupleStreams(clock$, probeSteps(log), schedule, probeInit(), { buffers });
  const published: Published = { z: [], v: [], x: [] };
  const errors: unknown[] = [];
  for (const w of ['z', 'v', 'x'] as const) {
    const src = w === 'z' ? c.z$ : w === 'v' ? c.v$ : c.x$;
    c.subscription.add(src.subscribe({ next: (ver) => published[w].push({ k: ver.k, value: ver.value[0] }), error: (e) => errors.push(e) }));
  }
  return { c, log, published, errors };
}

/** Ticks that take every stream through `outerSteps` outer steps. */
const ticksFor = (contract: ScheduleContract, outerSteps: number) => {
  const t = outerSteps * contract.period;
  return { inner: t, linsys: t, outer: t };
};

/** One scheduled interleaving of the probe coupling; resolves with what the run recorded. */
async function scheduledProbeRun(s: fc.Scheduler, contract: ScheduleContract, outerSteps: number, buffers: 'copy' | 'ring', schedule?: Schedule) {
  const ticks = ticksFor(contract, outerSteps);
  const { clock$, done, delivered } = scheduledClock(s, ticks);
  const run = probeCoupling(contract, clock$, buffers, schedule);
  let ticksBeforeStart = 0;
  const started = s.schedule(Promise.resolve(), 'start').then(() => {
    ticksBeforeStart = delivered();
    run.c.start();
  });
  await s.waitFor(Promise.all([done, started]));
  run.c.subscription.unsubscribe();
  // every interleaving publishes in order, ticks before start() included (fixed in couple-streams.ts: trampolined publication)
  return { ...run, ticks, ordered: ticksBeforeStart >= 0 };
}

for (const spec of SPECS) {
  const contract = expectedContract(spec);

  test(`${spec}: under ${RUNS.scheduled} scheduler-chosen interleavings of the three clocks, every step reads the contract's versions, once each`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 1, max: 6 }), fc.constantFrom('ring' as const, 'copy' as const), async (s, outerSteps, buffers) => {
        const { log, published, errors, ticks, ordered } = await scheduledProbeRun(s, contract, outerSteps, buffers);
        assert.deepEqual(errors, []);
        const expected = { inner: contract.stepsAfter('inner', ticks.inner), linsys: contract.stepsAfter('linsys', ticks.linsys), outer: outerSteps };
        assert.equal(contract.stepsAfter('outer', ticks.outer), outerSteps);
        checkInterleaving(contract, log, published, expected, ordered);
      }),
      { seed: SEED, numRuns: RUNS.scheduled },
    );
  });

  test(`${spec}: model-based, ${RUNS.model} command sequences of single ticks and start, the streams advance exactly as the model predicts`, () => {
    interface Model {
      started: boolean;
      /** Whether a tick came before start (then subscribers may see versions out of order: the known bug below). */
      early: boolean;
      ticks: Record<StreamName, number>;
    }
    interface Real {
      clock: ReturnType<typeof manualClock>;
      run: ReturnType<typeof probeCoupling>;
    }
    /** Steps each stream must have taken: the least fixpoint of "step when the tick and every read version are in". */
    const predicted = (m: Model): Record<StreamName, number> => {
      const n: Record<StreamName, number> = { inner: 0, linsys: 0, outer: 0 };
      if (!m.started) return n;
      const count = (w: Variable) => n[STREAMS.find((s) => OWN[s] === w) as StreamName];
      for (let changed = true; changed; ) {
        changed = false;
        for (const s of STREAMS) {
          if (n[s] < contract.stepsAfter(s, m.ticks[s]) && (['z', 'v', 'x'] as const).every((w) => contract.read(s, w, n[s]) <= count(w))) {
            n[s]++;
            changed = true;
          }
        }
      }
      return n;
    };
    const compare = (m: Model, r: Real) => {
      const want = predicted(m);
      if (!m.started) {
        assert.deepEqual(r.run.log, [], 'no step before start');
        return;
      }
      assert.deepEqual(r.run.errors, []);
      checkInterleaving(contract, r.run.log, r.run.published, want, true);
    };
    class Tick implements fc.Command<Model, Real> {
      constructor(readonly stream: StreamName) {}
      check = () => true;
      run(m: Model, r: Real) {
        m.ticks[this.stream]++;
        m.early ||= !m.started;
        r.clock.tick(this.stream);
        compare(m, r);
      }
      toString = () => `tick(${this.stream})`;
    }
    class Start implements fc.Command<Model, Real> {
      check = (m: Readonly<Model>) => !m.started;
      run(m: Model, r: Real) {
        m.started = true;
        r.run.c.start();
        compare(m, r);
      }
      toString = () => 'start';
    }
    const commands = [
      fc.constantFrom(...STREAMS).map((s) => new Tick(s)),
      fc.constant(new Start()),
    ];
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60 }), (cmds) => {
        const clock = manualClock();
        const run = probeCoupling(contract, clock.clock$);
        const setup = () => ({ model: { started: false, early: false, ticks: { inner: 0, linsys: 0, outer: 0 } }, real: { clock, run } });
        fc.modelRun(setup, cmds);
        run.c.subscription.unsubscribe();
      }),
      { seed: SEED, numRuns: RUNS.model },
    );
  });
}

const problem = quadraticProblem({ dimZ: 5, dimX: 3, nInner: 20, nOuter: 16, seed: 9 });
const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

for (const spec of ['jacobi', 'gauss-seidel', 'multi-rate:3', 'multi-rate:2:gauss-seidel'] as const) {
  const contract = expectedContract(spec);
  const solver = spec.startsWith('multi-rate') ? soba({ batchSize: 4 }) : saba({ batchSize: 4, innerStep: 0.2, outerStep: 0.05 });
  test(`${spec}: on a quadratic problem with ${solver.name}, ${RUNS.real} interleavings end on the synchronous loop's state to the bit`, async () => {
    const maxIter = 8;
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 0, max: 1000 }), fc.constantFrom('ring' as const, 'copy' as const), async (s, seed, buffers) => {
        const opts = { seed, maxIter, schedule: spec, buffers };
        const reference = runLoop(problem, solver, opts);
        const prep = prepare('interleavings', problem, solver, opts);
        const { clock$, done } = scheduledClock(s, ticksFor(contract, maxIter));
        const c = coupleStreams(clock$, prep.steps, prep.schedule, prep.init, { buffers });
        const errors: unknown[] = [];
        for (const v$ of [c.z$, c.v$, c.x$]) c.subscription.add(v$.subscribe({ error: (e) => errors.push(e) }));
        const started = s.schedule(Promise.resolve(), 'start').then(() => c.start());
        await s.waitFor(Promise.all([done, started]));
        c.subscription.unsubscribe();
        assert.deepEqual(errors, []);
        assert.equal(c.latest('x').k, maxIter);
        assert.equal(c.latest('z').k, maxIter * contract.period);
        assert.equal(c.latest('v').k, maxIter * contract.period);
        for (const w of ['z', 'v', 'x'] as const) assert.ok(sameBits(c.latest(w).value, reference[w]), `${w} differs from runLoop's`);
        assert.deepEqual(countsSnapshot(prep.counts), reference.counts);
      }),
      { seed: SEED, numRuns: RUNS.real },
    );
  });
}

/** A schedule with one view replaced (reads is not used by coupleStreams, so only the view matters). */
function mutant(base: Schedule, stream: StreamName, variable: Variable, view: MonoTypeOperatorFunction<Version>): Schedule {
  return { ...base, name: `${base.name} (mutant)`, view: (s, w) => (s === stream && w === variable ? view : base.view(s, w)) };
}
/** Reads version t − 1 at step t (version 0 twice at the start). */
const stale: MonoTypeOperatorFunction<Version> = (src) => {
  let previous: Version | undefined;
  return src.pipe(
    map((ver) => {
      const read = previous ?? ver;
      previous = ver;
      return read;
    }),
  );
};
const MUTANTS: { what: string; spec: string; schedule: Schedule }[] = [
  { what: 'jacobi, outer reads z_{t−1}', spec: 'jacobi', schedule: mutant(jacobi(), 'outer', 'z', stale) },
  { what: 'gauss-seidel, outer reads v_t instead of v_{t+1}', spec: 'gauss-seidel', schedule: mutant(gaussSeidel(), 'outer', 'v', (src) => src) },
  { what: 'multi-rate:3, outer reads z every 2 inner steps', spec: 'multi-rate:3', schedule: mutant(multiRate({ k: 3 }), 'outer', 'z', multiRate({ k: 2 }).view('outer', 'z')) },
  {
    what: 'multi-rate:2:gauss-seidel, linsys reads each z twice',
    spec: 'multi-rate:2:gauss-seidel',
    schedule: mutant(multiRate({ k: 2, inner: 'gauss-seidel' }), 'linsys', 'z', (src) => src.pipe(concatMap((v) => from([v, v])))),
  },
];

for (const { what, spec, schedule } of MUTANTS) {
  test(`the checks can fail: mutant "${what}" is caught`, async () => {
    const contract = expectedContract(spec);
    const result = await fc.check(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const { log, published, ticks, ordered } = await scheduledProbeRun(s, contract, 3, 'copy', schedule);
        const expected = { inner: ticks.inner, linsys: ticks.linsys, outer: 3 };
        checkInterleaving(contract, log, published, expected, ordered);
      }),
      { seed: SEED, numRuns: 20 },
    );
    assert.ok(result.failed, `mutant "${what}" survived 20 interleavings`);
  });
}

test('the checks can fail: on the quadratic problem, a stale read (outer reads z_{t−1} under jacobi) leaves runLoop\'s bits', async () => {
  const solver = saba({ batchSize: 4, innerStep: 0.2, outerStep: 0.05 });
  const opts = { seed: 1, maxIter: 8, schedule: 'jacobi' };
  const reference = runLoop(problem, solver, opts);
  const prep = prepare('interleavings', problem, solver, opts);
  const sync = manualClock();
  const c = coupleStreams(sync.clock$, prep.steps, mutant(jacobi(), 'outer', 'z', stale), prep.init);
  c.start();
  for (let t = 0; t < 8; t++) for (const s of STREAMS) sync.tick(s);
  c.subscription.unsubscribe();
  assert.equal(c.latest('x').k, 8);
  assert.ok(!sameBits(c.latest('x').value, reference.x), 'the stale read must change x');
});

// Regression: when ticks reach the clock before start() (a synchronous or already-ticking clock), start() used to
// publish x_0 and, inside that publication, the outer stream stepped and published x_1, x_2, … re-entrantly, so
// subscribers after the zips received x_3, x_2, x_1, x_0. couple-streams.ts now publishes through a trampoline
// (observeOn(queueScheduler), and start()'s three next() calls inside queueScheduler.schedule).
test('regression: ticks before start() still reach x$ subscribers in order', () => {
  const log: StepEvent[] = [];
  const c = coupleStreams(concat(range(0, 3), NEVER), probeSteps(log), jacobi(), probeInit());
  const seen: number[] = [];
  c.subscription.add(c.x$.subscribe((ver) => seen.push(ver.k)));
  c.start();
  c.subscription.unsubscribe();
  assert.equal(log.length, 9, 'three steps of each stream');
  assert.deepEqual(seen, [0, 1, 2, 3]);
});
