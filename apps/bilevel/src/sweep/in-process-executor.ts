import { executeRun } from '../bench/execute-run';
import { ProblemCache } from '../bench/problem-cache';
import type { SweepExecutor, SweepHooks, SweepJob } from './sweep-types';

/**
 * A {@link SweepExecutor} that runs the jobs in this process, one after another, sharing one {@link ProblemCache}
 * (so each problem and its h* are built once): the engine of `bilevel bench`, whose solver timings should not
 * compete with other runs for the cores, and of tests. `hooks.signal` stops it between runs.
 */
export class InProcessExecutor implements SweepExecutor {
  readonly description = 'in process (1 run at a time)';

  constructor(private readonly cache: ProblemCache = new ProblemCache()) {}

  async execute(jobs: Iterable<SweepJob>, hooks: SweepHooks): Promise<void> {
    for (const job of jobs) {
      if (hooks.signal?.aborted) return;
      hooks.onStart?.(job, `in-process:${process.pid}`);
      hooks.onResult(job, await executeRun(job.spec, { cache: this.cache }));
    }
  }

  async close(): Promise<void> {}
}
