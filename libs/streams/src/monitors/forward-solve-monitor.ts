import type { Finding } from './finding';
import type { Monitor } from './monitor';

const fmt = (v: number) => (Number.isFinite(v) ? v.toExponential(2) : String(v));

/**
 * A monitor of the forward fixed-point solves of a deep equilibrium training (`deqTraining` of @bilevel/solvers): it
 * reads the inner stream's diagnostics on every snapshot, and when `forwardFailures` (the steps whose forward solve
 * missed its tolerance within its budget, or diverged) grew since the previous snapshot, reports a `warning` naming
 * how many steps failed, the last one's unconverged and diverged samples, its residual against the tolerance and the
 * budget, and that those steps were skipped (no backward pass, no parameter update). Parts that publish no
 * `forwardFailures` are ignored.
 *
 * @example withMonitors(run(problem, deqTraining(), o), monitorContext(problem, solver, o), [forwardSolveMonitor()])
 */
export function forwardSolveMonitor(): Monitor {
  return {
    name: 'forward-solve',
    description: 'the forward fixed-point solves of a DEQ: a solve that misses its tolerance within its budget (or diverges) is reported; its step is skipped',
    start: () => {
      let seen = 0;
      let last = 0;
      return {
        onSnapshot: (s) => {
          const d = s.diagnostics.inner;
          if (!d || d.forwardFailures === undefined) return [];
          const failures = d.forwardFailures;
          const out: Finding[] = [];
          if (failures > seen) {
            const n = failures - seen;
            const un = d.lastFailureUnconverged;
            const diverged = d.lastFailureDiverged > 0 ? `, ${d.lastFailureDiverged} diverged` : '';
            out.push({
              level: 'warning',
              monitor: 'forward-solve',
              iteration: s.iteration,
              message:
                `${n} forward solve${n > 1 ? 's' : ''} since iteration ${last} did not converge within the budget of ${d.forwardMaxIter} iterations ` +
                `(the last, at step ${d.lastFailureStep}: ${un} sample${un === 1 ? '' : 's'} unconverged${diverged}, relative residual ${fmt(d.lastFailureResidual)} > tol ${fmt(d.forwardTol)}); ` +
                `${n > 1 ? 'those steps were' : 'that step was'} skipped (no backward pass, no parameter update)`,
              value: d.lastFailureResidual,
              bound: d.forwardTol,
              stream: 'inner',
            });
          }
          seen = failures;
          last = s.iteration;
          return out;
        },
      };
    },
  };
}
