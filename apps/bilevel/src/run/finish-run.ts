import type { Logger } from '@bilevel/telemetry';
import { WriteError } from '@bilevel/telemetry';
import { EXIT } from '../exit-codes';
import { writeFailureMessage } from '../run-files';
import type { RunOutcome } from './drive-run';
import { keepWriteFailure } from './drive-run';
import type { RunSession } from './run-session';

/** Closes the run's trace; a close that fails (the last lines not written) is kept as the run's write failure. */
export function closeTrace<Row>(session: RunSession<Row>, outcome: RunOutcome): void {
  keepWriteFailure(outcome, () => session.trace.close());
}

/** Logs how the run ended (`fields`: the command's figures), then its divergence or failed evaluation, if any. */
export function logRunEnded(log: Logger, outcome: RunOutcome, fields: Record<string, unknown>): void {
  const { divergence, evaluationFailure } = outcome;
  log[outcome.status === 'finished' ? 'info' : 'warn'](fields, 'run ended');
  if (divergence) log.error({ stream: divergence.stream, version: divergence.version }, divergence.message);
  if (evaluationFailure) log.error(evaluationFailure, `the evaluation at iteration ${evaluationFailure.iteration} failed: ${evaluationFailure.message}`);
}

/**
 * The end of a run, once its files are written: a write that failed is thrown as one WriteError saying where the run
 * stopped and which checkpoint to resume from; an interrupted run says how to continue (stderr); the exit code
 * follows the status (diverged 3, interrupted 130, monitor violation 4, else 0).
 */
export function finishRun<Row>(session: RunSession<Row>, outcome: RunOutcome, iteration: number): number {
  const { checkpoint, checkpointPath, outDir, resume } = session;
  const { status, writeFailure } = outcome;
  if (writeFailure) {
    const kept = checkpoint.lastIteration ?? resume?.state.versions.x.k;
    const at = { status, iteration, outDir, ...(kept !== undefined ? { checkpoint: { file: checkpointPath, iteration: kept } } : {}) };
    throw new WriteError(writeFailure.path, writeFailureMessage(writeFailure, at), { cause: writeFailure });
  }
  if (status === 'interrupted' && checkpoint.lastIteration !== undefined) {
    process.stderr.write(`interrupted at iteration ${checkpoint.lastIteration}: checkpoint ${checkpointPath}; continue with: bilevel run --resume ${outDir}\n`);
  }
  return status === 'diverged' ? EXIT.diverged : status === 'interrupted' ? EXIT.interrupted : status === 'violation' ? EXIT.monitorViolation : EXIT.ok;
}
