import type { Batch } from '@bilevel/linalg';
import type { Reads } from '../solver';
import type { Estimator } from './estimator';
import { BatchTerms } from './batch-terms';
import { PointCopy } from './point-copy';

/** Options of {@link sarahEstimator}. */
export interface SarahOptions {
  /**
   * Steps between full-batch refreshes (t mod period = 0 refreshes, t = 0 included). Default ⌊½·max(⌈n/b⌉, ⌈m/b⌉)⌋,
   * at least 1, over the sample sets of this stream's terms (SRBA passes the benchmark's ⌊½(n+m)/b⌋ explicitly).
   */
  readonly period?: number;
}

/** The state of a SARAH-type recursion (SARAH's periodic and PAGE's random refreshes). */
export interface RecursiveState {
  readonly base: BatchTerms;
  readonly prev: PointCopy;
  readonly d: Float64Array;
  readonly full: Batch[];
  refreshes: number;
}

interface SarahState extends RecursiveState {
  readonly period: number;
}

/**
 * One step of a SARAH-type recursion into `out`: with `refresh`, d = Σ_terms q_full(w_t); otherwise
 * d += Σ_terms [q_B(w_t) − q_B(w_{t−1})] on this step's batches. Remembers w_t for the next step.
 */
export function recursiveEstimate(s: RecursiveState, reads: Reads, refresh: boolean, out: Float64Array): void {
  const { base, prev, d } = s;
  const dim = base.dim;
  if (refresh) {
    d.fill(0);
    for (let i = 0; i < base.terms.length; i++) {
      base.batches[i] = s.full[i];
      base.terms[i].evaluate(reads, s.full[i].indices, base.q[i]);
      for (let k = 0; k < dim; k++) d[k] += base.q[i][k];
    }
    s.refreshes++;
  } else {
    base.draw();
    const q = base.scratch;
    for (let i = 0; i < base.terms.length; i++) {
      const b = base.batches[i].indices;
      base.terms[i].evaluate(reads, b, base.q[i]);
      base.terms[i].evaluate(prev, b, q);
      for (let k = 0; k < dim; k++) d[k] += base.q[i][k] - q[k];
    }
  }
  prev.save(reads);
  out.set(d);
  base.remember(reads, out);
}

/**
 * SARAH recursive estimate (Nguyen, Liu, Scheinberg, Takáč, ICML 2017), reset with a full batch every `period` steps:
 *   t mod period = 0:  d_t = Σ_terms q_full(w_t)
 *   otherwise:         d_t = d_{t−1} + Σ_terms [q_{B_t}(w_t) − q_{B_t}(w_{t−1})]     (same batch at both points)
 * where w = (z, v, x) is the point the stream reads. SRBA (Dagréou et al., AISTATS 2024) uses it on all three streams.
 */
export function sarahEstimator(options: SarahOptions = {}): Estimator<SarahState> {
  if (options.period !== undefined && (!Number.isInteger(options.period) || options.period < 1)) {
    throw new RangeError(`sarahEstimator: period must be a positive integer, received ${String(options.period)}`);
  }
  return {
    name: 'sarah',
    init(context) {
      const base = new BatchTerms(context);
      const { problem } = context;
      const blocks = Math.max(...base.samplers.map((s) => s.nBlocks));
      const period = options.period ?? Math.max(1, Math.floor(blocks / 2));
      const full = base.terms.map((t) => {
        const indices = t.source === 'inner' ? problem.fullInner : problem.fullOuter;
        return { block: -1, indices, weight: 1 };
      });
      return { base, prev: new PointCopy(problem.dimZ, problem.dimX), d: new Float64Array(base.dim), full, period, refreshes: 0 };
    },
    estimate(s, reads, t, out) {
      recursiveEstimate(s, reads, t % s.period === 0, out);
    },
    probe: (s, point, out) => s.base.probe(point, out),
    diagnostics: (s) => ({ refreshes: s.refreshes, period: s.period }),
  };
}
