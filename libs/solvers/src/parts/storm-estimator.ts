import type { Estimator } from './estimator';
import { BatchTerms } from './batch-terms';
import { PointCopy } from './point-copy';

/** Options of {@link stormEstimator}. */
export interface StormOptions {
  /** Momentum weight a ∈ (0, 1] of the fresh sample; a = 1 is plain SGD. Default 0.1. */
  readonly momentum?: number;
}

interface StormState {
  readonly base: BatchTerms;
  readonly prev: PointCopy;
  readonly d: Float64Array;
  readonly a: number;
}

/**
 * STORM, STOchastic Recursive Momentum (Cutkosky & Orabona, NeurIPS 2019):
 *   d_0 = Σ q_{B_0}(w_0),   d_t = Σ q_{B_t}(w_t) + (1 − a)(d_{t−1} − Σ q_{B_t}(w_{t−1}))     (same batch at both points)
 * a variance-reduced momentum without full passes; a = 1 gives SGD.
 */
export function stormEstimator(options: StormOptions = {}): Estimator<StormState> {
  const a = options.momentum ?? 0.1;
  if (!(a > 0 && a <= 1)) throw new RangeError(`stormEstimator: momentum must be in (0, 1], received ${String(a)}`);
  return {
    name: 'storm',
    init(context) {
      const base = new BatchTerms(context);
      return { base, prev: new PointCopy(context.problem.dimZ, context.problem.dimX), d: new Float64Array(base.dim), a };
    },
    estimate(s, reads, t, out) {
      const { base, prev, d } = s;
      const dim = base.dim;
      base.draw();
      if (t === 0) {
        d.fill(0);
        for (let i = 0; i < base.terms.length; i++) {
          base.terms[i].evaluate(reads, base.batches[i].indices, base.q[i]);
          for (let k = 0; k < dim; k++) d[k] += base.q[i][k];
        }
      } else {
        const q = base.scratch;
        for (let k = 0; k < dim; k++) d[k] *= 1 - s.a;
        for (let i = 0; i < base.terms.length; i++) {
          const b = base.batches[i].indices;
          base.terms[i].evaluate(reads, b, base.q[i]);
          base.terms[i].evaluate(prev, b, q);
          for (let k = 0; k < dim; k++) d[k] += base.q[i][k] - (1 - s.a) * q[k];
        }
      }
      prev.save(reads);
      out.set(d);
      base.remember(reads, out);
    },
    probe: (s, point, out) => s.base.probe(point, out),
  };
}
