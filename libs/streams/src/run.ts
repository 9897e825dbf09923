import { Observable } from 'rxjs';
import { Multicast } from './multicast';
import { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { OracleCounts, Solver, StreamName } from '@bilevel/solvers';
import { addCounts, countingProblem, emptyCounts } from '@bilevel/solvers';
import type { BoundStep } from './couple-streams';
import { coupleStreams } from './couple-streams';
import type { Schedule, Variable } from './schedule';
import { parseSchedule } from './schedule';
import type { StateTree } from './state-capture';
import type { CheckpointOptions, RunState } from './run-state';
import { captureRunState, checkResumable, restoredAux, runIdentity } from './run-state';
import { captureState, restoreState } from './state-capture';
import type { Snapshot, StopReason } from './snapshot';
import type { ThreadSource } from './thread-layout';
import type { ThreadPool } from './thread-pool';
import { checkThreads, runThreads } from './run-threads';

/** The name of the schedule a run will use. */
function parseScheduleOf(options: RunOptions, solver: Solver): string {
  return typeof options.schedule === 'string' ? parseSchedule(options.schedule).name : (options.schedule ?? parseSchedule(solver.schedule)).name;
}

/** Options of {@link run}, with their defaults. */
export interface RunOptions {
  /** Seed of the run's generator; the three streams get independent splits of it. Default 0. */
  readonly seed?: number;
  /** Outer steps to run. Default 1000. */
  readonly maxIter?: number;
  /** Budget of solver seconds (evaluation time excluded). Default Infinity. */
  readonly maxSeconds?: number;
  /** Schedule, or its name (`jacobi`, `gauss-seidel`, `multi-rate:K`). Default: the solver's. */
  readonly schedule?: Schedule | string;
  /** Emit a snapshot every this many outer steps (and at 0 and at the end). Default max(1, maxIter / 100). */
  readonly sampleEvery?: number;
  /** Starting points; default zeros. */
  readonly z0?: Float64Array;
  readonly v0?: Float64Array;
  readonly x0?: Float64Array;
  /** Longest stretch of synchronous work before yielding to the event loop, in ms. Default 20. */
  readonly yieldMs?: number;
  /** Version storage of the coupled streams (see {@link coupleStreams}). Default `ring`. */
  readonly buffers?: 'ring' | 'copy';
  /** Continue from a captured state of the same run (problem, solver and its options, seed, schedule). */
  readonly resume?: RunState;
  /** Capture the run's state when `due` says so (see {@link CheckpointOptions}); always at a `stop`. */
  readonly checkpoint?: CheckpointOptions;
  /**
   * Ends the run cleanly when it emits: the run completes the current tick (up to the schedule's period boundary),
   * saves a checkpoint if `checkpoint` is set, emits a final snapshot with reason `stopped` and completes.
   * `run` only; unsubscribing instead stops at once without either.
   */
  readonly stop?: Observable<unknown>;
  /**
   * Called each time the run yields to the event loop (after about `yieldMs` of work, outside solver time), `run`
   * only: `peek()` copies the current state into a snapshot that subscribers never see (`final` false), for a live
   * view sampled at the caller's rate. Returning a promise holds the run until it settles (a pause: no step is
   * taken and no solver time passes); a `stop` requested meanwhile takes effect after it, and unsubscribing
   * meanwhile cancels the run. Default: none.
   */
  readonly onYield?: (peek: () => Snapshot) => PromiseLike<void> | void;
  /**
   * Threads of a `jacobi` run, 1 to 3 (`run` only): with 2 or 3 the streams of each iteration step at the same time,
   * in this thread and worker threads that rebuild the problem and solver from `rebuild` (see `runThreads`),
   * with the same results to the bit. Other schedules run in their order on this thread. Default 1.
   */
  readonly threads?: number;
  /** How a worker thread rebuilds the problem and solver; required with `threads` > 1 unless `pool` is given. */
  readonly rebuild?: ThreadSource;
  /**
   * Worker threads kept across runs ({@link ThreadPool}: each rebuilt the problem and solver once), instead of the
   * run starting its own; sets `threads` to the pool's. One run at a time on a pool; the run does not close it.
   */
  readonly pool?: ThreadPool;
}

/** Everything a run is built from, shared by the stream driver and the plain-loop driver. */
export interface Prepared {
  readonly schedule: Schedule;
  readonly steps: Record<StreamName, BoundStep>;
  readonly counts: Record<StreamName, OracleCounts>;
  /** Each part's diagnostics at this moment. */
  readonly diagnostics: () => Partial<Record<StreamName, Readonly<Record<string, number>>>>;
  readonly init: Record<Variable, Float64Array>;
  readonly maxIter: number;
  readonly maxSeconds: number;
  readonly sampleEvery: number;
  readonly yieldMs: number;
  /** Each part's state as its `init` made it (mutated by the steps). */
  readonly states: Record<StreamName, unknown>;
  /** The problem and its counting wrappers: shared with the parts, never captured. */
  readonly external: ReadonlySet<object>;
  /** The seed of the run. */
  readonly seed: number;
  /** The parts' states and oracle counts, captured (see {@link captureState}); throws if a state is not capturable. */
  captureParts(): StateTree;
  /** Writes states and counts captured by {@link Prepared.captureParts} back into this run's fresh parts. */
  restoreParts(tree: StateTree): void;
}

function checkStart(fn: string, name: string, value: Float64Array | undefined, dim: number): Float64Array {
  if (value === undefined) return new Float64Array(dim);
  if (value.length !== dim) throw new RangeError(`${fn}: ${name} has length ${value.length}, expected ${dim}`);
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(value[i])) throw new RangeError(`${fn}: ${name}[${i}] is ${value[i]}, expected a finite number`);
  }
  return Float64Array.from(value);
}

/**
 * Validates the options and builds the three bound steps, each stream with its own RNG split and counter. `only`:
 * initialize just these streams (a threaded run's main thread; the others' RNG splits are still drawn, in order, and
 * their steps throw), so that the streams stepped elsewhere allocate nothing here.
 */
export function prepare(fn: string, problem: BilevelProblem, solver: Solver, options: RunOptions, only?: readonly StreamName[]): Prepared {
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${fn}: seed must be a safe integer, received ${seed}`);
  const maxIter = options.maxIter ?? 1000;
  if (!Number.isInteger(maxIter) || maxIter < 0) throw new RangeError(`${fn}: maxIter must be an integer ≥ 0, received ${maxIter}`);
  const maxSeconds = options.maxSeconds ?? Infinity;
  if (!(maxSeconds > 0)) throw new RangeError(`${fn}: maxSeconds must be > 0, received ${maxSeconds}`);
  const sampleEvery = options.sampleEvery ?? Math.max(1, Math.floor(maxIter / 100));
  if (!Number.isInteger(sampleEvery) || sampleEvery < 1) {
    throw new RangeError(`${fn}: sampleEvery must be a positive integer, received ${sampleEvery}`);
  }
  const yieldMs = options.yieldMs ?? 20;
  const schedule = typeof options.schedule === 'string' ? parseSchedule(options.schedule) : (options.schedule ?? parseSchedule(solver.schedule));
  const parts = { inner: solver.inner, linsys: solver.linsys, outer: solver.outer };
  for (const s of ['inner', 'linsys', 'outer'] as const) {
    if (parts[s].stream !== s) throw new RangeError(`${fn}: solver "${solver.name}" has a ${parts[s].stream} part in the ${s} slot`);
  }
  const rng = Rng.fromSeed(seed);
  const counts = { inner: emptyCounts(), linsys: emptyCounts(), outer: emptyCounts() };
  const steps = {} as Record<StreamName, BoundStep>;
  const reporters: (() => [StreamName, Readonly<Record<string, number>>])[] = [];
  const states = {} as Record<StreamName, unknown>;
  const external = new Set<object>([problem]);
  for (const s of ['inner', 'linsys', 'outer'] as const) {
    const part = parts[s];
    const split = rng.split();
    if (only && !only.includes(s)) {
      steps[s] = () => {
        throw new Error(`${fn}: the ${s} stream is stepped in another thread`);
      };
      continue;
    }
    const counted = countingProblem(problem, counts[s]);
    external.add(counted);
    const state = part.init(counted, split);
    states[s] = state;
    steps[s] = (reads, n, out) => part.step(state, reads, n, out);
    const report = part.diagnostics;
    if (report) reporters.push(() => [s, report.call(part, state)]);
  }
  const diagnostics = () => Object.fromEntries(reporters.map((r) => r())) as Partial<Record<StreamName, Readonly<Record<string, number>>>>;
  const init = {
    z: checkStart(fn, 'z0', options.z0, problem.dimZ),
    v: checkStart(fn, 'v0', options.v0, problem.dimZ),
    x: checkStart(fn, 'x0', options.x0, problem.dimX),
  };
  return {
    schedule,
    steps,
    counts,
    diagnostics,
    init,
    maxIter,
    maxSeconds,
    sampleEvery,
    yieldMs,
    states,
    external,
    seed,
    captureParts: () => captureState({ states, counts }, external, 'run'),
    restoreParts: (tree) => restoreState({ states, counts }, tree, 'run'),
  };
}

/** Deep copy of the per-stream counters plus their total. */
export function countsSnapshot(counts: Record<StreamName, OracleCounts>): Record<StreamName | 'total', OracleCounts> {
  return {
    inner: { ...counts.inner },
    linsys: { ...counts.linsys },
    outer: { ...counts.outer },
    total: addCounts(counts.inner, counts.linsys, counts.outer),
  };
}

/**
 * Runs a solver on a problem as three coupled RxJS streams (see {@link coupleStreams}) and returns an Observable
 * of sampled {@link Snapshot}s: one at iteration 0, one every `sampleEvery` outer steps, and a final one.
 *
 * Options are validated when `run` is called (a RangeError is thrown there). Cold: nothing runs until subscription; each subscription is an independent run. Unsubscribing cancels
 * the run (no further step is taken). The same seed gives the same trajectory to the bit. Work is done in
 * synchronous stretches of at most `yieldMs` between which the event loop runs (timers, signals, I/O). An oracle
 * that throws, or a non-finite iterate ({@link DivergenceError}), ends the Observable with that error.
 * Solver time excludes the time subscribers spend handling snapshots.
 */
export function run(problem: BilevelProblem, solver: Solver, options: RunOptions = {}): Observable<Snapshot> {
  const threads = checkThreads('run', options);
  if (threads > 1 && parseScheduleOf(options, solver) === 'jacobi') return runThreads(problem, solver, { ...options, threads: threads as 2 | 3 });
  // Validate up front (throws here, synchronously); each subscription then builds its own fresh state.
  let fresh: Prepared | undefined = prepare('run', problem, solver, options);
  const identity = runIdentity(problem, solver, fresh.seed, fresh.schedule.name);
  const resume = options.resume;
  if (resume) checkResumable('run', resume, identity);
  return new Observable<Snapshot>((subscriber) => {
    const prep = fresh ?? prepare('run', problem, solver, options);
    fresh = undefined;
    const { schedule, maxIter, maxSeconds, sampleEvery, yieldMs } = prep;
    const clock = new Multicast<number>();
    if (resume) prep.restoreParts(resume.parts);
    const start = resume
      ? {
          steps: resume.steps,
          versions: {
            z: { k: resume.versions.z.k, value: resume.versions.z.value, aux: restoredAux(resume.versions.z.aux) },
            v: { k: resume.versions.v.k, value: resume.versions.v.value, aux: restoredAux(resume.versions.v.aux) },
            x: { k: resume.versions.x.k, value: resume.versions.x.value, aux: restoredAux(resume.versions.x.aux) },
          },
        }
      : undefined;
    const coupled = coupleStreams(clock, prep.steps, schedule, prep.init, { buffers: options.buffers, ...(start ? { start } : {}) });
    let failure: unknown = null;
    let failed = false;
    const onError = (err: unknown) => {
      if (!failed) {
        failed = true;
        failure = err;
      }
    };
    for (const v$ of [coupled.z$, coupled.v$, coupled.x$]) coupled.subscription.add(v$.subscribe({ error: onError }));
    coupled.start();

    let tick = resume?.tick ?? 0;
    let solverMs = (resume?.solverSeconds ?? 0) * 1000;
    let cancelled = false;
    let stopRequested = false;
    const stopSub = options.stop?.subscribe(() => (stopRequested = true));
    const checkpoint = options.checkpoint;
    const atBoundary = () => tick % schedule.period === 0;
    const capture = (): RunState => captureRunState(prep, identity, tick, solverMs / 1000, (w) => coupled.latest(w));
    let handle: ReturnType<typeof setImmediate> | undefined;
    const iteration = () => coupled.latest('x').k;
    const snapshot = (final: boolean, reason?: StopReason): Snapshot => ({
      iteration: iteration(),
      tick,
      z: Float64Array.from(coupled.latest('z').value),
      v: Float64Array.from(coupled.latest('v').value),
      x: Float64Array.from(coupled.latest('x').value),
      solverSeconds: solverMs / 1000,
      counts: countsSnapshot(prep.counts),
      diagnostics: prep.diagnostics(),
      final,
      ...(reason ? { reason } : {}),
    });

    const loop = () => {
      handle = undefined;
      const sliceStart = performance.now();
      for (;;) {
        if (cancelled) return;
        const it = iteration();
        const stopping = stopRequested && atBoundary();
        if (it >= maxIter || solverMs >= maxSeconds * 1000 || stopping) {
          if (checkpoint && atBoundary() && (stopping || checkpoint.due(it, solverMs / 1000))) checkpoint.save(capture());
          subscriber.next(snapshot(true, stopping ? 'stopped' : it >= maxIter ? 'max-iter' : 'max-seconds'));
          subscriber.complete();
          return;
        }
        // one stretch of ticks up to the next sample point, timed as solver work
        const nextSample = Math.min(maxIter, (Math.floor(it / sampleEvery) + 1) * sampleEvery);
        const t0 = performance.now();
        let n = 0;
        while (iteration() < nextSample) {
          if (stopRequested && atBoundary()) break;
          clock.next(tick++);
          if (failed) break;
          if ((++n & 15) === 0 && (performance.now() - sliceStart >= yieldMs || solverMs + performance.now() - t0 >= maxSeconds * 1000)) break;
        }
        solverMs += performance.now() - t0;
        if (failed) {
          subscriber.error(failure);
          return;
        }
        const reached = iteration();
        if (checkpoint && atBoundary() && !stopRequested && reached < maxIter && checkpoint.due(reached, solverMs / 1000)) checkpoint.save(capture());
        if (reached % sampleEvery === 0 && reached < maxIter && reached === nextSample) subscriber.next(snapshot(false));
        if (performance.now() - sliceStart >= yieldMs) {
          const hold = options.onYield?.(() => snapshot(false));
          if (hold) {
            const next = () => {
              if (!cancelled) handle = setImmediate(loop);
            };
            hold.then(next, next);
          } else handle = setImmediate(loop);
          return;
        }
      }
    };

    subscriber.next(snapshot(false));
    handle = setImmediate(loop);
    return () => {
      cancelled = true;
      stopSub?.unsubscribe();
      if (handle !== undefined) clearImmediate(handle);
      coupled.subscription.unsubscribe();
      clock.complete();
    };
  });
}
