import type { Estimator } from './estimator';
import { BatchTerms } from './batch-terms';

/**
 * Plain stochastic estimate (Robbins & Monro, 1951): d = Σ_terms q_{B_t}(w_t), a fresh block per term and step.
 * Unbiased; its variance does not vanish, so it needs decreasing steps to converge (SOBA).
 */
export function sgdEstimator(): Estimator<BatchTerms> {
  return {
    name: 'sgd',
    init: (context) => new BatchTerms(context),
    estimate(s, reads, _t, out) {
      s.draw();
      out.fill(0);
      for (let i = 0; i < s.terms.length; i++) {
        const q = s.q[i];
        s.terms[i].evaluate(reads, s.batches[i].indices, q);
        for (let k = 0; k < s.dim; k++) out[k] += q[k];
      }
      s.remember(reads, out);
    },
    probe: (s, point, out) => s.probe(point, out),
  };
}
