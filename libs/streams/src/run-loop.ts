import { allFinite } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamName } from '@bilevel/solvers';
import { DivergenceError } from './divergence-error';
import type { RunOptions } from './run';
import { countsSnapshot, prepare } from './run';
import type { Variable } from './schedule';
import type { Snapshot } from './snapshot';
import type { RunState } from './run-state';
import { captureRunState, checkResumable, restoredAux, runIdentity } from './run-state';

const STREAMS: readonly StreamName[] = ['inner', 'linsys', 'outer'];
const OWN: Record<StreamName, Variable> = { inner: 'z', linsys: 'v', outer: 'x' };

/**
 * The same run as {@link run} without RxJS: a plain synchronous loop that calls the same bound steps and picks the
 * versions with `schedule.reads` from a history of each variable. It exists as the reference the stream wiring is
 * tested against (same seed ⇒ same bits) and as the baseline of the stream-overhead benchmark.
 * `onSample` receives the same snapshots `run` would emit (without timing of subscribers excluded).
 */
export function runLoop(
  problem: BilevelProblem,
  solver: Solver,
  options: RunOptions = {},
  onSample?: (snapshot: Snapshot) => void,
): Snapshot {
  const prep = prepare('runLoop', problem, solver, options);
  const { schedule, steps, maxIter, maxSeconds, sampleEvery } = prep;
  // Keep enough history for any built-in schedule: multi-rate reads x up to k ticks late.
  const depth = 2 * schedule.period + 2;
  const hist = {} as Record<Variable, Float64Array[]>;
  const auxHist = {} as Record<Variable, unknown[]>;
  const count: Record<Variable, number> = { z: 0, v: 0, x: 0 };
  const nSteps: Record<StreamName, number> = { inner: 0, linsys: 0, outer: 0 };
  for (const w of ['z', 'v', 'x'] as const) {
    hist[w] = Array.from({ length: depth }, () => new Float64Array(prep.init[w].length));
    hist[w][0].set(prep.init[w]);
    auxHist[w] = new Array<unknown>(depth).fill(undefined);
  }
  const version = (w: Variable, k: number) => {
    if (k > count[w] || k < count[w] - depth + 1) throw new Error(`runLoop: version ${k} of ${w} is not available (latest ${count[w]})`);
    return hist[w][k % depth];
  };
  const readsOf = {} as Record<StreamName, { z: Float64Array; v: Float64Array; x: Float64Array }>;
  for (const s of STREAMS) readsOf[s] = { z: hist.z[0], v: hist.v[0], x: hist.x[0] };
  let tick = 0;
  let solverMs = 0;
  const identity = runIdentity(problem, solver, prep.seed, schedule.name);
  const resume = options.resume;
  if (resume) {
    checkResumable('runLoop', resume, identity);
    prep.restoreParts(resume.parts);
    for (const w of ['z', 'v', 'x'] as const) {
      const saved = resume.versions[w];
      if (saved.value.length !== hist[w][0].length) throw new RangeError(`runLoop: the saved ${w} has ${saved.value.length} entries, expected ${hist[w][0].length}`);
      count[w] = saved.k;
      hist[w][saved.k % depth].set(saved.value);
      auxHist[w][saved.k % depth] = restoredAux(saved.aux);
    }
    for (const s of STREAMS) nSteps[s] = resume.steps[s];
    tick = resume.tick;
    solverMs = resume.solverSeconds * 1000;
  }
  const checkpoint = options.checkpoint;
  const capture = (seconds: number): RunState =>
    captureRunState(prep, identity, tick, seconds, (w) => ({ k: count[w], value: version(w, count[w]), aux: auxHist[w][count[w] % depth] }));
  const snap = (final: boolean, reason?: 'max-iter' | 'max-seconds'): Snapshot => ({
    iteration: count.x,
    tick,
    z: Float64Array.from(version('z', count.z)),
    v: Float64Array.from(version('v', count.v)),
    x: Float64Array.from(version('x', count.x)),
    solverSeconds: solverMs / 1000,
    counts: countsSnapshot(prep.counts),
    diagnostics: prep.diagnostics(),
    final,
    ...(reason ? { reason } : {}),
  });
  onSample?.(snap(false));
  let t0 = performance.now();
  // the time budget is read every 16 ticks (a clock read boxes a number: reading it each tick allocated)
  let overTime = false;
  while (count.x < maxIter && !overTime) {
    for (const s of STREAMS) {
      if (!schedule.steps(s, tick)) continue;
      const n = nSteps[s];
      const w = OWN[s];
      const kz = schedule.reads(s, 'z', n);
      const kv = schedule.reads(s, 'v', n);
      const kx = schedule.reads(s, 'x', n);
      const az = auxHist.z[kz % depth];
      const av = auxHist.v[kv % depth];
      const ax = auxHist.x[kx % depth];
      // one reads object per stream, refilled each step (the loop allocates nothing per step without aux)
      const values = readsOf[s];
      values.z = version('z', kz);
      values.v = version('v', kv);
      values.x = version('x', kx);
      const reads = az === undefined && av === undefined && ax === undefined ? values : { ...values, aux: { z: az, v: av, x: ax } };
      const out = hist[w][(count[w] + 1) % depth];
      auxHist[w][(count[w] + 1) % depth] = steps[s](reads, n, out);
      if (!allFinite(out)) {
        throw new DivergenceError(s, w, count[w] + 1, {
          iteration: count.x,
          z: Float64Array.from(version('z', count.z)),
          v: Float64Array.from(version('v', count.v)),
          x: Float64Array.from(version('x', count.x)),
          versions: { ...count },
        });
      }
      count[w]++;
      nSteps[s]++;
    }
    tick++;
    if (maxSeconds !== Infinity && (tick & 15) === 0) overTime = solverMs + (performance.now() - t0) >= maxSeconds * 1000;
    // checkpoints at period boundaries, asked every 64 periods (the question costs a clock read)
    if (checkpoint && tick % (64 * schedule.period) === 0) {
      const seconds = (solverMs + (performance.now() - t0)) / 1000;
      if (checkpoint.due(count.x, seconds)) {
        solverMs += performance.now() - t0;
        checkpoint.save(capture(solverMs / 1000));
        t0 = performance.now();
      }
    }
    if (onSample && schedule.steps('outer', tick - 1) && count.x % sampleEvery === 0 && count.x < maxIter) {
      solverMs += performance.now() - t0;
      onSample(snap(false));
      t0 = performance.now();
    }
  }
  solverMs += performance.now() - t0;
  if (checkpoint && tick % schedule.period === 0 && checkpoint.due(count.x, solverMs / 1000)) checkpoint.save(capture(solverMs / 1000));
  const final = snap(true, count.x >= maxIter ? 'max-iter' : 'max-seconds');
  onSample?.(final);
  return final;
}
