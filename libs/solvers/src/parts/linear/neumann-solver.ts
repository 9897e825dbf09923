import { neumannSeries } from '@bilevel/linalg';
import type { Precond } from '@bilevel/linalg';
import { knownKeys, nonNegativeNumber, positiveNumber } from '../../validate-options';
import type { LinearSolver, Matvec } from './linear-solver';

/** Options of {@link neumannSolver}, with their defaults. */
export interface NeumannSolverOptions {
  /** N, the number of products: the series keeps the terms q = 0..N. Default 10 (the public benchmark's StocBiO). */
  readonly terms?: number;
  /** η, the series step; needs 0 < η ≤ 1/L for convergence (L = ‖A‖). Default 0.1 (the public benchmark). */
  readonly eta?: number;
  /**
   * Stop early once the residual of the partial sum is ≤ max(rtol·‖b‖, atol) (that residual is a by-product of the
   * series: no extra product). Default 0 with atol 0: the fixed-length series, N products whatever the residual.
   */
  readonly rtol?: number;
  /** Absolute floor of the early stop. Default 0. */
  readonly atol?: number;
  /** λ: the series of (A + λI)⁻¹. Default 0. */
  readonly ridge?: number;
  /** M⁻¹: the series of (M⁻¹A)⁻¹M⁻¹ (preconditioned Richardson). Default none. */
  readonly precond?: Precond;
}

const KEYS = ['terms', 'eta', 'rtol', 'atol', 'ridge', 'precond'] as const;

/**
 * Truncated Neumann series for `A·x = b`: A⁻¹ = η Σ_{q≥0} (I − ηA)^q for 0 < η ≤ 1/L, truncated after q = N:
 *
 *   p₀ = s = b;   for q = 1..N:  p_q = p_{q−1} − η A_q p_{q−1},  s += p_q;   x = η s
 *
 * which is N products and, for a fixed A, x_N = η Σ_{q≤N} (I − ηA)^q b with error ‖x_N − A⁻¹b‖ ≤ (1 − ημ)^{N+1}‖A⁻¹b‖
 * (μ the smallest eigenvalue of A). Wraps `neumannSeries` of `@bilevel/linalg` (the same recursion, to the bit).
 *
 * Stochastic form (StocBiO, Ji, Yang, Liang, ICML 2021, Alg. 3): a `matvec` that applies a fresh, independent
 * minibatch Hessian A_q on each call makes x an unbiased estimate of the deterministic truncated series, because
 * E[A_N ⋯ A_1] = Ā^N for independent factors (use {@link IndependentBatches} for the batches). The authors' public
 * code instead reuses one Hessian batch for every product and sums ηp_N + Σ_{q≥1} p_q; that is biased and is not
 * what this solver does. An early stop (`rtol`, `atol`) makes the length random: keep it off for that estimator.
 *
 * Warm start: when `x` is non-zero on entry, the series is applied to the residual, x ← x + η Σ_{q≤N} (I − ηA)^q
 * (b − A·x), i.e. N + 1 Richardson steps from x (one more product). With x = 0 it is exactly the series above.
 *
 * @example neumannSolver({ terms: 10, eta: 0.1 }).solve((p, out) => problem.innerHvp(z, x, p, batches.next(), out), rhs, v)
 */
export function neumannSolver(options: NeumannSolverOptions = {}): LinearSolver {
  const fn = 'neumannSolver';
  knownKeys(fn, options, KEYS);
  const terms = nonNegativeNumber(fn, 'terms', options.terms ?? 10);
  if (!Number.isInteger(terms)) throw new RangeError(`${fn}: terms must be an integer ≥ 0, received ${terms}`);
  const eta = positiveNumber(fn, 'eta', options.eta ?? 0.1);
  const rtol = nonNegativeNumber(fn, 'rtol', options.rtol ?? 0);
  const atol = nonNegativeNumber(fn, 'atol', options.atol ?? 0);
  const ridge = nonNegativeNumber(fn, 'ridge', options.ridge ?? 0);
  if (options.precond !== undefined && typeof options.precond !== 'function') {
    throw new RangeError(`${fn}: precond must be a function (r, out) => void, received ${typeof options.precond}`);
  }
  const early = rtol > 0 || atol > 0;
  return {
    name: 'neumann',
    options: { terms, eta, ...(early ? { rtol, atol } : {}), ...(ridge !== 0 ? { ridge } : {}), ...(options.precond ? { precond: true } : {}) },
    solve(matvec: Matvec, b: Float64Array, x: Float64Array) {
      const res = neumannSeries(matvec, b, x, {
        eta,
        maxIter: terms,
        rtol,
        atol,
        ridge,
        stallWindow: 0,
        finalResidual: false,
        ...(options.precond ? { precond: options.precond } : {}),
      });
      return {
        iterations: res.iterations,
        matvecs: res.matvecs,
        ...(early ? { residualNorm: res.residualNorm, converged: res.converged } : {}),
        stalled: res.stalled,
        reason: res.reason,
      };
    },
  };
}
