import fc from 'fast-check';
import type { BilevelProblem } from '@bilevel/problems';
import type { FiniteDifferenceAuditOptions } from './finite-difference-audit';
import { finiteDifferenceAudit } from './finite-difference-audit';
import { knownKeys, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link oraclesAgreeWithFiniteDifferences}: those of the audit except its seed, which is generated. */
export type OracleAgreementOptions = Omit<FiniteDifferenceAuditOptions, 'seed'>;

/**
 * Every sample-wise oracle agrees with central finite differences ({@link finiteDifferenceAudit}): for every generated
 * problem and a generated seed (which picks the point (z, x, v), the minibatches and the directions), each of
 * innerGradZ, innerHvp, innerCross, outerGradZ, outerGradX has relative error ≤ relTol (default 1e-6 for float64
 * problems, 2e-2 for float32; see {@link FD_REL_TOL}). A failure names the oracles that disagree and their errors.
 *
 * Works with any arbitrary of `{ problem }` (e.g. {@link quadraticProblemArb}, or one wrapping your own problems).
 *
 * @example fc.assert(oraclesAgreeWithFiniteDifferences(quadraticProblemArb()), { seed: 42, numRuns: 20 })
 */
export function oraclesAgreeWithFiniteDifferences<T extends { readonly problem: BilevelProblem }>(
  problemArb: fc.Arbitrary<T>,
  options: OracleAgreementOptions = {},
): fc.IPropertyWithHooks<[T, number]> {
  const fn = 'oraclesAgreeWithFiniteDifferences';
  // validated up front (the audit validates them again on each call); the seed is generated
  knownKeys(fn, options, ['directions', 'batchSize', 'step', 'relTol']);
  if (options.directions !== undefined) positiveInteger(fn, 'directions', options.directions);
  if (options.batchSize !== undefined) positiveInteger(fn, 'batchSize', options.batchSize);
  if (options.step !== undefined) positiveNumber(fn, 'step', options.step);
  if (options.relTol !== undefined) positiveNumber(fn, 'relTol', options.relTol);
  return fc.property(problemArb, fc.integer({ min: 0, max: 0x7fffffff }), ({ problem }, seed) => {
    const report = finiteDifferenceAudit(problem, { ...options, seed });
    if (!report.ok) {
      const bad = report.oracles.filter((o) => !o.ok).map((o) => `${o.name} (relative error ${o.maxRelError.toExponential(2)})`);
      throw new Error(`${fn}: ${bad.join(', ')} disagree with central finite differences on problem "${problem.name}" (audit seed ${seed})`);
    }
  });
}
