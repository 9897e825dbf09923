import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointMismatch } from './checkpoint-mismatch';
import type { CurvePoint } from './curve-stats';
import { firstReach, median, microsPerIter, reachAndStay } from './curve-stats';
import { exportProblem } from './export-problem';
import type { Implementation } from './implementations';
import type { PeerTask } from './peer-task';
import type { PeerCheckpoint } from './run-peer';
import { runPeer } from './run-peer';

/** Options of {@link timeTask}. */
export interface TimeTaskOptions {
  readonly seeds: number;
  /** The implementations to run, each with its thread budget (implementations.ts; numba only where an interpreter imports it). */
  readonly impls: readonly Implementation[];
  /** Interpreter of the numba peer. */
  readonly numbaPython?: string;
}

/** Result of {@link timeTask}; per-implementation records are keyed by {@link Implementation.id}. */
export interface TaskTiming {
  /** One curve per seed: checkpoints with solver CPU seconds (every thread of the process). */
  readonly curves: Partial<Record<string, CurvePoint[][]>>;
  /** One curve per seed with solver wall seconds. */
  readonly wallCurves: Partial<Record<string, CurvePoint[][]>>;
  /** The peak resident memory of each run's process, MB. */
  readonly peaks: Partial<Record<string, number[]>>;
  /** What each process reported (node, threads; python, numpy, numba). */
  readonly versions: Partial<Record<string, Readonly<Record<string, string>>>>;
  readonly exportedMB: number;
  /** numba: median compile seconds before its timed run. */
  readonly numbaCompileSeconds?: number;
  /** Our drivers whose checkpoints were found equal to the loop's, bit for bit, and on how many seeds. */
  readonly bitIdenticalToLoop: Readonly<Record<string, number>>;
  /**
   * One row per target and implementation: median over seeds of the solver CPU seconds (and iterations) to reach
   * the target a first time and to stay at or below it to the end, the wall seconds to reach it, µs per iteration
   * (CPU and wall), peak resident memory.
   */
  readonly rows: Record<string, unknown>[];
}

/** A figure to 3 significant digits; '∞' for a target not reached, '—' for a ratio of two of those. */
const sig = (t: number, digits = 3) => (Number.isFinite(t) ? +t.toPrecision(digits) : t === Infinity ? '∞' : '—');

/**
 * Runs SABA on one task with every implementation in `options.impls` — our plain loop, our RxJS streams and the
 * streams on 2 or 3 threads (each in a child process, tools/bench/peer/toolkit-child.ts), the numpy peer and the
 * numba peer (Python processes, at their BLAS thread budgets) — `seeds` seeds each (seed s everywhere; our side and
 * the Python side draw different block orders, the two Python peers the same ones), interleaved: within a seed the
 * order of the implementations is rotated, so that the load of the shared machine drifts over all of them alike.
 * Every checkpoint of every run is evaluated in this process with `task.metric`. Times are process CPU seconds spent
 * in the solver (all threads; checkpoint I/O excluded; numba's compilation excluded and reported apart): on a machine
 * other programs share, CPU time is what an implementation costs, where wall time adds the waits for a core; but a
 * threaded run buys wall time with CPU, so µs per iteration and the time to the target are given on both clocks.
 * Self-check: each of our other drivers' checkpoints must equal the loop's of the same seed bit for bit (the same
 * algorithm and arithmetic); throws at the first seed where they do not. The data go to a temporary folder (removed
 * afterwards) as raw files.
 */
export async function timeTask(task: PeerTask, options: TimeTaskOptions): Promise<TaskTiming> {
  const dir = mkdtempSync(join(tmpdir(), 'bilevel-peer-'));
  try {
    const exported = exportProblem(task.problem, task.steps, dir);
    const impls = options.impls;
    const curves: Partial<Record<string, CurvePoint[][]>> = {};
    const wallCurves: Partial<Record<string, CurvePoint[][]>> = {};
    const peaks: Partial<Record<string, number[]>> = {};
    const compile: number[] = [];
    const versions: Partial<Record<string, Readonly<Record<string, string>>>> = {};
    const identical: Record<string, number> = {};
    for (const m of impls) {
      curves[m.id] = [];
      wallCurves[m.id] = [];
      peaks[m.id] = [];
    }
    for (let seed = 0; seed < options.seeds; seed++) {
      const ours = new Map<string, PeerCheckpoint[]>();
      for (let k = 0; k < impls.length; k++) {
        const impl = impls[(seed + k) % impls.length];
        const peer = impl.peer;
        const res = runPeer(peer, {
          data: dir,
          task: { name: task.name, dir: task.dir, warmupIter: task.warmupIter },
          seed,
          maxIter: task.maxIter,
          every: task.every,
          dimX: task.problem.dimX,
          dimZ: task.problem.dimZ,
          threads: impl.threads,
          ...(peer === 'numba' && options.numbaPython ? { python: options.numbaPython } : {}),
        });
        versions[impl.id] = res.versions;
        if (res.compileSeconds !== undefined) compile.push(res.compileSeconds);
        peaks[impl.id]?.push(res.peakRssMB);
        const metric = res.checkpoints.map((c) => task.metric(c.x, c.z));
        curves[impl.id]?.push(res.checkpoints.map((c, i) => ({ iter: c.iter, seconds: c.cpuSeconds, metric: metric[i] })));
        wallCurves[impl.id]?.push(res.checkpoints.map((c, i) => ({ iter: c.iter, seconds: c.seconds, metric: metric[i] })));
        if (impl.ours) ours.set(impl.id, res.checkpoints);
      }
      const loop = ours.get('loop');
      for (const [id, checkpoints] of ours) {
        if (!loop || id === 'loop') continue;
        const mismatch = checkpointMismatch(loop, checkpoints);
        if (mismatch !== null) throw new Error(`timeTask: ${task.name}, seed ${seed}: the ${id} driver is not the loop's algorithm to the bit: ${mismatch}`);
        identical[id] = (identical[id] ?? 0) + 1;
      }
    }
    const rows = task.targets.flatMap((target) =>
      impls.map((impl) => {
        const cs = curves[impl.id] ?? [];
        const first = cs.map((c) => firstReach(c, target));
        const stays = cs.map((c) => reachAndStay(c, target));
        const reached = first.filter((r) => Number.isFinite(r.seconds)).length;
        return {
          task: task.name,
          target: `${task.name === 'logreg-hpo' ? 'rel. subopt' : 'test error'} ≤ ${target}`,
          peer: impl.label,
          threads: impl.threads,
          'µs/iter CPU': sig(median(cs.map(microsPerIter))),
          'µs/iter wall': sig(median((wallCurves[impl.id] ?? []).map(microsPerIter))),
          'to target s (CPU)': sig(median(first.map((r) => r.seconds))),
          'to target s (wall)': sig(median((wallCurves[impl.id] ?? []).map((c) => firstReach(c, target).seconds))),
          'iters to target': sig(median(first.map((r) => r.iter)), 6),
          'stays from s (CPU)': sig(median(stays.map((r) => r.seconds))),
          'seeds reached': `${reached}/${cs.length}`,
          'peak MB': sig(median(peaks[impl.id] ?? [])),
        };
      }),
    );
    return {
      curves,
      wallCurves,
      peaks,
      versions,
      exportedMB: +(exported.bytes / 1e6).toFixed(1),
      ...(compile.length ? { numbaCompileSeconds: +median(compile).toFixed(1) } : {}),
      bitIdenticalToLoop: identical,
      rows,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
