import { batchCounts } from '@bilevel/problems';
import type { ConstantsProblem } from './problem-constants';
import { constantsOf } from './problem-constants';
import type { SabaSteps } from './safe-saba-options';
import { knownKeys, numberBetween, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link linearBudget}, with their defaults. */
export interface LinearBudgetOptions {
  /** ε: the target is ‖∇h(x_T)‖ ≤ ε·‖∇h(x₀)‖. Default {@link LINEAR_REDUCTION} = 1e-6. */
  readonly reduction?: number;
  /** S, the safety factor on the rate model. Default {@link LINEAR_BUDGET_SAFETY} = 2. */
  readonly safety?: number;
}

/** Default ε of the linear-convergence property: ‖∇h(x_T)‖ ≤ 1e-6·‖∇h(x₀)‖. */
export const LINEAR_REDUCTION = 1e-6;

/**
 * SAGA's memory term: SAGA contracts at best at rate 1 − 1/(4n) for n memory rows (Defazio, Bach, Lacoste-Julien,
 * NeurIPS 2014, Theorem 1); here n is the number of minibatch blocks B.
 */
export const SAGA_MEMORY_FACTOR = 4;

/**
 * Safety factor S of the budget. Calibrated by measurement (`scripts/calibrate-saba.ts`: SABA with
 * {@link safeSabaOptions} through the streams, x₀ = z₀ = v₀ = 0, ∇h checked every 1% of the budget): iterations
 * needed ÷ budget at S = 2 (so 0.5 means exactly the S = 1 rate model),
 *   default family, batch 4, 1000 problems: min 0.12, median 0.26, p90 0.41, p99 0.44, max 0.46;
 *   batch 1 (300): max 0.43;   batch 16 (300): max 0.51;   maxKappa = 100 (300): median 0.31, max 0.50;
 *   dimZ ≤ 10, dimX ≤ 8, n, m ≤ 64, μ ≥ 0.01, LCross ≤ 0.01 (300): max 0.44;
 *   μ ≥ 0.01 with LCross ≤ 0.1 (so LCross up to 10μ, outside the documented LCross ≤ μ) (200): p99 0.89, max 0.96.
 * S = 2 leaves a factor ≥ 1.96 on every family measured that keeps LCross ≤ μ.
 */
export const LINEAR_BUDGET_SAFETY = 2;

/**
 * The iteration budget within which SABA-like solvers with steps (ρ, γ) must reach ‖∇h(x_T)‖ ≤ ε·‖∇h(x₀)‖ on a
 * quadratic problem, derived from the linear rates of the three coupled updates:
 *
 *   T = ⌈ S · ln(1/ε) · ( 4·B + 1/(ρ·μ) + 1/(γ·μ_h) ) ⌉
 *
 * - B = max(⌈n/b⌉, ⌈m/b⌉) blocks of SAGA memory for batch size b: each memory contracts at best at 1 − 1/(4B);
 * - 1/(ρ·μ): time constant of z and v (their updates contract at 1 − ρμ, μ = λ_min of the inner Hessian);
 * - 1/(γ·μ_h): time constant of x (h is μ_h-strongly convex, μ_h = λ_min(∇²h); μ and μ_h from {@link constantsOf});
 * - the time constants are *added*, not maxed: the updates are coupled (a chain of equal rates has transients
 *   t^k·e^{−t/τ}), and with x as fast as z the largest time constant alone underestimated the iterations by 3.7×;
 * - ln(1/ε) = ln(1e6) ≈ 13.8 time constants to reduce by ε; S = {@link LINEAR_BUDGET_SAFETY}.
 *
 * With the safe steps ρ = 1/(3·L_max), γ = ρμ/L_h this is 3·S·ln(1/ε)·((4/3)·B + L_max/μ + L_max·L_h/(μ·μ_h)):
 * the product of the inner and outer condition numbers dominates.
 *
 * @example const T = linearBudget(problem, safeSabaOptions(problem))
 */
export function linearBudget(problem: ConstantsProblem, steps: SabaSteps, options: LinearBudgetOptions = {}): number {
  const fn = 'linearBudget';
  knownKeys(fn, options, ['reduction', 'safety']);
  const reduction = numberBetween(fn, 'reduction', options.reduction ?? LINEAR_REDUCTION, 0, 1);
  const safety = positiveNumber(fn, 'safety', options.safety ?? LINEAR_BUDGET_SAFETY);
  const rho = positiveNumber(fn, 'steps.innerStep', steps.innerStep);
  const gamma = positiveNumber(fn, 'steps.outerStep', steps.outerStep);
  const blocks = batchCounts(problem, positiveInteger(fn, 'steps.batchSize', steps.batchSize));
  const B = Math.max(blocks.inner, blocks.outer);
  const { mu, muOuter: muH } = constantsOf(problem, fn);
  return Math.ceil(safety * Math.log(1 / reduction) * (SAGA_MEMORY_FACTOR * B + 1 / (rho * mu) + 1 / (gamma * muH)));
}
