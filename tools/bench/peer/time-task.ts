import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import { saba } from '@bilevel/solvers';
import { run, runLoop } from '@bilevel/streams';
import type { CurvePoint } from './curve-stats';
import { firstReach, median, microsPerIter, reachAndStay } from './curve-stats';
import { exportProblem } from './export-problem';
import type { PeerTask } from './peer-task';
import { runNumpy } from './run-numpy';

/** The three implementations timed: our plain loop driver, our RxJS streams (the product path), the numpy peer. */
export const VARIANTS = ['loop', 'streams', 'numpy'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Result of {@link timeTask}. */
export interface TaskTiming {
  readonly curves: Record<Variant, CurvePoint[][]>;
  readonly versions: { readonly python: string; readonly numpy: string };
  readonly exportedMB: number;
  /**
   * Two rows per target (reached a first time; reached and stays to the end of the run): median seconds and iterations
   * per variant, the ratios numpy / ours, µs per iteration.
   */
  readonly rows: Record<string, unknown>[];
}

/** A figure to 3 significant digits; '∞' for a target not reached, '—' for a ratio of two of those. */
const sig = (t: number, digits = 3) => (Number.isFinite(t) ? +t.toPrecision(digits) : t === Infinity ? '∞' : '—');

function loopCurve(task: PeerTask, seed: number, maxIter: number): CurvePoint[] {
  const curve: CurvePoint[] = [];
  // runLoop stops its clock while onSample runs: evaluation is excluded from solver time
  runLoop(task.problem, saba(task.steps), { maxIter, sampleEvery: task.every, seed }, (s) => {
    curve.push({ iter: s.iteration, seconds: s.solverSeconds, metric: task.metric(s.x, s.z) });
  });
  return curve;
}

async function streamsCurve(task: PeerTask, seed: number, maxIter: number): Promise<CurvePoint[]> {
  const curve: CurvePoint[] = [];
  // run excludes the time subscribers spend on a snapshot from solverSeconds
  await lastValueFrom(
    run(task.problem, saba(task.steps), { maxIter, sampleEvery: task.every, seed }).pipe(
      tap((s) => curve.push({ iter: s.iteration, seconds: s.solverSeconds, metric: task.metric(s.x, s.z) })),
    ),
  );
  return curve;
}

/**
 * Runs SABA on one task with our two drivers and with the numpy peer, `seeds` seeds each (seed s on every side; the
 * sides draw different block orders), the order of the three rotated from seed to seed so that the machine's load
 * drifts over all of them alike, after an untimed warm-up of our drivers. Every checkpoint of every run is evaluated
 * in this process with `task.metric`. The data go to a temporary folder (removed afterwards) as raw files.
 */
export async function timeTask(task: PeerTask, seeds: number, threads: number): Promise<TaskTiming> {
  const dir = mkdtempSync(join(tmpdir(), 'bilevel-peer-'));
  try {
    const exported = exportProblem(task.problem, task.steps, dir);
    runLoop(task.problem, saba(task.steps), { maxIter: task.warmupIter, sampleEvery: task.warmupIter, seed: 1_000 });
    await lastValueFrom(run(task.problem, saba(task.steps), { maxIter: task.warmupIter, sampleEvery: task.warmupIter, seed: 1_000 }));
    const curves: Record<Variant, CurvePoint[][]> = { loop: [], streams: [], numpy: [] };
    let versions = { python: '?', numpy: '?' };
    for (let seed = 0; seed < seeds; seed++) {
      for (let k = 0; k < VARIANTS.length; k++) {
        const variant = VARIANTS[(seed + k) % VARIANTS.length];
        if (variant === 'loop') curves.loop.push(loopCurve(task, seed, task.maxIter));
        else if (variant === 'streams') curves.streams.push(await streamsCurve(task, seed, task.maxIter));
        else {
          const res = runNumpy({ data: dir, seed, maxIter: task.maxIter, every: task.every, dimX: task.problem.dimX, dimZ: task.problem.dimZ, threads });
          versions = res.versions;
          curves.numpy.push(res.checkpoints.map((c) => ({ iter: c.iter, seconds: c.seconds, metric: task.metric(c.x, c.z) })));
        }
      }
    }
    const us = Object.fromEntries(VARIANTS.map((v) => [v, median(curves[v].map(microsPerIter))])) as Record<Variant, number>;
    const rows = task.targets.flatMap((target) =>
      (['first', 'stays'] as const).map((criterion) => {
        const at = criterion === 'first' ? firstReach : reachAndStay;
        const reach = Object.fromEntries(VARIANTS.map((v) => [v, curves[v].map((c) => at(c, target))])) as Record<Variant, { seconds: number; iter: number }[]>;
        const sec = Object.fromEntries(VARIANTS.map((v) => [v, median(reach[v].map((r) => r.seconds))])) as Record<Variant, number>;
        const iters = Object.fromEntries(VARIANTS.map((v) => [v, median(reach[v].map((r) => r.iter))])) as Record<Variant, number>;
        const reached = VARIANTS.map((v) => reach[v].filter((r) => Number.isFinite(r.seconds)).length);
        return {
          task: task.name,
          target: `${task.name === 'logreg-hpo' ? 'rel. subopt' : 'F(z_t)'} ≤ ${target}`,
          reached: criterion === 'first' ? 'first time' : 'and stays',
          'numpy s': sig(sec.numpy),
          'loop s': sig(sec.loop),
          'streams s': sig(sec.streams),
          'numpy/loop': sig(sec.numpy / sec.loop),
          'numpy/streams': sig(sec.numpy / sec.streams),
          'iters n|l|s': `${sig(iters.numpy, 6)}|${sig(iters.loop, 6)}|${sig(iters.streams, 6)}`,
          'seeds n|l|s': `${reached[2]}|${reached[0]}|${reached[1]}/${seeds}`,
          'µs/iter n|l|s': `${sig(us.numpy)}|${sig(us.loop)}|${sig(us.streams)}`,
        };
      }),
    );
    return { curves, versions, exportedMB: +(exported.bytes / 1e6).toFixed(1), rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
