import type { MetaLearningProblem } from '@bilevel/autodiff';
import { knownKeys, positiveInteger } from '../validate-options';
import { adaptTask } from './adapt-task';
import type { AdaptOptions } from './meta-options';
import { ADAPT_KEYS, resolveAdapt } from './meta-options';

/** Options of {@link metaTest}. */
export interface MetaTestOptions extends AdaptOptions {
  /** Test tasks (episodes) scored: ids first..first+episodes−1 of the problem's source. Default 600. */
  readonly episodes?: number;
  /** First task id. Default 0. */
  readonly first?: number;
}

/** A mean over episodes with its 95% interval half-width 1.96·sd/√n (sd with n − 1 in the denominator; 0 for n = 1). */
export interface MeanInterval {
  readonly mean: number;
  readonly ci95: number;
}

/** What {@link metaTest} measured. */
export interface MetaTestResult {
  readonly episodes: number;
  /** Query loss after adaptation (cross-entropy, or the mean squared error for regression). */
  readonly loss: MeanInterval;
  /** Query loss of θ itself, before adaptation. */
  readonly lossBefore: MeanInterval;
  /** Classification: query accuracy after adaptation, in [0, 1]. */
  readonly accuracy?: MeanInterval;
  /** Classification: query accuracy of θ itself. */
  readonly accuracyBefore?: MeanInterval;
}

function meanInterval(values: Float64Array): MeanInterval {
  const n = values.length;
  let mean = 0;
  for (const v of values) mean += v / n;
  if (n < 2) return { mean, ci95: 0 };
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { mean, ci95: (1.96 * Math.sqrt(ss / (n - 1))) / Math.sqrt(n) };
}

/**
 * Meta-test: adapts θ to each of `episodes` tasks of `problem` (held-out tasks: build the problem on the test
 * classes, or on fixed episodes) with the same inner procedure as meta-training ({@link adaptTask}), and scores the
 * adapted weights on each task's query set: the mean and 95% interval over episodes of the query accuracy and loss
 * after adaptation, and before it (θ itself). Calls the problem's own oracles (not counted as solver work).
 *
 * @example metaTest(testProblem, theta, { episodes: 600, innerSteps: 16, innerStep: 0.1 }).accuracy // { mean: 0.97, ci95: 0.006 }
 */
export function metaTest(problem: MetaLearningProblem, theta: Float64Array, options: MetaTestOptions = {}): MetaTestResult {
  const fn = 'metaTest';
  knownKeys(fn, options, [...ADAPT_KEYS, 'episodes', 'first']);
  const adapt = resolveAdapt(fn, options);
  const n = positiveInteger(fn, 'episodes', options.episodes ?? 600);
  const first = options.first ?? 0;
  if (!Number.isSafeInteger(first) || first < 0 || first + n > problem.tasks.count) {
    throw new RangeError(`${fn}: episodes ${first}..${first + n - 1} are not all tasks of the problem (it has ${problem.tasks.count})`);
  }
  if (!(theta instanceof Float64Array) || theta.length !== problem.dimX) throw new RangeError(`${fn}: theta must be a Float64Array of ${problem.dimX} weights, received length ${String((theta as { length?: unknown })?.length)}`);
  const P = problem.dimZ;
  const phi = new Float64Array(P);
  const g = new Float64Array(P);
  const loss = new Float64Array(n);
  const lossBefore = new Float64Array(n);
  const acc = new Float64Array(n);
  const accBefore = new Float64Array(n);
  const classification = problem.tasks.kind === 'classification';
  for (let e = 0; e < n; e++) {
    const j = first + e;
    const before = problem.score(j, theta);
    adaptTask(problem, j, theta, adapt, phi, g);
    const after = problem.score(j, phi);
    loss[e] = after.loss;
    lossBefore[e] = before.loss;
    acc[e] = after.accuracy ?? NaN;
    accBefore[e] = before.accuracy ?? NaN;
  }
  return {
    episodes: n,
    loss: meanInterval(loss),
    lossBefore: meanInterval(lossBefore),
    ...(classification ? { accuracy: meanInterval(acc), accuracyBefore: meanInterval(accBefore) } : {}),
  };
}
