import type { RunResult } from '../bench/execute-run';
import type { RunSpec } from '../bench/expand-grid';

/** One run of a sweep: its spec and its content address ({@link runKey} of the spec). */
export interface SweepJob {
  /** Hex SHA-256 of the spec's canonical JSON: the run's identity and the name of its folder. */
  readonly key: string;
  readonly spec: RunSpec;
}

/** What an executor reports while it works. */
export interface SweepHooks {
  /** A run was taken by a worker (`worker`: e.g. `pool-1` or `host:pid`). */
  readonly onStart?: (job: SweepJob, worker: string) => void;
  /**
   * A run ended: every job gets exactly one call, a failed run as a result with status 'error' (never a throw).
   * The sweep writes the result to the run store before the next call.
   */
  readonly onResult: (job: SweepJob, result: RunResult) => void;
  /**
   * Aborted: start no new run and resolve within seconds; a running run either ends first or is abandoned without
   * an onResult call (it stays pending and reruns next time).
   */
  readonly signal?: AbortSignal;
}

/**
 * Where the runs of a sweep execute: the embedded pool of worker processes, or a BullMQ queue served by
 * `bilevel worker` processes on any number of machines. Both run {@link executeRun}, the code path of `bilevel run`.
 */
export interface SweepExecutor {
  /** e.g. 'pool (2 processes)' or 'queue redis://127.0.0.1:6379 (bilevel-sweep)'. */
  readonly description: string;
  /**
   * Runs every job and resolves once each has had its onResult call (or the signal aborted). The jobs are taken
   * from the iterable as the executor needs them, so a sweep need not hold them all in memory. Rejects with an
   * ExecutorUnavailableError when the executor's backend (Redis) is gone for longer than it allows.
   */
  execute(jobs: Iterable<SweepJob>, hooks: SweepHooks): Promise<void>;
  /** Releases processes and connections. Idempotent. */
  close(): Promise<void>;
}
