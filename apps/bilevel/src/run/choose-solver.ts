import { InputError } from '@bilevel/io';
import type { Solver } from '@bilevel/solvers';
import { createSolver, customSolver } from '@bilevel/solvers';
import type { RunConfig } from './run-config';

/** The parts of the single-loop solvers, the base that part options override. */
const SINGLE_LOOP_PARTS: Record<string, { estimator: string; stepRule: string }> = {
  soba: { estimator: 'sgd', stepRule: 'power' },
  saba: { estimator: 'saga', stepRule: 'constant' },
  srba: { estimator: 'sarah', stepRule: 'constant' },
};

/** The options of a registered solver from the command line (the problem's tuned ones, then the flags). */
export function solverOptionsOf(config: RunConfig & { batch: number }, tuned: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return {
    ...tuned,
    batchSize: config.batch,
    ...(config.innerStep !== undefined ? { innerStep: config.innerStep } : {}),
    ...(config.outerStep !== undefined ? { outerStep: config.outerStep } : {}),
  };
}

/** Whether any part option (--estimator, --step-rule, …) was given. */
export function hasPartOptions(config: RunConfig): boolean {
  return Object.values(config.parts ?? {}).some((v) => v !== undefined);
}

/** The solver of the command line: a registered one, or one assembled from parts when part options are given. */
export function chooseSolver(config: RunConfig & { solver: string; batch: number }, tuned: Readonly<Record<string, unknown>>): Solver {
  const common = solverOptionsOf(config, tuned);
  const p = config.parts ?? {};
  if (!hasPartOptions(config)) return createSolver(config.solver, common);
  const base = SINGLE_LOOP_PARTS[config.solver];
  if (!base) {
    throw new InputError(
      `part options (--estimator, --step-rule, …) apply to the single-loop solvers ${Object.keys(SINGLE_LOOP_PARTS).join(', ')}; "${config.solver}" has its own parts`,
      '--solver',
    );
  }
  const pick = (stream: 'inner' | 'linsys' | 'outer') => ({
    estimator: p[`${stream}Estimator`] ?? p.estimator ?? base.estimator,
    stepRule: p[`${stream}StepRule`] ?? p.stepRule ?? base.stepRule,
  });
  return customSolver({ ...common, inner: pick('inner'), linsys: pick('linsys'), outer: pick('outer') });
}
