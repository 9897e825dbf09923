import type { EvalPoint, RunResult } from './execute-run';
import { FLOAT64_BACKEND } from './execute-run';
import type { RunSpec } from './expand-grid';

/** A point of a synthetic run: time, calls and metric. */
export type SyntheticPoint = readonly [solverSeconds: number, oracleCalls: number, metric: number];

/**
 * A made-up {@link RunResult} for tests of the aggregate and the report (no solver involved): the given points,
 * iteration k at the k-th point, status `finished` unless said otherwise.
 */
export function syntheticRun(problem: string, solver: string, seed: number, points: readonly SyntheticPoint[], status: RunResult['status'] = 'finished'): RunResult {
  const spec: RunSpec = {
    id: `${problem}/${solver}/seed${seed}`,
    problem: { label: problem, name: 'logreg-hpo', config: { standardize: 'train', seed: 0 } },
    solver,
    solverOptions: { batchSize: 32 },
    seed,
    maxSeconds: 1,
    evalEvery: 1,
    evalGrowth: 1,
    evaluation: 'exact',
    metric: 'suboptimality',
  };
  const evals: EvalPoint[] = points.map(([t, c, m], k) => ({ iteration: k, solverSeconds: t, oracleCalls: c, samples: 32 * c, value: 1 + m, suboptimality: m, metric: m }));
  const last = evals.at(-1);
  return {
    id: spec.id,
    spec,
    status,
    ...(status === 'finished' ? { stopReason: 'max-seconds' as const } : { error: { name: status === 'diverged' ? 'DivergenceError' : 'RangeError', message: `synthetic ${status}` } }),
    hStar: 1,
    backend: FLOAT64_BACKEND,
    iterations: last?.iteration ?? 0,
    solverSeconds: last?.solverSeconds ?? 0,
    oracleCalls: last?.oracleCalls ?? 0,
    evaluationSeconds: 0,
    wallSeconds: last?.solverSeconds ?? 0,
    points: evals,
  };
}
