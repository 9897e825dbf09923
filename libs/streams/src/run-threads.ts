import { Observable } from 'rxjs';
import type { Worker } from 'node:worker_threads';
import { allFinite } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { OracleCounts, Solver, StreamName } from '@bilevel/solvers';
import { addCounts } from '@bilevel/solvers';
import { DivergenceError } from './divergence-error';
import type { RunOptions } from './run';
import { prepare } from './run';
import type { Snapshot, StopReason } from './snapshot';
import type { ThreadSource, WorkerMessage, WorkerRun } from './thread-layout';
import { COUNT_KEYS, CTL, OP, OWN, readReport, rebuiltIdentity, REPORT_BYTES, STREAMS } from './thread-layout';
import { ThreadPool } from './thread-pool';

/** Which streams the main thread steps, and which each worker steps, for 2 or 3 threads. */
const ASSIGN: Record<2 | 3, { main: StreamName[]; workers: StreamName[][] }> = {
  2: { main: ['inner', 'outer'], workers: [['linsys']] },
  3: { main: ['inner'], workers: [['linsys'], ['outer']] },
};

/** Threaded runs started in this process: each run's number tags its workers' messages. */
let runCount = 0;

/** Spins this many loads before sleeping on the counter. */
const SPIN = 4000;

/** Checks the threads options of `run`; returns the thread count (1 when the run stays on this thread). */
export function checkThreads(fn: string, options: RunOptions): number {
  const pool = options.pool;
  if (pool !== undefined) {
    if (!(pool instanceof ThreadPool)) throw new RangeError(`${fn}: pool must be a ThreadPool, received ${typeof pool}`);
    if (options.threads !== undefined && options.threads !== pool.threads) {
      throw new RangeError(`${fn}: threads ${String(options.threads)} differs from the pool's ${pool.threads} (give one of them)`);
    }
    if (options.rebuild !== undefined && options.rebuild !== pool.rebuild) throw new RangeError(`${fn}: give rebuild or pool, not both (the pool has its own)`);
  }
  const threads = options.threads ?? pool?.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 3) {
    throw new RangeError(`${fn}: threads must be 1, 2 or 3 (one per stream at most), received ${String(threads)}`);
  }
  if (threads === 1) return 1;
  if (!options.rebuild && !pool) {
    throw new RangeError(`${fn}: threads ${threads} needs rebuild (a module and function that rebuild the problem and solver in a worker thread) or a pool`);
  }
  for (const key of ['resume', 'checkpoint', 'onYield'] as const) {
    if (options[key] !== undefined) throw new RangeError(`${fn}: threads ${threads} does not support ${key} yet; use threads 1`);
  }
  return threads;
}

/**
 * `run` with the jacobi schedule's three steps of each iteration run at the same time: the main thread steps some
 * streams while one or two worker threads step the others, over z, v, x in SharedArrayBuffers (two versions each:
 * iterate t is read, iterate t + 1 written), synchronised once per iteration with Atomics. The workers are those of
 * `options.pool`, or of a pool the run starts from `options.rebuild` and closes at its end; each has rebuilt the
 * problem and solver, and initializes only its streams' parts for the run, with the same RNG splits as
 * `prepare`, so the trajectory is the single-threaded one to the bit. Snapshots are the same; diagnostics are
 * fetched from the workers at each snapshot. The caller has checked the options ({@link checkThreads}).
 */
export function runThreads(problem: BilevelProblem, solver: Solver, options: RunOptions & { threads: 2 | 3; rebuild?: ThreadSource }): Observable<Snapshot> {
  const assign = ASSIGN[options.threads];
  // this thread initializes only its own streams (the workers' SAGA tables and batches live in the workers)
  let fresh: ReturnType<typeof prepare> | undefined = prepare('run', problem, solver, options, assign.main);
  if (fresh.schedule.name !== 'jacobi') throw new Error('runThreads: the jacobi schedule only');
  const identity = rebuiltIdentity(problem, solver);
  return new Observable<Snapshot>((subscriber) => {
    const prep = fresh ?? prepare('run', problem, solver, options, assign.main);
    fresh = undefined;
    const { maxIter, maxSeconds, sampleEvery, yieldMs, seed } = prep;
    const dims = { z: problem.dimZ, v: problem.dimZ, x: problem.dimX };
    const sabs = {
      z: new SharedArrayBuffer(16 * dims.z),
      v: new SharedArrayBuffer(16 * dims.v),
      x: new SharedArrayBuffer(16 * dims.x),
    };
    const vars = {
      z: [new Float64Array(sabs.z, 0, dims.z), new Float64Array(sabs.z, 8 * dims.z)],
      v: [new Float64Array(sabs.v, 0, dims.v), new Float64Array(sabs.v, 8 * dims.v)],
      x: [new Float64Array(sabs.x, 0, dims.x), new Float64Array(sabs.x, 8 * dims.x)],
    };
    for (const w of ['z', 'v', 'x'] as const) vars[w][0].set(prep.init[w]);
    const reads = [0, 1].map((p) => ({ z: vars.z[p], v: vars.v[p], x: vars.x[p] }));
    const ctlSab = new SharedArrayBuffer(4 * CTL.length);
    const ctl = new Int32Array(ctlSab);
    const countSabs = { inner: new SharedArrayBuffer(8 * COUNT_KEYS.length), linsys: new SharedArrayBuffer(8 * COUNT_KEYS.length), outer: new SharedArrayBuffer(8 * COUNT_KEYS.length) };
    const reports = assign.workers.map(() => new SharedArrayBuffer(REPORT_BYTES));
    // the run's own pool (closed when it ends) unless the caller lends one (kept)
    const pool = options.pool ?? new ThreadPool({ threads: options.threads, rebuild: options.rebuild! });
    const own = options.pool === undefined;
    const holder = {};
    let workers: readonly Worker[] = [];
    const listeners: [Worker, (m: WorkerMessage) => void, (err: Error) => void][] = [];
    const nWorkers = assign.workers.length;
    let tick = 0;
    let solverMs = 0;
    let cancelled = false;
    let stopRequested = false;
    let handle: ReturnType<typeof setImmediate> | undefined;
    const stopSub = options.stop?.subscribe(() => (stopRequested = true));

    const finish = () => {
      if (cancelled) return;
      cancelled = true;
      stopSub?.unsubscribe();
      if (handle !== undefined) clearImmediate(handle);
      // the workers leave this run's loop (now, or as soon as they have bound it) and wait for the next run
      Atomics.store(ctl, CTL.op, OP.exit);
      Atomics.add(ctl, CTL.gen, 1);
      Atomics.notify(ctl, CTL.gen);
      for (const [w, onMessage, onError] of listeners) {
        w.off('message', onMessage);
        w.off('error', onError);
      }
      pool.release(holder);
      if (own) void pool.close();
    };
    /** Posts an operation to the workers and waits until all of them have done it; throws a worker's error. */
    const post = (op: number, whileWaiting?: () => void) => {
      Atomics.store(ctl, CTL.done, 0);
      Atomics.store(ctl, CTL.op, op);
      Atomics.add(ctl, CTL.gen, 1);
      Atomics.notify(ctl, CTL.gen);
      whileWaiting?.();
      let spins = 0;
      for (let d = Atomics.load(ctl, CTL.done); d < nWorkers; d = Atomics.load(ctl, CTL.done)) {
        if (++spins > SPIN) Atomics.wait(ctl, CTL.done, d);
      }
      if (Atomics.load(ctl, CTL.error) !== 0) {
        const message = reports.map(readReport).find((m) => m.length > 0 && !m.startsWith('{')) ?? 'unknown error';
        throw new Error(`run: a worker thread failed: ${message}`);
      }
    };
    const counts = (): Record<StreamName | 'total', OracleCounts> => {
      const per = {} as Record<StreamName, OracleCounts>;
      for (const s of STREAMS) {
        if (assign.main.includes(s)) per[s] = { ...prep.counts[s] };
        else {
          const shared = new Float64Array(countSabs[s]);
          per[s] = Object.fromEntries(COUNT_KEYS.map((k, i) => [k, shared[i]])) as unknown as OracleCounts;
        }
      }
      return { ...per, total: addCounts(per.inner, per.linsys, per.outer) };
    };
    const diagnostics = () => {
      const mine = prep.diagnostics();
      const own = Object.fromEntries(assign.main.filter((s) => mine[s] !== undefined).map((s) => [s, mine[s]]));
      post(OP.report);
      const fromWorkers = reports.map((r) => JSON.parse(readReport(r) || '{}') as Snapshot['diagnostics']);
      const all = Object.assign({}, ...fromWorkers, own) as Record<string, unknown>;
      return Object.fromEntries(STREAMS.filter((s) => all[s] !== undefined).map((s) => [s, all[s]])) as Snapshot['diagnostics'];
    };
    const snapshot = (final: boolean, reason?: StopReason): Snapshot => {
      const p = tick & 1;
      return {
        iteration: tick,
        tick,
        z: Float64Array.from(vars.z[p]),
        v: Float64Array.from(vars.v[p]),
        x: Float64Array.from(vars.x[p]),
        solverSeconds: solverMs / 1000,
        counts: counts(),
        diagnostics: diagnostics(),
        final,
        ...(reason ? { reason } : {}),
      };
    };
    /** One jacobi iteration: the workers' streams and this thread's at the same time, then the divergence check. */
    const step = () => {
      const p = tick & 1;
      Atomics.store(ctl, CTL.tick, tick);
      post(OP.step, () => {
        for (const s of assign.main) {
          const aux = prep.steps[s](reads[p], tick, vars[OWN[s]][p ^ 1]);
          if (aux !== undefined) throw new RangeError(`run: the ${s} part of ${solver.name} publishes data beside its iterate, which threads do not carry; use threads 1`);
        }
      });
      for (const s of STREAMS) {
        const w = OWN[s];
        if (!allFinite(vars[w][p ^ 1])) {
          throw new DivergenceError(s, w, tick + 1, { iteration: tick, z: Float64Array.from(vars.z[p]), v: Float64Array.from(vars.v[p]), x: Float64Array.from(vars.x[p]), versions: { z: tick, v: tick, x: tick } });
        }
      }
      tick++;
    };

    const loop = () => {
      handle = undefined;
      const sliceStart = performance.now();
      try {
        for (;;) {
          if (cancelled) return;
          if (tick >= maxIter || solverMs >= maxSeconds * 1000 || stopRequested) {
            const final = snapshot(true, stopRequested ? 'stopped' : tick >= maxIter ? 'max-iter' : 'max-seconds');
            finish();
            subscriber.next(final);
            subscriber.complete();
            return;
          }
          const nextSample = Math.min(maxIter, (Math.floor(tick / sampleEvery) + 1) * sampleEvery);
          const t0 = performance.now();
          let n = 0;
          while (tick < nextSample && !stopRequested) {
            step();
            if ((++n & 15) === 0 && (performance.now() - sliceStart >= yieldMs || solverMs + performance.now() - t0 >= maxSeconds * 1000)) break;
          }
          solverMs += performance.now() - t0;
          if (tick % sampleEvery === 0 && tick < maxIter && tick === nextSample) subscriber.next(snapshot(false));
          if (performance.now() - sliceStart >= yieldMs) {
            handle = setImmediate(loop);
            return;
          }
        }
      } catch (err) {
        finish();
        subscriber.error(err);
      }
    };

    const runId = ++runCount;
    try {
      pool.acquire(holder, () => {
        if (cancelled) return;
        finish();
        subscriber.error(new Error('run: the thread pool was closed during the run'));
      });
    } catch (err) {
      cancelled = true;
      stopSub?.unsubscribe();
      subscriber.error(new Error(`run: ${(err as Error).message}`));
      return undefined;
    }
    pool.start().then(
      (started) => {
        if (cancelled) return;
        workers = started;
        let pending = nWorkers;
        workers.forEach((w, i) => {
          const onMessage = (m: WorkerMessage) => {
            // a pooled worker's messages about an earlier run (cancelled before it bound) are not this run's
            if (cancelled || !('run' in m) || m.run !== runId) return;
            if ('error' in m) {
              finish();
              subscriber.error(new Error(`run: a worker thread could not set up its streams: ${m.error}`));
            } else if ('bound' in m) {
              if (m.identity !== identity) {
                finish();
                subscriber.error(
                  new Error(`run: the worker threads rebuilt another solver or problem than the run's (theirs ${m.identity}, the run's ${identity}); a pool serves runs of what its rebuild returns`),
                );
              } else if (--pending === 0) {
                subscriber.next(snapshot(false));
                handle = setImmediate(loop);
              }
            }
          };
          const onError = (err: Error) => {
            if (cancelled) return;
            finish();
            subscriber.error(err);
          };
          w.on('message', onMessage);
          w.on('error', onError);
          listeners.push([w, onMessage, onError]);
          const data: WorkerRun = { id: runId, seed, streams: assign.workers[i], vars: sabs, ctl: ctlSab, counts: countSabs, report: reports[i] };
          w.postMessage({ run: data });
        });
      },
      (err: Error) => {
        if (cancelled) return;
        finish();
        subscriber.error(new Error(`run: ${err.message}`));
      },
    );
    return finish;
  });
}
