import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CurvePoint } from './curve-stats';
import { firstReach, median, microsPerIter, reachAndStay } from './curve-stats';
import { exportProblem } from './export-problem';
import type { PeerTask } from './peer-task';
import type { Peer } from './run-peer';
import { runPeer } from './run-peer';

/** Labels of the implementations in the tables. */
export const PEER_LABELS: Record<Peer, string> = {
  loop: 'toolkit (runLoop)',
  streams: 'toolkit (RxJS streams)',
  numpy: 'numpy',
  numba: 'numba',
};

/** Options of {@link timeTask}. */
export interface TimeTaskOptions {
  readonly seeds: number;
  /** BLAS threads of the Python peers. */
  readonly threads: number;
  /** The implementations to run (numba only where an interpreter imports it). */
  readonly peers: readonly Peer[];
  /** Interpreter of the numba peer. */
  readonly numbaPython?: string;
}

/** Result of {@link timeTask}. */
export interface TaskTiming {
  /** Per peer, one curve per seed: checkpoints with solver CPU seconds (the clock the rows use). */
  readonly curves: Partial<Record<Peer, CurvePoint[][]>>;
  /** Per peer, one curve per seed with solver wall seconds. */
  readonly wallCurves: Partial<Record<Peer, CurvePoint[][]>>;
  /** Per peer, the peak resident memory of each run's process, MB. */
  readonly peaks: Partial<Record<Peer, number[]>>;
  /** What each peer's process reported (node; python, numpy, numba). */
  readonly versions: Partial<Record<Peer, Readonly<Record<string, string>>>>;
  readonly exportedMB: number;
  /** numba: median compile seconds before its timed run. */
  readonly numbaCompileSeconds?: number;
  /**
   * One row per target and peer: median over seeds of the solver CPU seconds (and iterations) to reach the target a
   * first time and to stay at or below it to the end, µs per iteration (CPU and wall), peak resident memory.
   */
  readonly rows: Record<string, unknown>[];
}

/** A figure to 3 significant digits; '∞' for a target not reached, '—' for a ratio of two of those. */
const sig = (t: number, digits = 3) => (Number.isFinite(t) ? +t.toPrecision(digits) : t === Infinity ? '∞' : '—');

/**
 * Runs SABA on one task with every peer in `options.peers` — our plain loop and our RxJS streams (each in a child
 * process, tools/bench/peer/toolkit-child.ts), the numpy peer and the numba peer (Python processes) — `seeds` seeds
 * each (seed s everywhere; our side and the Python side draw different block orders, the two Python peers the same
 * ones), interleaved: within a seed the order of the peers is rotated, so that the load of the shared machine drifts
 * over all of them alike. Every checkpoint of every run is evaluated in this process with `task.metric`. Times are
 * process CPU seconds spent in the solver (checkpoint I/O excluded; numba's compilation excluded and reported apart):
 * on a machine other programs share, CPU time is what an implementation costs, where wall time adds the waits for a
 * core; µs per iteration are given on both clocks. The data go to a temporary folder (removed afterwards) as raw files.
 */
export async function timeTask(task: PeerTask, options: TimeTaskOptions): Promise<TaskTiming> {
  const dir = mkdtempSync(join(tmpdir(), 'bilevel-peer-'));
  try {
    const exported = exportProblem(task.problem, task.steps, dir);
    const peers = options.peers;
    const curves: Partial<Record<Peer, CurvePoint[][]>> = {};
    const wallCurves: Partial<Record<Peer, CurvePoint[][]>> = {};
    const peaks: Partial<Record<Peer, number[]>> = {};
    const compile: number[] = [];
    const versions: Partial<Record<Peer, Readonly<Record<string, string>>>> = {};
    for (const p of peers) {
      curves[p] = [];
      wallCurves[p] = [];
      peaks[p] = [];
    }
    for (let seed = 0; seed < options.seeds; seed++) {
      for (let k = 0; k < peers.length; k++) {
        const peer = peers[(seed + k) % peers.length];
        const res = runPeer(peer, {
          data: dir,
          task: { name: task.name, dir: task.dir, warmupIter: task.warmupIter },
          seed,
          maxIter: task.maxIter,
          every: task.every,
          dimX: task.problem.dimX,
          dimZ: task.problem.dimZ,
          threads: options.threads,
          ...(peer === 'numba' && options.numbaPython ? { python: options.numbaPython } : {}),
        });
        versions[peer] = res.versions;
        if (res.compileSeconds !== undefined) compile.push(res.compileSeconds);
        peaks[peer]?.push(res.peakRssMB);
        const metric = res.checkpoints.map((c) => task.metric(c.x, c.z));
        curves[peer]?.push(res.checkpoints.map((c, i) => ({ iter: c.iter, seconds: c.cpuSeconds, metric: metric[i] })));
        wallCurves[peer]?.push(res.checkpoints.map((c, i) => ({ iter: c.iter, seconds: c.seconds, metric: metric[i] })));
      }
    }
    const rows = task.targets.flatMap((target) =>
      peers.map((peer) => {
        const cs = curves[peer] ?? [];
        const first = cs.map((c) => firstReach(c, target));
        const stays = cs.map((c) => reachAndStay(c, target));
        const reached = first.filter((r) => Number.isFinite(r.seconds)).length;
        return {
          task: task.name,
          target: `${task.name === 'logreg-hpo' ? 'rel. subopt' : 'test error'} ≤ ${target}`,
          peer: PEER_LABELS[peer],
          'µs/iter CPU': sig(median(cs.map(microsPerIter))),
          'µs/iter wall': sig(median((wallCurves[peer] ?? []).map(microsPerIter))),
          'to target s (CPU)': sig(median(first.map((r) => r.seconds))),
          'iters to target': sig(median(first.map((r) => r.iter)), 6),
          'stays from s (CPU)': sig(median(stays.map((r) => r.seconds))),
          'seeds reached': `${reached}/${cs.length}`,
          'peak MB': sig(median(peaks[peer] ?? [])),
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
      rows,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
