import { enumOption, nonNegativeNumber, positiveInteger, positiveNumber } from '../validate-options';

/**
 * How a task is adapted (the inner problem of every task, φ ≈ argmin L̂_j(φ) + (λ/2)‖φ − θ‖² from φ = θ), shared by
 * meta-training and meta-testing. Defaults from the iMAML authors' Omniglot command (aravindr93/imaml_dev,
 * examples/README.md: `--n_steps 16 --inner_lr 1e-1`).
 */
export interface AdaptOptions {
  /** Inner steps at most: gradient steps (`gd`) or Newton steps (`newton-cg`). Default 16. */
  readonly innerSteps?: number;
  /** Step α of the gradient steps φ ← φ − α∇_φ g_j. Default 0.1. */
  readonly innerStep?: number;
  /** Stop early once ‖∇_φ g_j‖ ≤ innerTol. Default 0 (all `innerSteps` steps). */
  readonly innerTol?: number;
  /** `gd` (plain gradient descent) or `newton-cg` (line-search Newton–CG on HVPs, to innerTol). Default `gd`. */
  readonly innerMethod?: 'gd' | 'newton-cg';
}

/** {@link AdaptOptions} with the defaults filled in. */
export interface ResolvedAdapt {
  readonly innerSteps: number;
  readonly innerStep: number;
  readonly innerTol: number;
  readonly innerMethod: 'gd' | 'newton-cg';
}

/** The outer optimizer of the meta-solvers: Adam on θ (the authors' `outer_opt = Adam(lr, eps = 1e-3)`). */
export interface MetaOuterOptions {
  /** Tasks per meta-batch (the outer stream's batch). Default 32 (the authors' `--task_mb_size 32`). */
  readonly metaBatch?: number;
  /** Adam's learning rate. Default 1e-3 (`--outer_lr 1e-3`). */
  readonly outerStep?: number;
  /** Adam's ϵ. Default 1e-3 (learner_model.py: `torch.optim.Adam(…, eps=1e-3)`). */
  readonly adamEps?: number;
}

export const ADAPT_KEYS = ['innerSteps', 'innerStep', 'innerTol', 'innerMethod'] as const;
export const OUTER_KEYS = ['metaBatch', 'outerStep', 'adamEps'] as const;

/** The adaptation options of `fn`, validated, defaults filled in. */
export function resolveAdapt(fn: string, o: AdaptOptions): ResolvedAdapt {
  return {
    innerSteps: positiveInteger(fn, 'innerSteps', o.innerSteps ?? 16),
    innerStep: positiveNumber(fn, 'innerStep', o.innerStep ?? 0.1),
    innerTol: nonNegativeNumber(fn, 'innerTol', o.innerTol ?? 0),
    innerMethod: enumOption(fn, 'innerMethod', o.innerMethod ?? 'gd', ['gd', 'newton-cg'] as const),
  };
}

/** The outer options of `fn`, validated, defaults filled in. */
export function resolveOuter(fn: string, o: MetaOuterOptions): Required<MetaOuterOptions> {
  return {
    metaBatch: positiveInteger(fn, 'metaBatch', o.metaBatch ?? 32),
    outerStep: positiveNumber(fn, 'outerStep', o.outerStep ?? 1e-3),
    adamEps: positiveNumber(fn, 'adamEps', o.adamEps ?? 1e-3),
  };
}
