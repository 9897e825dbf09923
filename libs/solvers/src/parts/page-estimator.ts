import type { Rng } from '@bilevel/linalg';
import type { Estimator } from './estimator';
import { BatchTerms } from './batch-terms';
import { PointCopy } from './point-copy';
import type { RecursiveState } from './sarah-estimator';
import { recursiveEstimate } from './sarah-estimator';

/** Options of {@link pageEstimator}. */
export interface PageOptions {
  /**
   * p, the probability of a full-batch refresh at each step t ≥ 1 (t = 0 always refreshes). Default: PAGE's choice
   * for finite sums, p = b/(b + N), with b the batch size and N the largest sample count among the stream's terms.
   */
  readonly probability?: number;
}

interface PageState extends RecursiveState {
  /** The coin of the refreshes: its own split of the estimator's generator, drawn once per step t ≥ 1. */
  readonly coin: Rng;
  readonly p: number;
}

/**
 * PAGE, the ProbAbilistic Gradient Estimator (Li, Bao, Zhang, Richtárik, ICML 2021), the estimator of SPABA
 * (Chu, Xu, Yao, Zhang, ICML 2024): a SARAH recursion whose full-batch refresh comes at random, with probability p:
 *   t = 0, or with probability p:  d_t = Σ_terms q_full(w_t)
 *   otherwise:                     d_t = d_{t−1} + Σ_terms [q_{B_t}(w_t) − q_{B_t}(w_{t−1})]   (same batch at both points)
 * where w = (z, v, x) is the point the stream reads. One uniform draw per step t ≥ 1 decides (u < p refreshes),
 * from a generator split off after the term samplers, so the batches are those SARAH would draw.
 * E[d_t − ∇_t | d_{t−1}] = (1 − p)(d_{t−1} − ∇_{t−1}): the error is a martingale that a refresh resets.
 */
export function pageEstimator(options: PageOptions = {}): Estimator<PageState> {
  const fixed = options.probability;
  if (fixed !== undefined && !(fixed > 0 && fixed <= 1)) throw new RangeError(`pageEstimator: probability must be in (0, 1], received ${String(fixed)}`);
  return {
    name: 'page',
    init(context) {
      const base = new BatchTerms(context);
      const { problem, batchSize } = context;
      const largest = Math.max(...base.terms.map((t) => (t.source === 'inner' ? problem.nInner : problem.nOuter)));
      const p = fixed ?? batchSize / (batchSize + largest);
      const full = base.terms.map((t) => ({ block: -1, indices: t.source === 'inner' ? problem.fullInner : problem.fullOuter, weight: 1 }));
      return { base, prev: new PointCopy(problem.dimZ, problem.dimX), d: new Float64Array(base.dim), full, coin: context.rng.split(), p, refreshes: 0 };
    },
    estimate(s, reads, t, out) {
      recursiveEstimate(s, reads, t === 0 || s.coin.float() < s.p, out);
    },
    probe: (s, point, out) => s.base.probe(point, out),
    diagnostics: (s) => ({ refreshes: s.refreshes, probability: s.p }),
  };
}
