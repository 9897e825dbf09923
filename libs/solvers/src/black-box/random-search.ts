import type { Rng } from '@bilevel/linalg';
import type { Solver } from '../solver';
import type { BlackBoxOptions, CandidateProposer } from './black-box-search';
import { blackBoxSolver } from './black-box-search';

/** Options of {@link randomSearch}: those of every black-box search ({@link BlackBoxOptions}). */
export type RandomSearchOptions = BlackBoxOptions;

/** Candidates uniform in the box, coordinate by coordinate, from the search's own generator. */
const uniformProposer: CandidateProposer<Rng> = {
  needsHistory: false,
  init: (_dimX, rng) => rng,
  propose(rng, _history, low, high, out) {
    for (let k = 0; k < out.length; k++) out[k] = low + (high - low) * rng.float();
  },
};

/**
 * Random search over x (Bergstra & Bengio, "Random Search for Hyper-Parameter Optimization", JMLR 2012): the start x₀,
 * then candidates drawn uniformly in the box [low, high]^d (default [−5, 5]^d); each is evaluated exactly (one inner
 * solve) and x is the best so far. The black-box baseline of the public benchmark's comparison, without a model. See
 * {@link blackBoxSolver} for how a search runs as a solver and how its evaluations are counted.
 *
 * @example runLoop(problem, randomSearch({ low: -3, high: 3 }), { maxIter: 100 })
 */
export function randomSearch(options: RandomSearchOptions = {}): Solver {
  return blackBoxSolver(
    'random-search',
    'Bergstra, Bengio. Random Search for Hyper-Parameter Optimization. JMLR 2012.',
    'randomSearch',
    uniformProposer as CandidateProposer,
    options,
    [],
    {},
  );
}
