import type { CurvePoint } from './curve-stats';
import { firstReach, median, microsPerIter } from './curve-stats';
import type { Implementation } from './implementations';

/** What {@link headline} reads of a task's timing: per implementation id, one curve per seed on each clock, and the peaks. */
export interface HeadlineInput {
  /** Checkpoints with solver CPU seconds (every thread of the process). */
  readonly curves: Readonly<Record<string, readonly (readonly CurvePoint[])[] | undefined>>;
  /** The same checkpoints with solver wall seconds. */
  readonly wallCurves: Readonly<Record<string, readonly (readonly CurvePoint[])[] | undefined>>;
  /** Peak resident memory of each run's process, MB. */
  readonly peaks: Readonly<Record<string, readonly number[] | undefined>>;
}

/** One implementation's headline figures (null: not finite, e.g. a target not reached). */
export interface HeadlineFigures {
  readonly threads: number;
  /** Median µs per iteration, solver CPU time (all threads). */
  readonly usPerIter: number | null;
  /** Median µs per iteration, solver wall time. */
  readonly usPerIterWall: number | null;
  /** Median solver CPU seconds to the first checkpoint at or below the target. */
  readonly secondsToTarget: number | null;
  /** Median solver wall seconds to the same. */
  readonly secondsToTargetWall: number | null;
  /** Median peak resident memory, MB. */
  readonly peakMB: number | null;
}

/** A Python peer's figures divided by one of ours (> 1: ours is faster or smaller). */
export interface HeadlineRatio {
  readonly usPerIter: number | null;
  readonly timeToTarget: number | null;
  readonly peakMB: number | null;
  readonly usPerIterWall: number | null;
  readonly timeToTargetWall: number | null;
  /** Both run on the same number of threads (the fair comparison of wall times). */
  readonly sameThreads: boolean;
}

/** A figure to 3 significant digits, null when not finite (a target not reached). */
const fig = (t: number, digits = 3) => (Number.isFinite(t) ? +t.toPrecision(digits) : null);

/**
 * The headline figures of one task, per implementation: median over seeds of µs per iteration and of the seconds
 * to the first checkpoint at or below the headline target (`targets[0]`), each on the CPU clock (the sum over the
 * process's threads: what the run costs) and on the wall clock (what a user waits: the figure of a threaded run),
 * and the median peak resident memory; and for every Python peer × every driver of ours the peer's figure divided
 * by ours, keyed `<theirs>/<ours>` (`numba/loop`, `numba-2t/threads`…), with whether their thread budgets match.
 */
export function headline(targets: readonly number[], timing: HeadlineInput, impls: readonly Implementation[]) {
  const target = targets[0];
  const per = new Map(
    impls.map((m) => {
      const cs = timing.curves[m.id] ?? [];
      const ws = timing.wallCurves[m.id] ?? [];
      return [
        m.id,
        {
          usPerIter: median(cs.map(microsPerIter)),
          usPerIterWall: median(ws.map(microsPerIter)),
          secondsToTarget: median(cs.map((c) => firstReach(c, target).seconds)),
          secondsToTargetWall: median(ws.map((c) => firstReach(c, target).seconds)),
          peakMB: median(timing.peaks[m.id] ?? []),
        },
      ];
    }),
  );
  const ratios: Record<string, HeadlineRatio> = {};
  for (const theirs of impls.filter((m) => !m.ours)) {
    for (const ours of impls.filter((m) => m.ours)) {
      const a = per.get(theirs.id)!;
      const b = per.get(ours.id)!;
      ratios[`${theirs.id}/${ours.id}`] = {
        usPerIter: fig(a.usPerIter / b.usPerIter),
        timeToTarget: fig(a.secondsToTarget / b.secondsToTarget),
        peakMB: fig(a.peakMB / b.peakMB),
        usPerIterWall: fig(a.usPerIterWall / b.usPerIterWall),
        timeToTargetWall: fig(a.secondsToTargetWall / b.secondsToTargetWall),
        sameThreads: theirs.threads === ours.threads,
      };
    }
  }
  const figures: Record<string, HeadlineFigures> = Object.fromEntries(
    impls.map((m) => {
      const p = per.get(m.id)!;
      return [
        m.id,
        {
          threads: m.threads,
          usPerIter: fig(p.usPerIter),
          usPerIterWall: fig(p.usPerIterWall),
          secondsToTarget: fig(p.secondsToTarget),
          secondsToTargetWall: fig(p.secondsToTargetWall),
          peakMB: fig(p.peakMB),
        },
      ];
    }),
  );
  return { target, figures, ratios };
}
