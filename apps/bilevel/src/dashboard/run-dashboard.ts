import { nrm2 } from '@bilevel/linalg';
import type { Solver, StreamName } from '@bilevel/solvers';
import { totalCalls } from '@bilevel/solvers';
import type { Finding, Snapshot } from '@bilevel/streams';
import { parseSchedule } from '@bilevel/streams';
import type { DashboardJson, DashboardMeta, DashboardSink } from '@bilevel/dashboard';
import { finiteOrNull } from '@bilevel/dashboard';
import { scheduleReads } from './schedule-reads';

/** Live samples of a run per second at most (between the trace's evaluations). */
export const DEFAULT_SAMPLES_PER_SECOND = 10;

/** What the page says about a run, known once its input was validated. */
export interface RunDashboardInfo {
  readonly problem: string;
  readonly solver: string;
  readonly seed: number;
  readonly schedule: string;
  readonly maxIter: number;
  readonly evalEvery: number;
  readonly evaluation: 'exact' | 'iterate';
  /** The reference minimum, when computed. */
  readonly hStar?: number;
  readonly outDir: string;
  readonly resumedFrom?: number;
  /** Constant step sizes of the parts that do not report theirs in their diagnostics ({@link constantSteps}). */
  readonly constantSteps?: Partial<Record<StreamName, number>>;
}

/** The constant step size of each part whose description says it has one (SABA's ρ and γ…). */
export function constantSteps(solver: Solver): Partial<Record<StreamName, number>> {
  const out: Partial<Record<StreamName, number>> = {};
  for (const s of ['inner', 'linsys', 'outer'] as const) {
    const step = solver[s].description?.step;
    if (step?.kind === 'constant') out[s] = step.value;
  }
  return out;
}

/** A trace row as the dashboard reads it. */
export interface EvaluatedRow {
  readonly iter: number;
  readonly solverSeconds: number;
  readonly value: number;
  readonly hypergradNorm?: number;
  readonly relativeSuboptimality?: number;
  readonly oracleCalls: number;
  readonly metrics?: Readonly<Record<string, number>>;
}

/** What `bilevel run` tells its dashboard. */
export interface RunDashboard {
  /** The run's `onYield`: a live sample at most {@link DEFAULT_SAMPLES_PER_SECOND} times a second; holds the run while paused. */
  readonly onYield: (peek: () => Snapshot) => PromiseLike<void> | void;
  /** A snapshot evaluated for the trace, with z*(x) when the evaluation solved the inner problem. */
  evaluated(s: Snapshot, row: EvaluatedRow, zStar: Float64Array | undefined): void;
  finding(f: Finding): void;
  /** The run ended with this status (finished, interrupted, diverged…), and the iteration of its last checkpoint. */
  ended(status: string, checkpointIteration?: number): void;
}

/** How `bilevel run` opens its dashboard once the input is validated (main.ts provides it for `--dashboard`). */
export interface RunDashboardRequest {
  start(info: RunDashboardInfo): Promise<RunDashboard>;
}

/** The page's heading of a run. */
export function runMeta(info: RunDashboardInfo): DashboardMeta {
  return {
    kind: 'run',
    title: `${info.problem} · ${info.solver} · seed ${info.seed}`,
    fields: {
      schedule: info.schedule,
      'max iterations': info.maxIter,
      'evaluated every': info.evalEvery,
      evaluation: info.evaluation,
      ...(info.hStar !== undefined ? { 'h*': +info.hStar.toPrecision(10) } : {}),
      ...(info.resumedFrom !== undefined ? { 'resumed from iteration': info.resumedFrom } : {}),
      folder: info.outDir,
    },
    controls: { stop: true, pause: true },
  };
}

function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/** Options of {@link runDashboard}, with their defaults. */
export interface RunDashboardOptions {
  /** The page's pause: a promise that holds the run while it is pending (see DashboardSession.hold). Default none. */
  readonly hold?: () => PromiseLike<void> | undefined;
  /** Live samples per second at most. Default {@link DEFAULT_SAMPLES_PER_SECOND}. */
  readonly samplesPerSecond?: number;
  /** Clock in ms (tests). Default performance.now. */
  readonly now?: () => number;
}

/**
 * The messages of a run for its page: each evaluated trace row (h − h* or h, ‖∇h‖, ‖z − z*(x)‖ with the exact
 * evaluation, the problem's metrics), live samples of the three streams taken between stretches of work at most
 * `samplesPerSecond` times a second (‖z‖, ‖v‖, ‖x‖, their moves per iteration, the parts' step sizes, oracle
 * calls per stream, and the versions each stream read under the schedule), and the monitors' findings. Cost per
 * stretch of work when no sample is due: one clock read; per sample: a copy of z, v, x (the run's peek) and their
 * norms.
 *
 * @example
 * const dash = runDashboard(session.sink, info, { hold: () => session.hold() });
 * run(problem, solver, { ...options, onYield: dash.onYield });
 */
export function runDashboard(sink: DashboardSink, info: RunDashboardInfo, options: RunDashboardOptions = {}): RunDashboard {
  const schedule = parseSchedule(info.schedule);
  const samplesPerSecond = options.samplesPerSecond ?? DEFAULT_SAMPLES_PER_SECOND;
  if (!(samplesPerSecond > 0)) throw new RangeError(`runDashboard: samplesPerSecond must be > 0, received ${samplesPerSecond}`);
  const interval = 1000 / samplesPerSecond;
  const now = options.now ?? (() => performance.now());
  const hold = options.hold ?? (() => undefined);
  let nextSample = 0;
  let previous: Snapshot | undefined;
  sink({ type: 'state', patch: { schedule: schedule.name, maxIter: info.maxIter, hStar: info.hStar ?? null } });
  const sample = (s: Snapshot) => {
    const steps = previous && s.iteration > previous.iteration ? s.iteration - previous.iteration : 0;
    const move = (w: 'z' | 'v' | 'x') => (previous && steps > 0 ? distance(s[w], previous[w]) / steps : null);
    const d = s.diagnostics;
    sink({
      type: 'point',
      series: 'live',
      point: {
        iter: s.iteration,
        t: s.solverSeconds,
        zn: finiteOrNull(nrm2(s.z)),
        vn: finiteOrNull(nrm2(s.v)),
        xn: finiteOrNull(nrm2(s.x)),
        dz: finiteOrNull(move('z')),
        dv: finiteOrNull(move('v')),
        dx: finiteOrNull(move('x')),
        az: finiteOrNull(d.inner?.step ?? info.constantSteps?.inner),
        av: finiteOrNull(d.linsys?.step ?? info.constantSteps?.linsys),
        ax: finiteOrNull(d.outer?.step ?? info.constantSteps?.outer),
        ci: totalCalls(s.counts.inner),
        cl: totalCalls(s.counts.linsys),
        co: totalCalls(s.counts.outer),
      },
    });
    const reads = scheduleReads(schedule, s.tick);
    sink({ type: 'state', patch: { iteration: s.iteration, tick: s.tick, solverSeconds: s.solverSeconds, reads: reads as unknown as DashboardJson } });
    previous = s;
  };
  return {
    onYield(peek) {
      const t = now();
      if (t >= nextSample) {
        nextSample = t + interval;
        sample(peek());
      }
      return hold();
    },
    evaluated(s, row, zStar) {
      sample(s);
      const metrics = Object.fromEntries(Object.entries(row.metrics ?? {}).map(([k, v]) => [`m:${k}`, finiteOrNull(v)]));
      sink({
        type: 'point',
        series: 'eval',
        point: {
          iter: row.iter,
          t: row.solverSeconds,
          h: finiteOrNull(row.value),
          gap: info.hStar !== undefined ? finiteOrNull(row.value - info.hStar) : null,
          rel: finiteOrNull(row.relativeSuboptimality),
          grad: finiteOrNull(row.hypergradNorm),
          zdist: zStar && info.evaluation === 'exact' && zStar.length === s.z.length ? finiteOrNull(distance(s.z, zStar)) : null,
          calls: finiteOrNull(row.oracleCalls),
          ...metrics,
        },
      });
    },
    finding(f) {
      sink({
        type: 'item',
        list: 'findings',
        item: { level: f.level, monitor: f.monitor, iteration: f.iteration, message: f.message, value: finiteOrNull(f.value), bound: finiteOrNull(f.bound), stream: f.stream ?? null, oracle: f.oracle ?? null },
      });
    },
    ended(status, checkpointIteration) {
      const resumable = status !== 'finished' && checkpointIteration !== undefined;
      sink({
        type: 'state',
        patch: {
          outcome: status,
          failed: status !== 'finished' && status !== 'interrupted',
          checkpoint: checkpointIteration ?? null,
          ...(resumable ? { notice: `checkpoint at iteration ${checkpointIteration}: continue with bilevel run --resume ${info.outDir}` } : {}),
        },
      });
    },
  };
}
