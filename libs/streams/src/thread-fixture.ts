import { quadraticProblem } from '@bilevel/problems';
import { saba, soba } from '@bilevel/solvers';
import type { Rebuilt } from './thread-layout';

/** Arguments of {@link quadraticFixture}. */
export interface QuadraticFixtureArgs {
  readonly problemSeed: number;
  readonly solver: 'saba' | 'soba';
}

/**
 * A small quadratic problem and SABA or SOBA (batch 4), rebuilt the same way in any thread: the `rebuild` source of the
 * threads tests and the reference of the bit-identity check.
 */
export function quadraticFixture(args: QuadraticFixtureArgs): Rebuilt {
  const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 24, nOuter: 20, seed: args.problemSeed });
  const solver = args.solver === 'saba' ? saba({ batchSize: 4, innerStep: 0.2, outerStep: 0.05 }) : soba({ batchSize: 4 });
  return { problem, solver };
}
