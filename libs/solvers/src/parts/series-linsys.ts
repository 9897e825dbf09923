import type { StreamPart } from '../solver';
import type { InverseEstimator } from './neumann-hypergradient';
import { NeumannHypergradient } from './neumann-hypergradient';

interface SeriesLinsysState {
  readonly hg: NeumannHypergradient;
  hvps: number;
}

/**
 * A linear-system part that rebuilds v from scratch at every step with a Neumann-type series on fresh minibatches
 * (TTSA, BSA: Ghadimi & Wang's `hia` estimator; `neumann` is stocBiO's series): v ← v̂(z, x; S) of
 * {@link NeumannHypergradient}, at the (z, x) the step reads; the previous v plays no role. Oracle calls per step:
 * one ∇_z f on an outer minibatch and N (`neumann`) or p ~ U{0..N−1} (`hia`) HVPs on independent inner minibatches.
 * Diagnostics: `hvps`, the products of the last step.
 */
export function seriesLinsys(batchSize: number, eta: number, terms: number, estimator: InverseEstimator): StreamPart<SeriesLinsysState> {
  return {
    stream: 'linsys',
    description: { estimator: 'sgd', batchSize, linearSolver: { kind: 'neumann', step: eta, iterations: terms } },
    init: (problem, rng) => ({ hg: new NeumannHypergradient(problem, { batchSize, eta, terms, estimator }, rng.split()), hvps: 0 }),
    step(s, { z, x }, _t, out) {
      s.hg.draw();
      s.hg.solve(z, x, out);
      s.hvps = s.hg.products;
    },
    diagnostics: (s) => ({ hvps: s.hvps }),
  };
}
