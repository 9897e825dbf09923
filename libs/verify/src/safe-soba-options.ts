import type { ConstantsProblem } from './problem-constants';
import { constantsOf } from './problem-constants';
import type { SafeStepOptions } from './safe-saba-options';
import { SAFE_BATCH_SIZE } from './safe-saba-options';
import { knownKeys, positiveInteger } from './validate-options';

/** SOBA options: the step fields of `SobaOptions` from @bilevel/solvers (decays left at SOBA's defaults 2/5, 3/5). */
export interface SobaSteps {
  readonly batchSize: number;
  /** ρ₀, initial step of z and v. */
  readonly innerStep: number;
  /** γ₀, initial step of x. */
  readonly outerStep: number;
}

/** Outer-step factor: γ₀·L_h ≤ 1/3. */
export const SOBA_OUTER_FACTOR = 3;

/**
 * A step-size rule for SOBA under which {@link runningMeanDecreases} holds on every problem of
 * {@link quadraticProblemArb} with its defaults (κ ≤ 10), calibrated by measurement (`scripts/calibrate-soba.ts`):
 *
 *   ρ₀ = 1 / L_max              L_max (from {@link constantsOf}, as in safeSabaOptions): the first step is at most the 1/L of gradient
 *                               descent on any minibatch, and ρ_t = ρ₀ (t+1)^−2/5 only decreases;
 *   γ₀ = min(ρ₀, 1 / (3·L_h))   L_h = λ_max(∇²h): x no faster than z and v at the start, and γ₀·L_h ≤ 1/3.
 *
 * Measured (worst M(T_{k+1})/M(T_k); worst M(T_K)/M(T₀)), 1000 default problems: 0.912; 0.378. Alternatives:
 * ρ₀ = 1/(3·L_max) (SABA's step): 0.958; 0.655 (x barely moves when γ₀·μ_h is small); γ₀ = ρ₀·μ/L_h (SABA's
 * two-timescale rule): 0.972; 0.686 on 300. Limitation: with maxKappa = 100 this rule breaks monotonicity on a few
 * problems (worst 1.70 of 200: the running mean dips then rises); γ₀ = ρ₀·μ/L_h keeps it (0.995) but the decrease
 * becomes marginal (M(T_K)/M(T₀) up to 0.95), so high-κ families need a longer horizon.
 *
 * @example soba(safeSobaOptions(problem))
 */
export function safeSobaOptions(problem: ConstantsProblem, options: SafeStepOptions = {}): SobaSteps {
  const fn = 'safeSobaOptions';
  knownKeys(fn, options, ['batchSize']);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? SAFE_BATCH_SIZE);
  const c = constantsOf(problem, fn);
  const innerStep = 1 / c.LMaxSample;
  const outerStep = Math.min(innerStep, 1 / (SOBA_OUTER_FACTOR * c.LOuter));
  return { batchSize, innerStep, outerStep };
}
