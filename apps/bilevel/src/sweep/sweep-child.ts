import type { RunResult } from '../bench/execute-run';
import { executeRun } from '../bench/execute-run';
import type { RunSpec } from '../bench/expand-grid';
import { ProblemCache } from '../bench/problem-cache';

/** Parent → child: execute one run. A child gets the next one only after it answered this one. */
export interface SweepRunMessage {
  readonly type: 'run';
  readonly key: string;
  readonly spec: RunSpec;
}

/** Child → parent: the result of the run it was given (a failed run has status 'error'; never a throw). */
export interface SweepResultMessage {
  readonly type: 'result';
  readonly key: string;
  readonly result: RunResult;
}

/** The IPC end of a child process (`process` in a forked child). */
export interface SweepChildPort {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  send?(message: SweepResultMessage): unknown;
  /** False once the parent is gone. */
  readonly connected?: boolean;
}

/**
 * The loop of a sweep pool's child process: executes each {@link SweepRunMessage} with {@link executeRun} (the
 * code path of `bilevel run`) on the child's own {@link ProblemCache}, so each problem and its h* are built once
 * per child, and answers with a {@link SweepResultMessage}. Exits when the parent disconnects. Started by
 * sweep-child-entry.mjs, which registers tsx first.
 */
export function serveSweepRuns(port: SweepChildPort = process as unknown as SweepChildPort, exit: () => void = () => process.exit(0)): void {
  if (typeof port.send !== 'function') throw new Error('serveSweepRuns: this process has no IPC channel; expected to be forked by ProcessPool');
  const cache = new ProblemCache();
  port.on('disconnect', exit);
  port.on('message', (message: unknown) => {
    const m = message as Partial<SweepRunMessage> | null;
    if (m === null || typeof m !== 'object' || m.type !== 'run' || typeof m.key !== 'string' || m.spec === undefined) return;
    const { key, spec } = m as SweepRunMessage;
    void executeRun(spec, { cache }).then((result) => {
      // a parent that died (kill -9) during the run is noticed here at the latest
      if (port.connected === false) return exit();
      port.send!({ type: 'result', key, result });
    });
  });
}
