import type fc from 'fast-check';
import type { BilevelProblem, QuadraticProblem } from '@bilevel/problems';
import type { Solver } from '@bilevel/solvers';
import type { GeneratedQuadratic } from './quadratic-problem-arb';

/**
 * A generated problem as the properties see it: the problem, and how a counterexample prints it (the call that
 * rebuilds it). {@link GeneratedQuadratic} is one; a user's own family builds its own.
 */
export interface GeneratedProblem<P extends BilevelProblem = BilevelProblem> {
  readonly problem: P;
  toString(): string;
}

/** Builds the solver to test, configured for one generated problem (e.g. its steps from the problem's constants). */
export type SolverFactory<P extends BilevelProblem = QuadraticProblem> = (problem: P) => Solver;

/** A solver property: over a generated problem and a generated run seed. Pass it to `fc.assert` / `fc.check`. */
export type SolverProperty<G extends GeneratedProblem = GeneratedQuadratic> = fc.IAsyncPropertyWithHooks<[G, number]>;
