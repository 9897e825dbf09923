import type { ConstantsProblem } from './problem-constants';
import { constantsOf } from './problem-constants';
import { knownKeys, positiveInteger } from './validate-options';

/** Options of {@link safeSabaOptions}. */
export interface SafeStepOptions {
  /** Minibatch size of the solver. Default 4 (the generated problems have 4 to 32 samples). */
  readonly batchSize?: number;
}

/** SABA options: the fields of `SabaOptions` from @bilevel/solvers, all set. */
export interface SabaSteps {
  readonly batchSize: number;
  /** ρ, step of z and v. */
  readonly innerStep: number;
  /** γ, step of x. */
  readonly outerStep: number;
}

/** Default minibatch size of the safe step rules. */
export const SAFE_BATCH_SIZE = 4;

/**
 * SAGA's step factor: ρ = 1 / (3·L_max) is the step of Defazio, Bach, Lacoste-Julien (NeurIPS 2014, Theorem 1),
 * for which SAGA contracts at rate 1 − min(1/(4n), μ/(3·L_max)).
 */
export const SAGA_STEP_FACTOR = 3;

/**
 * A step-size rule for SABA under which it converges linearly on every problem of {@link quadraticProblemArb}
 * (found and calibrated by measurement, `scripts/calibrate-saba.ts`; budget and data in {@link linearBudget}):
 *
 *   ρ = 1 / (3·L_max)      L_max = max_j ‖∇²_zz g_j‖: SAGA's step, valid for any minibatch since a batch Hessian
 *                          is a mean of sample Hessians; z and v contract at ≥ ρμ;
 *   γ = ρ · μ / L_h        L_h = λ_max(∇²h), μ = λ_min of the inner Hessian: the two-timescale condition
 *                          γ·L_h ≤ ρ·μ, x's fastest mode no faster than the slowest mode of z and v.
 *
 * The constants come from {@link constantsOf}: exact for a `QuadraticProblem` (`innerConstants()`, `outerHessian()`),
 * else the problem's own `bilevelConstants()` ({@link ProblemWithConstants}: closed-form bounds, or
 * {@link estimateConstants} on problems that only give oracles).
 *
 * Why μ/L_h: with γ = min(ρ, 1/(3·L_h)) (x as fast as z), problems with κ = L/μ near 100 did not converge within
 * 4× the budget (8 of 1000) and even κ = 10 needed 2× the rate model; they needed γ ≈ ρ/κ. With γ = ρμ/L_h the
 * rate model held to within a factor 1.02 on every family measured with LCross ≤ μ. Margin of the rule (300 default problems): 2γ stays
 * within the budget; 4γ misses it on 2 problems (κ ≈ 1, where μ/L_h ≈ 1), 8γ on 21 (some diverge).
 *
 * @example saba(safeSabaOptions(problem))   // SABA ready for `linearConvergence`
 */
export function safeSabaOptions(problem: ConstantsProblem, options: SafeStepOptions = {}): SabaSteps {
  const fn = 'safeSabaOptions';
  knownKeys(fn, options, ['batchSize']);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? SAFE_BATCH_SIZE);
  const c = constantsOf(problem, fn);
  const innerStep = 1 / (SAGA_STEP_FACTOR * c.LMaxSample);
  const outerStep = (innerStep * c.mu) / c.LOuter;
  return { batchSize, innerStep, outerStep };
}
