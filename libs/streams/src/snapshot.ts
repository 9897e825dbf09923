import type { OracleCounts, StreamName } from '@bilevel/solvers';

/** Why a run ended: its iteration or time budget, or a request on `RunOptions.stop` (e.g. Ctrl-C). */
export type StopReason = 'max-iter' | 'max-seconds' | 'stopped';

/** A sampled view of a run: copies of the iterates, time spent in the solver, oracle calls per stream. */
export interface Snapshot {
  /** Outer steps completed (= clock ticks for jacobi and gauss-seidel). */
  readonly iteration: number;
  /** Clock ticks completed. */
  readonly tick: number;
  readonly z: Float64Array;
  readonly v: Float64Array;
  readonly x: Float64Array;
  /** Seconds spent in solver steps so far; time spent by subscribers (evaluation, I/O) is excluded. */
  readonly solverSeconds: number;
  /** Oracle calls of each stream and their total. */
  readonly counts: Readonly<Record<StreamName | 'total', OracleCounts>>;
  /** Each part's own diagnostics (step sizes, tolerances, privacy spent…), when it reports any. */
  readonly diagnostics: Readonly<Partial<Record<StreamName, Readonly<Record<string, number>>>>>;
  /** True on the last snapshot of a run. */
  readonly final: boolean;
  /** Set on the final snapshot. */
  readonly reason?: StopReason;
}
