import { basename } from 'node:path';
import type { DashboardJson, DashboardMeta, DashboardSink } from '@bilevel/dashboard';
import { finiteOrNull } from '@bilevel/dashboard';
import type { RunResult } from '../bench/execute-run';
import type { Grid } from '../bench/grid-spec';
import { RunStore } from '../sweep/run-store';
import type { SweepProgress } from '../sweep/sweep-engine';
import { sweepJobs } from '../sweep/sweep-engine';
import type { SweepJob } from '../sweep/sweep-types';

/** What the page says about a sweep, known once its grid was read. */
export interface SweepDashboardInfo {
  readonly gridFile: string;
  readonly grid: Grid;
  /** The sweep folder (its runs/ hold the results of an earlier sweep: shown as done). */
  readonly out: string;
}

/** What `bilevel sweep` tells its dashboard. */
export interface SweepDashboard {
  /** A run was taken by a worker, or ended. */
  progress(p: SweepProgress): void;
  /** The sweep ended: the runs still queued or running were not run (interrupted). */
  ended(interrupted: boolean): void;
}

/** How `bilevel sweep` opens its dashboard once the grid is read (main.ts provides it for `--dashboard`). */
export interface SweepDashboardRequest {
  start(info: SweepDashboardInfo): Promise<SweepDashboard>;
}

/** The page's heading of a sweep. */
export function sweepMeta(info: SweepDashboardInfo, runs: number): DashboardMeta {
  return {
    kind: 'sweep',
    title: `sweep ${basename(info.gridFile)}`,
    fields: { grid: info.gridFile, runs, folder: info.out },
    controls: { stop: true, pause: false },
  };
}

type Status = 'queued' | 'running' | 'done' | 'failed';

function row(job: SweepJob, status: Status, extra: Record<string, DashboardJson> = {}): { [key: string]: DashboardJson } {
  return { id: job.spec.id, problem: job.spec.problem.label, solver: job.spec.solver, seed: job.spec.seed, metricName: job.spec.metric, status, ...extra };
}

/** A result as its row and its curve (the spec's metric against iterations and solver seconds). */
function ended(job: SweepJob, result: RunResult, worker: string | null): { row: { [key: string]: DashboardJson }; curve: { iter: number; t: number | null; metric: number | null }[] } {
  const last = result.points.at(-1);
  const status: Status = result.status === 'finished' ? 'done' : 'failed';
  return {
    row: row(job, status, {
      iterations: result.iterations,
      metric: finiteOrNull(last?.metric),
      solverSeconds: finiteOrNull(result.solverSeconds),
      worker,
      ...(result.status === 'error' ? { error: result.error?.message ?? 'error' } : result.status === 'diverged' ? { error: 'diverged' } : {}),
    }),
    curve: result.points.map((p) => ({ iter: p.iteration, t: finiteOrNull(p.solverSeconds), metric: finiteOrNull(p.metric) })),
  };
}

/**
 * The messages of a sweep for its page: the grid as a table of runs (queued, running with its worker, done or
 * failed with its iterations, last metric and solver seconds; the results an earlier sweep stored in the folder
 * shown as done), each ended run's curve (fetched by the page when its row is clicked), and the counts.
 */
export function sweepDashboard(sink: DashboardSink, info: SweepDashboardInfo): SweepDashboard {
  const store = new RunStore(info.out);
  const statuses = new Map<string, Status>();
  const workers = new Map<string, string>();
  const running = new Map<string, SweepJob>();
  const counts = () => {
    const c = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const s of statuses.values()) c[s]++;
    return c;
  };
  for (const job of sweepJobs(info.grid)) {
    const stored = store.read(job.key);
    if (stored && (stored.status === 'finished' || stored.status === 'diverged')) {
      const e = ended(job, stored, null);
      statuses.set(job.key, e.row.status as Status);
      sink({ type: 'row', key: job.key, row: { ...e.row, stored: true } });
      sink({ type: 'curve', key: job.key, points: e.curve });
    } else {
      statuses.set(job.key, 'queued');
      sink({ type: 'row', key: job.key, row: row(job, 'queued') });
    }
  }
  sink({ type: 'state', patch: { counts: counts() } });
  return {
    progress(p) {
      const { job } = p;
      if (p.event === 'start') {
        statuses.set(job.key, 'running');
        running.set(job.key, job);
        if (p.worker) workers.set(job.key, p.worker);
        sink({ type: 'row', key: job.key, row: row(job, 'running', { worker: p.worker ?? null }) });
      } else if (p.result) {
        running.delete(job.key);
        const e = ended(job, p.result, workers.get(job.key) ?? null);
        statuses.set(job.key, e.row.status as Status);
        sink({ type: 'row', key: job.key, row: e.row });
        sink({ type: 'curve', key: job.key, points: e.curve });
      }
      sink({ type: 'state', patch: { counts: counts() } });
    },
    ended(interrupted) {
      // a run abandoned by the interruption is queued again (the same command reruns it)
      for (const [key, job] of running) {
        statuses.set(key, 'queued');
        sink({ type: 'row', key, row: row(job, 'queued', { error: 'not finished: reruns next time' }) });
      }
      running.clear();
      const c = counts();
      sink({
        type: 'state',
        patch: {
          outcome: interrupted ? 'interrupted' : c.failed ? `${c.failed} failed` : 'finished',
          failed: c.failed > 0,
          counts: c,
          ...(interrupted && c.queued + c.running > 0 ? { notice: `${c.queued + c.running} runs not run: the same command resumes the sweep` } : {}),
        },
      });
    },
  };
}
