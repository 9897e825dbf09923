import type fc from 'fast-check';
import type { QuadraticProblem } from '@bilevel/problems';
import type { Solver } from '@bilevel/solvers';
import type { GeneratedQuadratic } from './quadratic-problem-arb';

/** Builds the solver to test, configured for one generated problem (e.g. its steps from the problem's constants). */
export type SolverFactory = (problem: QuadraticProblem) => Solver;

/** A solver property: over a generated problem and a generated run seed. Pass it to `fc.assert` / `fc.check`. */
export type SolverProperty = fc.IAsyncPropertyWithHooks<[GeneratedQuadratic, number]>;
