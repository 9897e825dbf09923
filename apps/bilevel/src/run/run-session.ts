import { join } from 'node:path';
import { Subject } from 'rxjs';
import type { Finding } from '@bilevel/streams';
import type { Logger, Progress } from '@bilevel/telemetry';
import { createProgress, readTrace, TraceWriter } from '@bilevel/telemetry';
import type { RunCheckpointHooks, RunCheckpoints } from '../run-files';
import { resumeTrace, runCheckpoints } from '../run-files';
import type { ResumeInfo } from './read-resume';
import { CHECKPOINT_KIND, DEFAULT_CHECKPOINT_SECONDS, RUN_FILES } from './run-folder';

/** What {@link openRunSession} needs. */
export interface RunSessionOptions {
  /** The run folder (prepareRunFolder). */
  readonly outDir: string;
  readonly resume?: ResumeInfo;
  /** `--checkpoint-every`, seconds of solver time; default {@link DEFAULT_CHECKPOINT_SECONDS}. */
  readonly checkpointEvery?: number;
  /** Checkpoints counted in iterations, and a callback after each (tests, embedders). */
  readonly checkpoints?: RunCheckpointHooks;
  /** Outer iterations of the run (the progress bar's total), whether to draw the bar, and its label. */
  readonly maxIter: number;
  readonly progress: boolean;
  readonly label: string;
  readonly log: Logger;
  /** Numbers of the program's own to keep in each checkpoint (see `RunCheckpointsOptions.extra`). */
  readonly checkpointExtra?: () => Readonly<Record<string, number>>;
}

/** The files and hooks one run writes through, from its first step to its summary. */
export interface RunSession<Row> {
  readonly outDir: string;
  readonly resume: ResumeInfo | undefined;
  /** trace.jsonl, opened new or, for a resumed run, at its checkpoint's position. */
  readonly trace: TraceWriter;
  /** The evaluated rows of the trace so far (a resumed run's earlier rows first; findings left out). */
  readonly rows: Row[];
  /** The monitors' findings, in order. */
  readonly findings: Finding[];
  readonly checkpointPath: string;
  readonly checkpoint: RunCheckpoints;
  /** Emits to end the run cleanly (Ctrl-C, the dashboard's Stop): the current step, a checkpoint, a final snapshot. */
  readonly stop: Subject<void>;
  readonly progress: Progress;
}

/**
 * Opens what a run writes through: its trace (a resumed run's cut at the checkpoint's position, its earlier rows
 * read back), the checkpoints every `checkpointEvery` seconds of solver time (or `everyIterations` iterations, for
 * tests), the stop signal and the progress bar. Shared by `bilevel run` on every problem, meta-learning included.
 */
export function openRunSession<Row>(options: RunSessionOptions): RunSession<Row> {
  const { outDir, resume, log } = options;
  const tracePath = join(outDir, RUN_FILES.trace);
  const trace = resume ? resumeTrace(tracePath, resume.trace, log) : TraceWriter.open(tracePath);
  const rows: Row[] = resume ? (readTrace<Record<string, unknown>>(tracePath).filter((r) => !('finding' in r)) as Row[]) : [];
  const checkpointPath = join(outDir, RUN_FILES.checkpoint);
  const hooks = options.checkpoints ?? {};
  const checkpoint = runCheckpoints({
    path: checkpointPath,
    kind: CHECKPOINT_KIND,
    every: options.checkpointEvery ?? DEFAULT_CHECKPOINT_SECONDS,
    start: hooks.everyIterations !== undefined ? (resume?.state.versions.x.k ?? 0) : (resume?.state.solverSeconds ?? 0),
    trace,
    log,
    ...(options.checkpointExtra ? { extra: options.checkpointExtra } : {}),
    ...hooks,
  });
  const progress = createProgress({ total: Math.max(1, options.maxIter), enabled: options.progress, label: options.label });
  return { outDir, resume, trace, rows, findings: [], checkpointPath, checkpoint, stop: new Subject<void>(), progress };
}
