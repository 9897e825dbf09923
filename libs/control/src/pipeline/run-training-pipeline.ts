import type { PipelineStages, PolicyState } from './pipeline-stages';
import type { PipelineEvent, PipelineStop } from './training-pipeline';
import { trainingPipeline } from './training-pipeline';
import type { Finding } from '@bilevel/streams';
import type { StopSignal } from '@bilevel/verify';
import { isStopError } from '@bilevel/verify';

/** Options of {@link runTrainingPipeline}. */
export interface RunPipelineOptions {
  /** Largest number of upper-level steps. Default 200. */
  readonly maxIter?: number;
  /** Budget of seconds spent in the stages. Default Infinity. */
  readonly maxSeconds?: number;
  /**
   * Stops the run (outcome 'interrupted') before the next step once aborted. Stages given the same signal may also
   * stop inside a step (they throw an `AbortError`): that step is abandoned and the run ends at the last completed
   * iteration, as if the signal had come just after it.
   */
  readonly signal?: StopSignal;
  /** Yield to the event loop every this many steps (signals, timers, progress). Default 1. */
  readonly yieldEvery?: number;
  /** Called with each completed iteration (θ_0 included). */
  readonly onEvent?: (event: PipelineEvent) => void;
  /** Called with each finding of the pipeline's `findings$` (verdicts, LP status, divergence), before onEvent. */
  readonly onFinding?: (finding: Finding) => void;
}

/** How a run ended and its last iteration. */
export interface PipelineResult {
  readonly outcome: PipelineStop | 'max-iter' | 'max-seconds' | 'interrupted';
  /** Upper-level steps taken. */
  readonly iterations: number;
  /** Seconds spent in the stages (and onEvent), yields excluded. */
  readonly seconds: number;
  /** The last completed iteration. */
  readonly last: PipelineEvent;
}

/**
 * Drives a {@link trainingPipeline} with a clock: one tick per upper-level step until the pipeline stops itself
 * ('certified', 'diverged', 'stalled'), or maxIter steps, or maxSeconds, or the signal aborts. The stages run
 * synchronously inside a tick; between ticks the driver yields to the event loop so that a Ctrl-C can land, and
 * stages that read the same signal stop inside a tick. A stage (or onEvent) that throws rejects the returned promise
 * with that error, except the `AbortError` of a stage stopped by the aborted signal: outcome 'interrupted'.
 *
 * @example
 * const result = await runTrainingPipeline(polyTrackStages(...).stages, init, { maxIter: 100 });
 */
export async function runTrainingPipeline(stages: PipelineStages, init: PolicyState, options: RunPipelineOptions = {}): Promise<PipelineResult> {
  const fn = 'runTrainingPipeline';
  const maxIter = options.maxIter ?? 200;
  const maxSeconds = options.maxSeconds ?? Infinity;
  const yieldEvery = options.yieldEvery ?? 1;
  if (!Number.isInteger(maxIter) || maxIter < 0) throw new RangeError(`${fn}: options.maxIter must be an integer ≥ 0, received ${maxIter}`);
  if (!(maxSeconds > 0)) throw new RangeError(`${fn}: options.maxSeconds must be > 0, received ${maxSeconds}`);
  if (!Number.isInteger(yieldEvery) || yieldEvery < 1) throw new RangeError(`${fn}: options.yieldEvery must be an integer ≥ 1, received ${yieldEvery}`);
  const pipeline = trainingPipeline(stages, init);
  let last: PipelineEvent | null = null;
  let failure: { error: unknown } | null = null;
  if (options.onFinding) {
    const onFinding = options.onFinding;
    pipeline.subscription.add(
      pipeline.findings$.subscribe({
        next: (f) => {
          try {
            onFinding(f);
          } catch (error) {
            failure ??= { error };
          }
        },
        // a stage's error reaches this subscriber too; without a handler RxJS would rethrow it asynchronously
        error: (error) => (failure ??= { error }),
      }),
    );
  }
  pipeline.subscription.add(
    pipeline.event$.subscribe({
      next: (e) => {
        last = e;
        try {
          options.onEvent?.(e);
        } catch (error) {
          failure ??= { error };
        }
      },
      error: (error) => (failure ??= { error }),
    }),
  );
  let ms = 0;
  const timed = (f: () => void) => {
    const t0 = performance.now();
    f();
    ms += performance.now() - t0;
  };
  try {
    timed(() => pipeline.start());
    let completed: PipelineEvent | null = null;
    for (let t = 0; ; t++) {
      if (failure) {
        const { error } = failure as { error: unknown };
        // a stage stopped by the signal inside this tick: the step is abandoned, the last completed one stands
        if (completed !== null && options.signal?.aborted && isStopError(error)) return { outcome: 'interrupted', iterations: completed.iteration, seconds: ms / 1000, last: completed };
        throw error;
      }
      const e = last as PipelineEvent | null;
      if (e === null) throw new Error(`${fn}: the pipeline emitted no event for θ_${t}`);
      const end = (outcome: PipelineResult['outcome']): PipelineResult => ({ outcome, iterations: e.iteration, seconds: ms / 1000, last: e });
      if (e.stop !== null) return end(e.stop);
      if (e.iteration >= maxIter) return end('max-iter');
      if (ms / 1000 >= maxSeconds) return end('max-seconds');
      if (t % yieldEvery === 0) await new Promise<void>((r) => setImmediate(r));
      if (options.signal?.aborted) return end('interrupted');
      completed = e;
      last = null;
      timed(() => pipeline.tick(t));
      if (last === null && !failure) throw new Error(`${fn}: tick ${t} produced no iteration`);
    }
  } finally {
    pipeline.subscription.unsubscribe();
  }
}
