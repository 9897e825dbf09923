import { nrm2 } from '@bilevel/linalg';
import type { Logger } from '@bilevel/telemetry';
import { computeReference, REFERENCE_PROGRESS_EVERY, referenceByDefault } from '../reference';
import type { RunPlan } from './plan-run';

/** The reference minimum h* of a run (see reference.ts). */
export type Reference = ReturnType<typeof computeReference>;

/**
 * Step "h*" of `bilevel run`: the reference minimum from a full-batch solve, when the run wants one (`--reference`,
 * else the problem's default) and the problem is small enough for it by default; its progress and an inexact
 * result are logged (the latter also on stderr). Undefined when not computed, with the reason logged.
 */
export function referenceMinimum(plan: RunPlan, log: Logger): Reference | undefined {
  const { problem, config, withReference } = plan;
  const auto = config.reference === 'on' ? { on: true } : referenceByDefault(problem);
  if (!withReference) {
    log.info('no reference h* (off by default for this problem; --reference on computes it)');
    return undefined;
  }
  if (!auto.on) {
    log.warn(`no reference h*: ${auto.why}; --reference on computes it`);
    return undefined;
  }
  const refStart = performance.now();
  log.info('computing h* (full-batch L-BFGS on exact hypergradients; --reference off skips it)');
  const r = computeReference(problem, (p) => {
    if (p.done % REFERENCE_PROGRESS_EVERY === 0 || p.done === p.of) log.info({ ...p, seconds: (performance.now() - refStart) / 1000 }, `computing h*: ${p.phase}, ${p.done}${p.of ? `/${p.of}` : ''} evaluations`);
  });
  log.info({ hStar: r.value, method: r.method, xStarNorm: nrm2(r.x), gradNorm: r.gradNorm, seconds: (performance.now() - refStart) / 1000 }, 'reference solution h*');
  if (!r.converged || !r.innerConverged) {
    const msg = `the reference h* is inexact: ${!r.converged ? `‖∇h‖ = ${r.gradNorm.toExponential(2)} > ${r.gtol}` : `its inner solve stopped at ‖∇_z G‖ = ${r.innerGradNorm.toExponential(2)} > ${r.innerTol}`}`;
    log.warn({ gradNorm: r.gradNorm, gtol: r.gtol, innerGradNorm: r.innerGradNorm, innerTol: r.innerTol }, msg);
    process.stderr.write(`warning: ${msg}\n`);
  }
  return r;
}
