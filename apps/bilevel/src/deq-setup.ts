import { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import { loadDeqData } from '@bilevel/problems';
import { InputError } from '@bilevel/io';
import { DeqProblem, deqProblem } from '@bilevel/autodiff';
import type { DeqBackwardName, DeqTrainingOptions, Solver } from '@bilevel/solvers';
import { checkDeqDirection, deqTraining } from '@bilevel/solvers';
import type { Snapshot } from '@bilevel/streams';
import { timedSolver } from '@bilevel/streams';

/** The options of `bilevel run --problem deq` (they apply to that problem only). */
export interface DeqCliOptions {
  /** The forward fixed-point solver. Default `broyden`. */
  readonly forward?: 'broyden' | 'anderson';
  /** The backward pass. Default `shine`. */
  readonly backward?: DeqBackwardName;
  /** Exact GMRES iterations refining SHINE's or JFB's direction. Default 0. */
  readonly refine?: number;
  /** State size d (dense) or channels (conv). Default 64 (conv 8). */
  readonly hidden?: number;
  /** `dense` (default) or `conv`. */
  readonly layer?: 'dense' | 'conv';
  /** Forward tolerance (per-sample relative residual) and budget. Default 1e-4, 30. */
  readonly forwardTol?: number;
  readonly forwardMaxIter?: number;
  /** Test samples kept (a seeded subset). Default all. */
  readonly testSize?: number;
}

/** The command-line flags of {@link DeqCliOptions}, for "applies to --problem deq only" errors. */
export const DEQ_FLAGS: readonly (readonly [keyof DeqCliOptions, string])[] = [
  ['forward', '--forward'],
  ['backward', '--backward'],
  ['refine', '--refine'],
  ['hidden', '--hidden'],
  ['layer', '--layer'],
  ['forwardTol', '--forward-tol'],
  ['forwardMaxIter', '--forward-max-iter'],
  ['testSize', '--test-size'],
];

/** What {@link buildDeqProblem} reads of the command line. */
export interface DeqProblemConfig extends DeqCliOptions {
  readonly data?: string;
  readonly trainSize?: number;
  readonly seed: number;
  readonly memoryBudget?: number;
}

/**
 * The DEQ classifier of `--problem deq`: `--data` a Fashion-MNIST folder or a labelled CSV (digits.csv.gz), the
 * bundled Fashion-MNIST subset by default; `--train-size`/`--test-size` seeded subsets; `--layer`, `--hidden`. The
 * weights start from the seed (W scaled to spectral radius ≈ 0.5). Bad input is an InputError naming the option.
 */
export function buildDeqProblem(config: DeqProblemConfig): DeqProblem {
  const data = loadDeqData({
    ...(config.data !== undefined ? { data: config.data } : {}),
    ...(config.trainSize !== undefined ? { trainSize: config.trainSize } : {}),
    ...(config.testSize !== undefined ? { testSize: config.testSize } : {}),
    seed: config.seed,
    ...(config.memoryBudget !== undefined ? { memoryBudget: config.memoryBudget } : {}),
  });
  const layer = config.layer ?? 'dense';
  if (layer === 'conv' && !data.imageShape) {
    throw new InputError(`a conv layer needs images; the samples of ${data.source} have ${data.train.features.cols} features, not a square number`, '--layer conv');
  }
  // the classes named by the data, or one past the largest label (a loop: 60,000 labels would overflow a spread)
  let classes = Math.max(data.train.classNames.length, 2);
  for (const labels of [data.train.labels, data.test.labels]) for (const c of labels) classes = Math.max(classes, c + 1);
  return deqProblem({
    train: data.train,
    test: data.test,
    classes,
    layer,
    ...(config.hidden !== undefined ? { hidden: config.hidden } : {}),
    ...(layer === 'conv' && data.imageShape ? { imageShape: data.imageShape } : {}),
    init: { seed: config.seed },
    info: { data: data.source },
  });
}

/** The training options of the command line (`--batch`, `--outer-step` as Adam's step, the DEQ flags). */
export function deqTrainingOptions(config: DeqCliOptions & { readonly batch?: number; readonly outerStep?: number }): DeqTrainingOptions {
  return {
    ...(config.forward !== undefined ? { forward: config.forward } : {}),
    ...(config.backward !== undefined ? { backward: config.backward } : {}),
    ...(config.refine !== undefined ? { refine: config.refine } : {}),
    ...(config.batch !== undefined ? { batchSize: config.batch } : {}),
    ...(config.outerStep !== undefined ? { outerStep: config.outerStep } : {}),
    ...(config.forwardTol !== undefined ? { forwardTol: config.forwardTol } : {}),
    ...(config.forwardMaxIter !== undefined ? { forwardMaxIter: config.forwardMaxIter } : {}),
  };
}

/** Options of the generic run that DEQ training does not take (its parts are its own, its schedule Gauss–Seidel). */
const NOT_FOR_DEQ: readonly (readonly [string, string])[] = [
  ['solver', '--solver (the DEQ trains with its own streams; choose the backward pass with --backward)'],
  ['innerStep', '--inner-step (the forward pass solves to --forward-tol)'],
  ['schedule', '--schedule (DEQ training is Gauss–Seidel: the backward pass reads the step\'s equilibria)'],
];

/**
 * The timed DEQ training solver of the command line. Every inconsistency is one InputError naming the option:
 * `--backward shine --forward anderson` (SHINE reuses Broyden's inverse), `--refine` with `--backward exact`, and
 * the generic options DEQ training does not take.
 */
export function deqSolver(config: DeqCliOptions & { readonly batch?: number; readonly outerStep?: number; readonly solver?: string; readonly innerStep?: number; readonly schedule?: string; readonly parts?: object }): Solver {
  for (const [key, flag] of NOT_FOR_DEQ) {
    const value = (config as Record<string, unknown>)[key];
    // `solver` is the problem's default ("deq") unless the command line named one
    if (value !== undefined && !(key === 'solver' && value === 'deq')) throw new InputError('does not apply to --problem deq', flag);
  }
  if (config.parts && Object.values(config.parts).some((v: unknown) => v !== undefined)) throw new InputError('part options (--estimator, --step-rule, …) do not apply to --problem deq; its parts are the forward solver and the backward pass', '--problem deq');
  try {
    return timedSolver(deqTraining(deqTrainingOptions(config)));
  } catch (err) {
    const msg = (err as Error).message.replace(/^deqTraining: /, '');
    const flag = /needs forward/.test(msg) ? `--backward ${config.backward} --forward ${config.forward}` : /^refine/.test(msg) ? '--refine' : '--problem deq';
    throw new InputError(msg, flag);
  }
}

/** The starting x of a DEQ problem (its seeded weights), or undefined for any other problem. */
export function deqStartingPoint(problem: BilevelProblem): Float64Array | undefined {
  return problem instanceof DeqProblem ? problem.initialX() : undefined;
}

/**
 * The DEQ columns of a trace row, from a snapshot: forward, backward and update seconds per step and backward
 * products per step (means since the previous evaluation, from the timed parts' totals), the last step's forward
 * iterations, the failed forward solves so far, and the cosine of the run's backward direction (and of its parameter
 * gradient) with the exact one on a fixed probe batch of training samples, computed here at evaluation time only
 * (a forward solve and an exact GMRES solve, outside the solver's time).
 */
export function deqTraceMetrics(problem: DeqProblem, options: DeqTrainingOptions, seed: number): (s: Snapshot) => Readonly<Record<string, number>> {
  const size = Math.min(options.batchSize ?? 64, problem.nInner);
  const probe = Rng.fromSeed(seed + 1).permutation(problem.nInner).subarray(0, size).sort();
  let prev: { iteration: number; inner: number; linsys: number; outer: number; products: number } | undefined;
  return (s) => {
    const d = s.diagnostics;
    const now = { iteration: s.iteration, inner: d.inner?.totalSeconds ?? 0, linsys: d.linsys?.totalSeconds ?? 0, outer: d.outer?.totalSeconds ?? 0, products: d.linsys?.backwardProductsTotal ?? 0 };
    const base = prev ?? { iteration: 0, inner: 0, linsys: 0, outer: 0, products: 0 };
    const steps = now.iteration - base.iteration;
    prev = now;
    const out: Record<string, number> = {
      forwardIterations: d.inner?.forwardIterations ?? 0,
      forwardFailures: d.inner?.forwardFailures ?? 0,
    };
    if (steps > 0) {
      out.forwardSeconds = (now.inner - base.inner) / steps;
      out.backwardSeconds = (now.linsys - base.linsys) / steps;
      out.updateSeconds = (now.outer - base.outer) / steps;
      out.backwardProducts = (now.products - base.products) / steps;
    }
    const c = checkDeqDirection(problem, s.x, probe, options);
    if (c.forwardConverged) {
      out.cosine = c.cosine;
      out.gradientCosine = c.gradientCosine;
    }
    return out;
  };
}

/** {@link deqTraceMetrics} for a DEQ problem of the command line, or undefined for any other problem. */
export function deqMetricsFor(
  problem: BilevelProblem,
  config: DeqCliOptions & { readonly batch?: number; readonly outerStep?: number; readonly seed: number },
): ((s: Snapshot) => Readonly<Record<string, number>>) | undefined {
  return problem instanceof DeqProblem ? deqTraceMetrics(problem, deqTrainingOptions(config), config.seed) : undefined;
}
