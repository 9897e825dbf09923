import { SOLVE_REASONS } from '@bilevel/linalg';
import type { SolveReason } from '@bilevel/linalg';
import type { ImplicitSolveDiagnostics, StreamName } from '@bilevel/solvers';
import type { Finding, FindingLevel } from './finding';
import type { Monitor } from './monitor';

/** Where a solve happened, for the findings it gives. */
export interface SolveFindingContext {
  /** Outer steps completed. */
  readonly iteration: number;
  /** Name of the reporting monitor. Default `linear-solve`. */
  readonly monitor?: string;
  /** The stream concerned. Default `linsys`. */
  readonly stream?: StreamName;
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toExponential(2) : String(v));

/**
 * The findings of one implicit-differentiation solve (`implicitVjp` / `solveAdjoint` diagnostics), as data for
 * `findings$`: nothing when the first solver converged; `info` when it reached its cap and a fallback converged;
 * `warning` when the first solver stalled or broke down (whatever rescued it), or when the answer comes from a ridge
 * fallback (a regularized VJP); `violation` when no attempt converged (the VJP is not to its tolerance). `value` is
 * the residual of the returned solution.
 *
 * @example implicitSolveFindings(implicitVjp(cond, w).diagnostics, { iteration: k }).forEach((f) => findings.next(f))
 */
export function implicitSolveFindings(d: ImplicitSolveDiagnostics, ctx: SolveFindingContext): Finding[] {
  const first = d.attempts[0];
  if (!first || (first.converged && !d.fellBack)) return [];
  const returned = d.attempts.find((a) => a.converged) ?? d.attempts.find((a) => a.solver === d.solver && a.ridge === d.ridge) ?? first;
  const ridged = d.fellBack && returned.ridge > first.ridge;
  const level: FindingLevel = !d.converged ? 'violation' : d.stalled || ridged ? 'warning' : 'info';
  const path = d.attempts.map((a) => `${a.solver}${a.ridge > 0 ? ` (ridge ${fmt(a.ridge)})` : ''}: ${a.reason}`).join(' → ');
  const head = d.stalled
    ? `the ${first.solver} solve of the ${d.condition} condition stalled (${first.reason}) after ${first.iterations} iterations`
    : `the ${first.solver} solve of the ${d.condition} condition stopped (${first.reason}) at residual ${fmt(first.residualNorm)}`;
  const tail = d.converged
    ? `; ${returned.solver}${ridged ? ` on the ridged system (λ = ${fmt(returned.ridge)}, a regularized VJP)` : ''} converged, residual ${fmt(d.residualNorm)}`
    : `; no fallback converged (best residual ${fmt(d.residualNorm)}): the VJP is not to its tolerance`;
  return [
    {
      level,
      monitor: ctx.monitor ?? 'linear-solve',
      iteration: ctx.iteration,
      message: `${head}${tail} [${path}]`,
      value: d.residualNorm,
      stream: ctx.stream ?? 'linsys',
    },
  ];
}

/** Options of {@link linearSolveMonitor}, with their defaults. */
export interface LinearSolveMonitorOptions {
  /** Findings reported per run before the rest are summed up in one `info`. Default 20. */
  readonly maxReports?: number;
}

/**
 * A monitor of the linear-system stream's solves: reads the numeric diagnostics a linsys part publishes
 * (`linsysStalled`, `linsysReason`, and from implicit-differentiation parts `linsysFellBack`, `linsysConverged`,
 * `linsysResidual`: see `solveDiagnostics` and `adjointDiagnostics` in @bilevel/solvers) on every snapshot and reports
 * a `warning` when the solve of that snapshot stalled or broke down (`violation` when it also did not converge, `info`
 * when a fallback rescued a solve that only hit its cap). Parts that publish none of these keys are ignored.
 *
 * @example withMonitors(run(problem, implicitDiff({ linsys: 'gmres' }), o), monitorContext(problem, solver, o), [linearSolveMonitor()])
 */
export function linearSolveMonitor(options: LinearSolveMonitorOptions = {}): Monitor {
  const maxReports = options.maxReports ?? 20;
  if (!Number.isInteger(maxReports) || maxReports < 1) throw new RangeError(`linearSolveMonitor: maxReports must be a positive integer, received ${String(maxReports)}`);
  return {
    name: 'linear-solve',
    description: 'the linear-system solves: a stall, a breakdown or an unconverged solve is reported (the hypergradient is then off)',
    start: () => {
      let reported = 0;
      let suppressed = 0;
      return {
        onSnapshot: (s) => {
          const d = s.diagnostics.linsys;
          const out: Finding[] = [];
          if (d && (d.linsysStalled === 1 || d.linsysFellBack === 1 || d.linsysConverged === 0)) {
            const code = d.linsysReason;
            const reason: SolveReason | 'unknown' = Number.isInteger(code) && code >= 0 && code < SOLVE_REASONS.length ? SOLVE_REASONS[code] : 'unknown';
            const level: FindingLevel = d.linsysConverged === 0 ? 'violation' : d.linsysStalled === 1 ? 'warning' : 'info';
            const what = d.linsysStalled === 1 ? `stalled (${reason})` : d.linsysConverged === 0 ? `did not converge (${reason})` : `fell back (${reason})`;
            const extra = d.linsysFellBack === 1 ? `; a fallback solver was used${d.linsysConverged === 1 ? ' and converged' : ''}` : '';
            if (reported < maxReports) {
              reported++;
              out.push({
                level,
                monitor: 'linear-solve',
                iteration: s.iteration,
                message: `the linear-system solve ${what}${extra}`,
                stream: 'linsys',
                ...(d.linsysResidual !== undefined ? { value: d.linsysResidual } : {}),
              });
            } else {
              suppressed++;
            }
          }
          if (s.final && suppressed > 0) {
            out.push({ level: 'info', monitor: 'linear-solve', iteration: s.iteration, message: `${suppressed} further troubled linear-system solves were not reported one by one`, value: suppressed, stream: 'linsys' });
          }
          return out;
        },
      };
    },
  };
}
