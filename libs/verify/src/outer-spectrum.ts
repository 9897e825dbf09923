import { symEig } from '@bilevel/linalg';
import type { QuadraticProblem } from '@bilevel/problems';

/** μ_h and L_h: the extreme eigenvalues of the (constant) Hessian of h of a quadratic problem. */
export function outerSpectrum(problem: QuadraticProblem): { readonly mu: number; readonly L: number } {
  const { values } = symEig(problem.outerHessian());
  return { mu: values[0], L: values[values.length - 1] };
}
