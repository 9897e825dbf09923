import type { Estimator } from './estimator';
import { BatchTerms } from './batch-terms';
import { PointCopy } from './point-copy';

/** Options of {@link stormEstimator}. */
export interface StormOptions {
  /** Momentum weight a ∈ (0, 1] of the fresh sample; a = 1 is plain SGD. Default 0.1. */
  readonly momentum?: number;
  /** b ≥ 0: the weight decreases as a_t = a·(t+1)^−b (MRBO, SUSTAIN: 2/3; FSLA: 1/2). Default 0 (constant). */
  readonly momentumDecay?: number;
}

interface StormState {
  readonly base: BatchTerms;
  readonly prev: PointCopy;
  readonly d: Float64Array;
  readonly a: number;
  readonly b: number;
}

/**
 * STORM, STOchastic Recursive Momentum (Cutkosky & Orabona, NeurIPS 2019):
 *   d_0 = Σ q_{B_0}(w_0),   d_t = Σ q_{B_t}(w_t) + (1 − a_t)(d_{t−1} − Σ q_{B_t}(w_{t−1}))     (same batch at both points)
 * a variance-reduced momentum without full passes, with a_t = a (default) or a_t = a·(t+1)^−b (`momentumDecay`);
 * a = 1 gives SGD.
 */
export function stormEstimator(options: StormOptions = {}): Estimator<StormState> {
  const a = options.momentum ?? 0.1;
  if (!(a > 0 && a <= 1)) throw new RangeError(`stormEstimator: momentum must be in (0, 1], received ${String(a)}`);
  const b = options.momentumDecay ?? 0;
  if (typeof b !== 'number' || !(b >= 0) || !Number.isFinite(b)) throw new RangeError(`stormEstimator: momentumDecay must be a finite number ≥ 0, received ${String(b)}`);
  return {
    name: 'storm',
    init(context) {
      const base = new BatchTerms(context);
      return { base, prev: new PointCopy(context.problem.dimZ, context.problem.dimX), d: new Float64Array(base.dim), a, b };
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
        const keep = 1 - (s.b === 0 ? s.a : s.a * Math.pow(t + 1, -s.b));
        for (let k = 0; k < dim; k++) d[k] *= keep;
        for (let i = 0; i < base.terms.length; i++) {
          const b = base.batches[i].indices;
          base.terms[i].evaluate(reads, b, base.q[i]);
          base.terms[i].evaluate(prev, b, q);
          for (let k = 0; k < dim; k++) d[k] += base.q[i][k] - keep * q[k];
        }
      }
      prev.save(reads);
      out.set(d);
      base.remember(reads, out);
    },
    probe: (s, point, out) => s.base.probe(point, out),
  };
}
