import { formatFindings } from '@bilevel/streams';
import type { Logger } from '@bilevel/telemetry';
import { convergencePlotSvg } from '@bilevel/telemetry';
import { endOfRunWarning, NO_MONITORS } from '../run-monitors';
import type { RunOutcome } from './drive-run';
import { logRunEnded } from './finish-run';
import type { RunPlan } from './plan-run';
import type { Reference } from './reference-minimum';
import { writeReconstructions } from './problem-results';
import { printSummary, summaryHead, summaryTail, writePlot, writeSummary, wroteLine } from './run-summary';
import type { RunSession } from './run-session';
import type { InexactEvaluations, TraceRow } from './trace-evaluator';

/**
 * Relative precision of an evaluated h(x): the inner solve stops at ‖∇_z G‖ ≤ 1e-10 (Newton usually lands far
 * below), so |h − F(z*)| ≤ ‖∇_z F‖·1e-10/μ; on the default task that is ~1e-9 relative at worst.
 */
const PRECISION_OF_H = 1e-9;

/** What the end of a `bilevel run` reports: the run, how it ended, and what was computed after it. */
export interface RunResults {
  readonly plan: RunPlan;
  readonly session: RunSession<TraceRow>;
  readonly outcome: RunOutcome;
  /** The oracles' backend (see SolverOracles). */
  readonly backend: string;
  readonly ref: Reference | undefined;
  /** The last evaluated row: the last trace row, or a diverged run's last finite iterate. */
  readonly finalRow: TraceRow | undefined;
  /** The final x (a diverged run's last finite one). */
  readonly x: Float64Array | undefined;
  readonly baselines: Record<string, number> | undefined;
  readonly warning: string | undefined;
  readonly inexact: InexactEvaluations | undefined;
  /** performance.now() when the command started. */
  readonly wallStart: number;
}

/** summary.json of `bilevel run` (the order of its fields is the order of the printed table). */
export function runSummary(r: RunResults) {
  const { plan, session, outcome, ref, finalRow, x, baselines, warning, inexact } = r;
  const { problem, solver, config, schedule, evaluation, monitors } = plan;
  const { lastSnapshot } = outcome;
  return {
    ...summaryHead(problem.name, solver.name, outcome),
    iterations: finalRow?.iter ?? 0,
    solverSeconds: lastSnapshot?.solverSeconds ?? 0,
    x: x ? Array.from(x) : [],
    value: finalRow?.value ?? NaN,
    ...(finalRow?.hypergradNorm !== undefined ? { hypergradNorm: finalRow.hypergradNorm } : {}),
    evaluation,
    ...(ref ? { hStar: ref.value, relativeSuboptimality: finalRow?.relativeSuboptimality ?? NaN } : {}),
    ...(finalRow?.metrics ? { metrics: finalRow.metrics } : {}),
    ...(baselines ? { baselines } : {}),
    backend: r.backend,
    seed: config.seed,
    schedule,
    solverOptions: solver.options,
    problemInfo: problem.info ?? {},
    oracleCalls: lastSnapshot?.counts.total ?? null,
    evaluations: session.rows.length,
    wallSeconds: (performance.now() - r.wallStart) / 1000,
    outDir: session.outDir,
    ...summaryTail(session, outcome, { monitors, strict: config.strict, warning }),
    ...(inexact ? { inexactEvaluations: inexact } : {}),
    ...(ref && (!ref.converged || !ref.innerConverged) ? { hStarInexact: { gradNorm: ref.gradNorm, gtol: ref.gtol, innerGradNorm: ref.innerGradNorm, innerTol: ref.innerTol } } : {}),
  };
}

/**
 * The files of a run's end, in the run folder: reconstructions.png (imaging), summary.json, and the convergence plot
 * (h, ‖∇h‖ and the gap to h* against solver time). A figure that cannot be drawn is a warning; a write that fails is
 * kept in the outcome. Returns the reconstructions' path, when drawn.
 */
export async function writeRunFiles(r: RunResults, summary: ReturnType<typeof runSummary>, log: Logger): Promise<string | undefined> {
  const { plan, session, outcome, ref } = r;
  const { problem, solver, config } = plan;
  const images = writeReconstructions(problem, r.x, session.outDir, outcome, log);
  writeSummary(session.outDir, summary, outcome);
  const records = () => session.rows.map((row) => ({ ...row, hypergradNorm: row.hypergradNorm ?? NaN }));
  const title = `${problem.name} · ${solver.name} (seed ${config.seed})`;
  await writePlot(session, outcome, { file: 'convergence', what: 'convergence plot', svg: () => convergencePlotSvg(records(), { title, ...(ref ? { hStar: ref.value } : {}) }) }, log);
  return images;
}

/**
 * The report of `bilevel run`: the log's last lines, then on stdout the summary (JSON or a table), h against h*
 * with the metrics and the files written, the monitors' findings (when named, or on a DEQ), and the end-of-run warning.
 */
export function reportRun(r: RunResults, summary: ReturnType<typeof runSummary>, images: string | undefined, io: { readonly stdout: NodeJS.WritableStream; readonly log: Logger }): void {
  const { plan, outcome, ref, finalRow, warning } = r;
  const { config } = plan;
  const { stdout, log } = io;
  const outDir = summary.outDir;
  logRunEnded(log, outcome, { status: outcome.status, iterations: summary.iterations, solverSeconds: summary.solverSeconds, h: summary.value, hStar: ref?.value, relSubopt: finalRow?.relativeSuboptimality, gradNorm: summary.hypergradNorm, outDir });
  printSummary(stdout, summary, config.json);
  if (!config.json) {
    const rel = finalRow?.relativeSuboptimality ?? NaN;
    const versus = ref
      ? `, h* = ${ref.value.toPrecision(10)} (${ref.method}): relative suboptimality ${rel.toExponential(2)}` +
        (Math.abs(rel) < PRECISION_OF_H ? ` (at the precision of the evaluation, |·| < ${PRECISION_OF_H})` : '')
      : '';
    const metrics = finalRow?.metrics ? `; ${Object.entries(finalRow.metrics).map(([k, v]) => `${k} ${+v.toPrecision(6)}`).join(', ')}` : '';
    stdout.write(
      `\nh(x) = ${summary.value.toPrecision(10)}${versus} after ${summary.iterations} iterations ` +
        `in ${summary.solverSeconds.toFixed(2)} s of solver time${metrics}.\n` +
        wroteLine(outDir, ['trace.jsonl', 'summary.json', 'convergence.svg', 'convergence.png', ...(images ? ['reconstructions.png'] : [])], outcome),
    );
  }
  if (plan.monitors.length && !config.json && (config.monitors !== undefined || config.problem === 'deq')) stdout.write(`\n${formatFindings(r.session.findings)}\n`);
  if (warning) {
    log.warn({ relSubopt: finalRow?.relativeSuboptimality }, warning.replace(/^warning: /, ''));
    if (!config.json) stdout.write(`${warning}\n`);
  }
}

/** The one warning line of a run that ends far from h* or stops being finite (see run-monitors.ts); none with `--no-monitor`. */
export function runWarning(plan: RunPlan, session: RunSession<TraceRow>, outcome: RunOutcome, finalRow: TraceRow | undefined): string | undefined {
  return endOfRunWarning({
    monitored: plan.config.monitors !== NO_MONITORS,
    status: outcome.status,
    relativeSuboptimality: finalRow?.relativeSuboptimality,
    firstValue: session.rows[0]?.value,
    lastValue: finalRow?.value,
    findings: session.findings,
  });
}
