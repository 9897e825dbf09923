import { nrm2 } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import { totalCalls } from '@bilevel/solvers';
import type { DivergenceError, Snapshot } from '@bilevel/streams';
import type { Logger } from '@bilevel/telemetry';
import type { RunDashboard } from '../dashboard/run-dashboard';
import { deqMetricsFor } from '../deq-setup';
import type { PlannedConfig, RunPlan } from './plan-run';
import type { Reference } from './reference-minimum';
import type { RunSession } from './run-session';

/** Largest x written whole into each trace line (data cleaning's 20,000 weights go to the summary only). */
const TRACE_X_MAX = 1000;

/** One line of trace.jsonl: an exact evaluation at a sampled iterate. */
export interface TraceRow {
  iter: number;
  solverSeconds: number;
  value: number;
  /** ‖∇h(x)‖, when evaluated exactly. */
  hypergradNorm?: number;
  /** (h − h*)/|h*|, when h* was computed. */
  relativeSuboptimality?: number;
  /** x itself when dimX ≤ {@link TRACE_X_MAX}, else its norm only (the summary holds the final x). */
  x?: number[];
  xNorm?: number;
  innerGradNorm: number;
  /** Total oracle calls so far, and per oracle (all streams). */
  oracleCalls: number;
  calls?: Record<string, number>;
  /** The problem's own metrics (held-out error, PSNR…), when it has any. */
  metrics?: Readonly<Record<string, number>>;
}

/** Exact evaluations whose inner solve stopped short of its target: warned about at the first, counted in the summary. */
export interface InexactEvaluations {
  count: number;
  firstIteration: number;
  worstInnerGradNorm: number;
  innerTol: number;
}

/** What {@link traceEvaluator} returns. */
export interface TraceEvaluator {
  /** Evaluates a snapshot (h, ‖∇h‖, metrics), writes its row to the trace and the dashboard, and returns it. */
  evaluate(s: Snapshot): TraceRow;
  /** The row of a diverged run's last finite iterate (not written to the trace). */
  lastFiniteRow(divergence: DivergenceError, solverSeconds: number): TraceRow;
  /** The inexact evaluations so far, if any. */
  readonly inexact: InexactEvaluations | undefined;
  /** Seconds the last evaluation took: the interruption message says how long the final one should take. */
  readonly lastEvaluationSeconds: number;
}

/**
 * The trace evaluation of `bilevel run`: h at a snapshot's x, exact (inner solve warm-started at the previous one,
 * hypergradient) or at the solver's own z (F(z, x), ‖∇_z G(z, x)‖: one full pass), with the relative suboptimality
 * against h*, the problem's metrics and, for a DEQ, its per-stream timings. An exact evaluation whose inner solve
 * stops short is warned about once (log and stderr) and counted.
 */
export function traceEvaluator(plan: RunPlan, ref: Reference | undefined, session: RunSession<TraceRow>, dash: RunDashboard | undefined, log: Logger): TraceEvaluator {
  const { problem, defaults, evaluation } = plan;
  const config: PlannedConfig = plan.config;
  const relSubopt = (value: number) => (ref ? (value - ref.value) / Math.abs(ref.value) : undefined);
  const metricsOf = (problem as BilevelProblem).metrics?.bind(problem);
  /** DEQ: seconds per step of each stream, forward iterations, the cosine to the exact backward direction. */
  const deqMetrics = deqMetricsFor(problem, config);
  const xForTrace = (x: Float64Array) => (x.length <= TRACE_X_MAX ? { x: Array.from(x) } : { xNorm: nrm2(x) });
  let warmZ: Float64Array | undefined;
  const gradZ = new Float64Array(problem.dimZ);
  let inexact: InexactEvaluations | undefined;
  const noteInexact = (iteration: number, e: { innerConverged?: boolean; innerGradNorm: number; innerTol?: number }) => {
    if (e.innerConverged !== false) return;
    if (inexact) {
      inexact.count++;
      inexact.worstInnerGradNorm = Math.max(inexact.worstInnerGradNorm, e.innerGradNorm);
      return;
    }
    inexact = { count: 1, firstIteration: iteration, worstInnerGradNorm: e.innerGradNorm, innerTol: e.innerTol ?? NaN };
    const msg = `the exact evaluation at iteration ${iteration} did not converge: ‖∇_z G‖ = ${e.innerGradNorm.toExponential(2)} > ${e.innerTol}, so h and ∇h there are inexact (the summary counts such evaluations)`;
    log.warn({ iteration, innerGradNorm: e.innerGradNorm, innerTol: e.innerTol }, msg);
    process.stderr.write(`warning: ${msg}\n`);
  };
  /** h at x: exact (inner solve, hypergradient) or at the solver's own z (F(z, x), ‖∇_z G(z, x)‖: one full pass). */
  const evaluatePoint = (x: Float64Array, z: Float64Array) => {
    if (evaluation === 'iterate') {
      problem.innerGradZ(z, x, problem.fullInner, gradZ);
      return { value: problem.outerValue(z, x, problem.fullOuter), innerGradNorm: nrm2(gradZ), z };
    }
    const hg = problem.hypergradient(x, { ...(warmZ ? { z0: warmZ } : {}), ...(defaults.evalTol ? { tol: defaults.evalTol } : {}) });
    warmZ = hg.z;
    return { value: hg.value, hypergradNorm: nrm2(hg.grad), innerGradNorm: hg.innerGradNorm, innerConverged: hg.innerConverged, innerTol: hg.innerTol, z: hg.z };
  };
  /** The row of an evaluation `e` at x (the oracle calls and metrics given by the caller). */
  const rowOf = (iter: number, solverSeconds: number, x: Float64Array, e: ReturnType<typeof evaluatePoint>, rest: Pick<TraceRow, 'oracleCalls' | 'calls' | 'metrics'>): TraceRow => ({
    iter,
    solverSeconds,
    value: e.value,
    ...(e.hypergradNorm !== undefined ? { hypergradNorm: e.hypergradNorm } : {}),
    relativeSuboptimality: relSubopt(e.value),
    ...xForTrace(x),
    innerGradNorm: e.innerGradNorm,
    ...rest,
  });
  let lastEvaluationSeconds = 0;
  return {
    evaluate(s) {
      const evalStart = performance.now();
      const e = evaluatePoint(s.x, s.z);
      lastEvaluationSeconds = (performance.now() - evalStart) / 1000;
      noteInexact(s.iteration, e);
      const c = s.counts.total;
      const row = rowOf(s.iteration, s.solverSeconds, s.x, e, { oracleCalls: totalCalls(c), calls: { ...c }, ...(metricsOf ? { metrics: { ...metricsOf(s.x, e.z), ...deqMetrics?.(s) } } : {}) });
      session.rows.push(row);
      session.trace.write(row as unknown as Record<string, unknown>);
      dash?.evaluated(s, row, e.z);
      return row;
    },
    lastFiniteRow(divergence, solverSeconds) {
      const last = divergence.lastFinite;
      const e = evaluatePoint(last.x, last.z);
      noteInexact(last.iteration, e);
      return rowOf(last.iteration, solverSeconds, last.x, e, { oracleCalls: NaN, ...(metricsOf ? { metrics: metricsOf(last.x, e.z) } : {}) });
    },
    get inexact() {
      return inexact;
    },
    get lastEvaluationSeconds() {
      return lastEvaluationSeconds;
    },
  };
}
