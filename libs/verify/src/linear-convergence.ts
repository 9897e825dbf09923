import fc from 'fast-check';
import type { QuadraticProblem } from '@bilevel/problems';
import type { ConstantsProblem } from './problem-constants';
import type { Solver } from '@bilevel/solvers';
import { describeStep } from '@bilevel/solvers';
import { quadraticProblemArb } from './quadratic-problem-arb';
import type { GeneratedProblem, SolverFactory, SolverProperty } from './solver-property';
import type { SabaSteps } from './safe-saba-options';
import { LINEAR_BUDGET_SAFETY, LINEAR_REDUCTION, linearBudget } from './linear-budget';
import { measureLinearConvergence } from './measure-linear-convergence';
import { knownKeys, numberBetween, positiveNumber } from './validate-options';

/** Options of {@link linearConvergence}, with their defaults (P: the problems' type). */
export interface LinearConvergenceOptions<P extends ConstantsProblem = QuadraticProblem> {
  /**
   * The problems. Default `quadraticProblemArb()` (then P is QuadraticProblem). Any family of problems with their
   * constants ({@link ConstantsProblem}) whose h is strongly convex where the runs go.
   */
  readonly problems?: fc.Arbitrary<GeneratedProblem<P>>;
  /** ε in ‖∇h(x_T)‖ ≤ ε·‖∇h(x₀)‖. Default 1e-6. */
  readonly reduction?: number;
  /** Safety factor S of the default budget. Default 2 ({@link LINEAR_BUDGET_SAFETY}). */
  readonly safety?: number;
  /**
   * The budget T for a problem and the solver built for it. Default: {@link linearBudget} with the steps its parts
   * declare ({@link declaredSabaSteps}: a constant step and a batch size on each stream, as SABA's parts and
   * `singleLoop` parts with `constantStep` do); a solver whose parts do not declare them needs this option.
   */
  readonly budget?: (problem: P, solver: Solver) => number;
}

/**
 * The steps of a SABA-like solver, read from what its parts declare (`StreamPart.description`): a constant step and
 * a batch size on each stream; ρ = min(ρ_z, ρ_v), γ = the outer step, the smallest batch (the most SAGA blocks).
 */
export function declaredSabaSteps(solver: Solver, fn = 'linearConvergence'): SabaSteps {
  const steps = (['inner', 'linsys', 'outer'] as const).map((s) => {
    const d = solver[s].description;
    if (d?.step?.kind !== 'constant' || d.batchSize === undefined) {
      throw new RangeError(
        `${fn}: solver "${solver.name}" does not declare a constant step and a batch size on its ${s} stream (it declares: ` +
          `${describeStep(d)}); pass the budget option`,
      );
    }
    return { step: d.step.value, batchSize: d.batchSize };
  });
  return {
    batchSize: Math.min(...steps.map((s) => s.batchSize)),
    innerStep: Math.min(steps[0].step, steps[1].step),
    outerStep: steps[2].step,
  };
}

/**
 * Linear convergence of a variance-reduced solver with constant steps (SABA: Dagréou, Ablin, Vaiter, Moreau,
 * NeurIPS 2022, linear convergence under the Polyak-Łojasiewicz condition, which strongly convex h satisfies).
 *
 * Guarantee checked: for every generated problem (quadratic by default) and run seed, the run from x₀ = z₀ = v₀ = 0 through the
 * RxJS streams reaches ‖∇h(x_t)‖ ≤ ε·‖∇h(x₀)‖ (exact hypergradient, `problem.hypergradient`) at some checkpoint
 * t ≤ T, where the budget T comes from the rate model of {@link linearBudget}:
 *   T = ⌈S · ln(1/ε) · (4·B + 1/(ρμ) + 1/(γμ_h))⌉,  S = 2 calibrated by measurement (with {@link safeSabaOptions},
 *   iterations needed ÷ T was at most 0.46 over 1000 default problems, 0.51 over all the variants measured).
 * The run stops at the first checkpoint below target (checkpoints every T/200 steps), so passing runs are short.
 *
 * @example await fc.assert(linearConvergence((p) => saba(safeSabaOptions(p))), { seed: 42, numRuns: 20 })
 */
export function linearConvergence<P extends ConstantsProblem = QuadraticProblem>(
  solverFactory: SolverFactory<P>,
  options: LinearConvergenceOptions<P> = {},
): SolverProperty<GeneratedProblem<P>> {
  const fn = 'linearConvergence';
  knownKeys(fn, options, ['problems', 'reduction', 'safety', 'budget']);
  const reduction = numberBetween(fn, 'reduction', options.reduction ?? LINEAR_REDUCTION, 0, 1);
  const safety = positiveNumber(fn, 'safety', options.safety ?? LINEAR_BUDGET_SAFETY);
  const budgetOf = options.budget ?? ((problem: P, solver: Solver) => linearBudget(problem, declaredSabaSteps(solver), { reduction, safety }));
  const problems = options.problems ?? (quadraticProblemArb() as unknown as fc.Arbitrary<GeneratedProblem<P>>);
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
