import type { Precond } from '@bilevel/linalg';
import { knownKeys, nonNegativeNumber, positiveInteger } from '../../validate-options';

/** Options every Krylov {@link LinearSolver} of this folder takes, with their defaults. */
export interface KrylovSolverOptions {
  /** Stop when ‖b − (A + λI)·x‖ ≤ max(rtol·‖b‖, atol). Default 1e-10. */
  readonly rtol?: number;
  /** Absolute floor of the residual test. Default 0. */
  readonly atol?: number;
  /** Iteration cap. Default 10·n for a system of size n. */
  readonly maxIter?: number;
  /** λ: solve (A + λI)·x = b. Default 0. */
  readonly ridge?: number;
  /** Stall window (0: off). Default 0 for `cg` (its callers' trajectories predate the test), 50 for the others. */
  readonly stallWindow?: number;
  /** Stall factor in (0, 1]. Default 0.99. */
  readonly stallFactor?: number;
  /** M⁻¹, a preconditioner `(r, out) => out ← M⁻¹r`. Default none. */
  readonly precond?: Precond;
}

export const KRYLOV_KEYS = ['rtol', 'atol', 'maxIter', 'ridge', 'stallWindow', 'stallFactor', 'precond'] as const;

/** The options checked, and the summary of the ones given (defaults of `ridge` and the stall test are not listed). */
export interface ResolvedKrylov {
  readonly rtol: number;
  readonly atol: number;
  readonly maxIter?: number;
  readonly ridge: number;
  readonly stallWindow?: number;
  readonly stallFactor?: number;
  readonly precond?: Precond;
  readonly summary: Readonly<Record<string, number | string | boolean>>;
}

/** Checks the common options of a Krylov LinearSolver up front (function, field, value and expectation in errors). */
export function resolveKrylov(fn: string, options: KrylovSolverOptions, extraKeys: readonly string[] = []): ResolvedKrylov {
  knownKeys(fn, options, [...KRYLOV_KEYS, ...extraKeys]);
  const rtol = nonNegativeNumber(fn, 'rtol', options.rtol ?? 1e-10);
  const atol = nonNegativeNumber(fn, 'atol', options.atol ?? 0);
  if (rtol === 0 && atol === 0) throw new RangeError(`${fn}: rtol and atol are both 0, expected at least one positive tolerance`);
  const maxIter = options.maxIter === undefined ? undefined : positiveInteger(fn, 'maxIter', options.maxIter);
  const ridge = nonNegativeNumber(fn, 'ridge', options.ridge ?? 0);
  const stallWindow = options.stallWindow === undefined ? undefined : nonNegativeNumber(fn, 'stallWindow', options.stallWindow);
  if (stallWindow !== undefined && !Number.isInteger(stallWindow)) throw new RangeError(`${fn}: stallWindow must be an integer ≥ 0, received ${stallWindow}`);
  const stallFactor = options.stallFactor;
  if (stallFactor !== undefined && !(typeof stallFactor === 'number' && stallFactor > 0 && stallFactor <= 1)) {
    throw new RangeError(`${fn}: stallFactor must be a number in (0, 1], received ${String(stallFactor)}`);
  }
  if (options.precond !== undefined && typeof options.precond !== 'function') {
    throw new RangeError(`${fn}: precond must be a function (r, out) => void, received ${typeof options.precond}`);
  }
  const summary = {
    rtol,
    atol,
    ...(maxIter !== undefined ? { maxIter } : {}),
    ...(ridge !== 0 ? { ridge } : {}),
    ...(stallWindow !== undefined ? { stallWindow } : {}),
    ...(stallFactor !== undefined ? { stallFactor } : {}),
    ...(options.precond ? { precond: true } : {}),
  };
  return { rtol, atol, maxIter, ridge, stallWindow, stallFactor, precond: options.precond, summary };
}

/** The resolved options as `@bilevel/linalg` reads them, for a system of size n (maxIter default 10·n). */
export function linalgOptions(k: ResolvedKrylov, n: number) {
  return {
    rtol: k.rtol,
    atol: k.atol,
    maxIter: k.maxIter ?? 10 * n,
    ...(k.ridge !== 0 ? { ridge: k.ridge } : {}),
    ...(k.stallWindow !== undefined ? { stallWindow: k.stallWindow } : {}),
    ...(k.stallFactor !== undefined ? { stallFactor: k.stallFactor } : {}),
    ...(k.precond ? { precond: k.precond } : {}),
  };
}
