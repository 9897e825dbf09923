import type { BilevelProblem } from '@bilevel/problems';
import { QuadraticProblem } from '@bilevel/problems';
import { outerSpectrum } from './outer-spectrum';

/**
 * The constants the SABA and SOBA step rules ({@link safeSabaOptions}, {@link safeSobaOptions}) and the linear budget
 * ({@link linearBudget}) read, as bounds over the region the runs visit:
 *
 *   μ, L          λ_min and λ_max of the inner Hessian ∇²_zz G (strong convexity and smoothness of G(·, x))
 *   L_max         max_j λ_max(∇²_zz g_j), the largest per-sample inner curvature (SAGA's step is 1/(3·L_max))
 *   μ_h, L_h      λ_min and λ_max of ∇²h, h(x) = F(z*(x), x) (μ_h > 0: h strongly convex, so SABA is linear)
 */
export interface BilevelConstants {
  readonly mu: number;
  readonly L: number;
  readonly LMaxSample: number;
  readonly muOuter: number;
  readonly LOuter: number;
}

/**
 * A problem that exposes its constants: closed-form bounds, or estimates it stands by (e.g. from
 * {@link estimateConstants}, computed once and cached by the problem).
 *
 * @example
 * class MyFamily implements ProblemWithConstants {
 *   #constants?: BilevelConstants;
 *   bilevelConstants() { return (this.#constants ??= estimateConstants(this)); }
 *   // … the BilevelProblem oracles
 * }
 */
export interface ProblemWithConstants extends BilevelProblem {
  bilevelConstants(): BilevelConstants;
}

/** What the safe step rules, the budget and the property kit take: a quadratic (exact constants) or any problem with them. */
export type ConstantsProblem = QuadraticProblem | ProblemWithConstants;

/** Whether `problem` exposes its constants ({@link ProblemWithConstants}). */
export function hasConstants(problem: BilevelProblem): problem is ProblemWithConstants {
  return typeof (problem as Partial<ProblemWithConstants>).bilevelConstants === 'function';
}

const FIELDS = ['mu', 'L', 'LMaxSample', 'muOuter', 'LOuter'] as const;

/**
 * The constants of a problem: its own `bilevelConstants()` when it has one (checked: five finite numbers > 0), else
 * the exact ones of a {@link QuadraticProblem} (`innerConstants()` and the spectrum of its constant `outerHessian()`).
 * Any other problem is a RangeError naming `fn` and saying how to provide them.
 */
export function constantsOf(problem: BilevelProblem, fn: string): BilevelConstants {
  if (hasConstants(problem)) {
    const c = problem.bilevelConstants();
    for (const key of FIELDS) {
      const v = c?.[key];
      if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
        throw new RangeError(`${fn}: problem "${problem.name}".bilevelConstants().${key} must be a finite number > 0, received ${String(v)}`);
      }
    }
    return c;
  }
  if (problem instanceof QuadraticProblem) {
    const inner = problem.innerConstants();
    const outer = outerSpectrum(problem);
    return { mu: inner.mu, L: inner.L, LMaxSample: inner.LMaxSample, muOuter: outer.mu, LOuter: outer.L };
  }
  throw new RangeError(
    `${fn}: problem "${problem.name}" does not expose its constants: give it a bilevelConstants() method ` +
      '(closed-form bounds, or estimateConstants(problem) from @bilevel/verify, computed once)',
  );
}
