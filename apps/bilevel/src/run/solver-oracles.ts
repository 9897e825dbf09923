import type { BilevelProblem } from '@bilevel/problems';
import { LogregHpo } from '@bilevel/problems';
import { auditOracles, expectedCost, formatAudit, logregTape } from '@bilevel/autodiff';
import type { Logger } from '@bilevel/telemetry';
import type { RunPlan } from './plan-run';

/** The problem the solver sees, how its oracles are computed, and how to free them. */
export interface SolverOracles {
  readonly problem: BilevelProblem;
  /** The oracles' backend, as the summary names it. */
  readonly backend: string;
  /** Frees the tfjs tensors of `--oracles autodiff` (nothing otherwise). */
  dispose(): void;
}

/**
 * The problem the solver sees: the analytic one, or (`--oracles tape | autodiff`, logreg-hpo) the same problem
 * differentiated automatically, audited against finite differences with its cost against the analytic oracles logged.
 */
export async function solverOracles(plan: RunPlan, log: Logger): Promise<SolverOracles> {
  const { problem, config } = plan;
  if (config.oracles === 'autodiff' && problem instanceof LogregHpo) {
    // tfjs is loaded here only, for --oracles autodiff: importing it costs every other command about 0.5 s of CPU at startup
    const { initEngine, logregAutodiff } = await import('@bilevel/autodiff/tfjs');
    const engine = await initEngine();
    log.info({ backend: engine.backend, tried: engine.tried.map((t) => `${t.name}:${t.ok ? 'ok' : 'unavailable'}`).join(' ') }, 'tfjs engine');
    const ad = logregAutodiff(problem, 'softplus');
    auditAndCost(ad.problem, problem, config.seed, log);
    return { problem: ad.problem, backend: `tfjs-${engine.backend} (float32 autodiff)`, dispose: ad.dispose };
  }
  if (config.oracles === 'tape' && problem instanceof LogregHpo) {
    const tp = logregTape(problem);
    auditAndCost(tp, problem, config.seed, log);
    return { problem: tp, backend: 'float64 tape autodiff', dispose: () => undefined };
  }
  return { problem, backend: 'float64 (analytic Float64Array kernels)', dispose: () => undefined };
}

/** Logs the finite-difference audit of automatically differentiated oracles and their cost against the analytic ones. */
function auditAndCost(oracles: BilevelProblem, analytic: BilevelProblem, seed: number, log: Logger): void {
  const audit = auditOracles(oracles, { seed });
  log[audit.ok ? 'info' : 'warn']({ ok: audit.ok, worst: Math.max(...audit.oracles.map((o) => o.maxRelError)) }, audit.ok ? formatAudit(audit).split('\n')[0] : formatAudit(audit));
  log.info(expectedCost(oracles, { analytic, seed }).text);
}
