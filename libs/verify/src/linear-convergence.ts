import fc from 'fast-check';
import type { QuadraticProblem } from '@bilevel/problems';
import type { Solver } from '@bilevel/solvers';
import type { GeneratedQuadratic } from './quadratic-problem-arb';
import { quadraticProblemArb } from './quadratic-problem-arb';
import type { SolverFactory, SolverProperty } from './solver-property';
import type { SabaSteps } from './safe-saba-options';
import { LINEAR_BUDGET_SAFETY, LINEAR_REDUCTION, linearBudget } from './linear-budget';
import { measureLinearConvergence } from './measure-linear-convergence';
import { knownKeys, numberBetween, positiveNumber } from './validate-options';

/** Options of {@link linearConvergence}, with their defaults. */
export interface LinearConvergenceOptions {
  /** The problems. Default `quadraticProblemArb()`. */
  readonly problems?: fc.Arbitrary<GeneratedQuadratic>;
  /** ε in ‖∇h(x_T)‖ ≤ ε·‖∇h(x₀)‖. Default 1e-6. */
  readonly reduction?: number;
  /** Safety factor S of the default budget. Default 2 ({@link LINEAR_BUDGET_SAFETY}). */
  readonly safety?: number;
  /**
   * The budget T for a problem and the solver built for it. Default: {@link linearBudget} with the steps read from
   * `solver.options` (`batchSize`, `innerStep` = ρ, `outerStep` = γ, as SABA reports them); a solver that does not
   * report them needs this option.
   */
  readonly budget?: (problem: QuadraticProblem, solver: Solver) => number;
}

/** The steps a SABA-like solver reports in `solver.options`. */
function stepsOf(solver: Solver): SabaSteps {
  const { batchSize, innerStep, outerStep } = solver.options;
  if (typeof batchSize !== 'number' || typeof innerStep !== 'number' || typeof outerStep !== 'number') {
    throw new RangeError(
      `linearConvergence: solver "${solver.name}" does not report numeric batchSize, innerStep and outerStep in its options ` +
        `(received ${JSON.stringify(solver.options)}); pass the budget option`,
    );
  }
  return { batchSize, innerStep, outerStep };
}

/**
 * Linear convergence of a variance-reduced solver with constant steps (SABA: Dagréou, Ablin, Vaiter, Moreau,
 * NeurIPS 2022, linear convergence under the Polyak-Łojasiewicz condition, which strongly convex h satisfies).
 *
 * Guarantee checked: for every generated quadratic problem and run seed, the run from x₀ = z₀ = v₀ = 0 through the
 * RxJS streams reaches ‖∇h(x_t)‖ ≤ ε·‖∇h(x₀)‖ (exact hypergradient, `problem.hypergradient`) at some checkpoint
 * t ≤ T, where the budget T comes from the rate model of {@link linearBudget}:
 *   T = ⌈S · ln(1/ε) · (4·B + 1/(ρμ) + 1/(γμ_h))⌉,  S = 2 calibrated by measurement (with {@link safeSabaOptions},
 *   iterations needed ÷ T was at most 0.46 over 1000 default problems, 0.51 over all the variants measured).
 * The run stops at the first checkpoint below target (checkpoints every T/200 steps), so passing runs are short.
 *
 * @example await fc.assert(linearConvergence((p) => saba(safeSabaOptions(p))), { seed: 42, numRuns: 20 })
 */
export function linearConvergence(solverFactory: SolverFactory, options: LinearConvergenceOptions = {}): SolverProperty {
  const fn = 'linearConvergence';
  knownKeys(fn, options, ['problems', 'reduction', 'safety', 'budget']);
  const reduction = numberBetween(fn, 'reduction', options.reduction ?? LINEAR_REDUCTION, 0, 1);
  const safety = positiveNumber(fn, 'safety', options.safety ?? LINEAR_BUDGET_SAFETY);
  const budgetOf = options.budget ?? ((problem: QuadraticProblem, solver: Solver) => linearBudget(problem, stepsOf(solver), { reduction, safety }));
  const problems = options.problems ?? quadraticProblemArb();
  return fc.asyncProperty(problems, fc.integer({ min: 0, max: 0x7fffffff }), async ({ problem }, seed) => {
    const solver = solverFactory(problem);
    const budget = budgetOf(problem, solver);
    const m = await measureLinearConvergence(problem, solver, { budget, seed, reduction });
    if (m.iterations === null) {
      throw new Error(
        `${fn}: solver "${solver.name}" reduced ‖∇h‖ from ${m.initialNorm.toExponential(3)} to ${m.finalNorm.toExponential(3)} ` +
          `(ratio ${(m.finalNorm / m.initialNorm).toExponential(2)}, target ${reduction}) within the budget T = ${budget} (run seed ${seed})`,
      );
    }
  });
}
