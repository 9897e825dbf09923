import { join } from 'node:path';
import type { Monitor } from '@bilevel/streams';
import { findingsSummary } from '@bilevel/streams';
import type { Logger } from '@bilevel/telemetry';
import { formatSummaryTable, svgToPng, writeFileAtomic } from '@bilevel/telemetry';
import type { RunOutcome } from './drive-run';
import { keepWriteFailure } from './drive-run';
import type { RunSession } from './run-session';

/** The first fields of a run's summary: what ran, and how it ended. */
export function summaryHead(problem: string, solver: string, outcome: RunOutcome) {
  const { status, lastSnapshot } = outcome;
  return { problem, solver, status, ...(lastSnapshot?.reason && status === 'finished' ? { stopReason: lastSnapshot.reason } : {}) };
}

/**
 * The last fields of a run's summary: the monitors' findings and violation, the end-of-run warning, the checkpoint
 * (and its failed writes), where a resumed run started, and what stopped the run early (divergence, evaluation or
 * write failure). Each only when it applies.
 */
export function summaryTail<Row>(session: RunSession<Row>, outcome: RunOutcome, watch: { readonly monitors: readonly Monitor[]; readonly strict?: boolean; readonly warning?: string }) {
  const { checkpoint, checkpointPath, resume, findings } = session;
  const { divergence, violation, evaluationFailure, writeFailure } = outcome;
  const { monitors, warning } = watch;
  return {
    ...(monitors.length ? { monitors: findingsSummary(monitors.map((m) => m.name), Boolean(watch.strict), findings) } : {}),
    ...(violation ? { violation: violation.message } : {}),
    ...(warning ? { warning } : {}),
    ...(checkpoint.lastIteration !== undefined ? { checkpoint: { file: checkpointPath, iteration: checkpoint.lastIteration, written: checkpoint.written } } : {}),
    ...(checkpoint.failures ? { checkpointFailures: checkpoint.failures } : {}),
    ...(resume ? { resumedFrom: { iteration: resume.state.versions.x.k, file: resume.file, fromPrevious: resume.fromPrevious } } : {}),
    ...(divergence ? { divergence: { stream: divergence.stream, variable: divergence.variable, version: divergence.version, message: divergence.message } } : {}),
    ...(evaluationFailure ? { evaluationFailure } : {}),
    ...(writeFailure ? { writeFailure: { file: writeFailure.path, code: writeFailure.code, message: writeFailure.message } } : {}),
  };
}

/** Writes summary.json into the run folder; a write that fails is kept in `outcome` (see keepWriteFailure). */
export function writeSummary(outDir: string, summary: object, outcome: RunOutcome): void {
  keepWriteFailure(outcome, () => writeFileAtomic(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n'));
}

/**
 * Draws `<file>.svg` and `<file>.png` in the run folder from the run's rows, unless it has none or a write already
 * failed; a plot that cannot be drawn is a warning, not a failed run.
 */
export async function writePlot<Row>(session: RunSession<Row>, outcome: RunOutcome, plot: { readonly file: string; readonly what: string; readonly svg: () => Promise<string> }, log: Logger): Promise<void> {
  if (session.rows.length === 0 || outcome.writeFailure) return;
  try {
    const svg = await plot.svg();
    writeFileAtomic(join(session.outDir, `${plot.file}.svg`), svg);
    writeFileAtomic(join(session.outDir, `${plot.file}.png`), svgToPng(svg));
  } catch (err) {
    log.warn({ err: (err as Error).message }, `could not draw the ${plot.what}`);
  }
}

/** The summary on stdout: one JSON line (`--json`), or a table (the monitors' counts only, no warning). */
export function printSummary(stdout: NodeJS.WritableStream, summary: object, json: boolean): void {
  if (json) return void stdout.write(JSON.stringify(summary) + '\n');
  const { monitors, warning: _warning, ...printed } = summary as Record<string, unknown> & { monitors?: { names: string[]; counts: unknown }; warning?: string };
  stdout.write(formatSummaryTable(monitors ? { ...printed, monitors: { names: monitors.names, counts: monitors.counts } } : printed) + '\n');
}

/** The line naming the files written into the run folder (none when a write failed: the error says which). */
export function wroteLine(outDir: string, files: readonly string[], outcome: RunOutcome): string {
  return outcome.writeFailure ? '' : `Wrote ${outDir}/{${files.join(',')}}\n`;
}
