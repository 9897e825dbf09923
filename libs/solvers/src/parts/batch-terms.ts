import { BlockSampler } from '@bilevel/linalg';
import type { Batch } from '@bilevel/linalg';
import type { Reads } from '../solver';
import type { EstimatorContext } from './estimator';
import type { Term } from './direction';

/**
 * The per-term machinery every estimator shares: one block sampler per term (split from the estimator's RNG in
 * term order), this step's batches, and scratch buffers. `probe` re-evaluates this step's batches at another point.
 */
export class BatchTerms {
  readonly terms: readonly Term[];
  readonly samplers: BlockSampler[];
  readonly batches: Batch[];
  readonly q: Float64Array[];
  readonly scratch: Float64Array;
  readonly dim: number;
  /** The point of this step's estimate and the estimate itself (a copy), for `probe`. */
  readonly lastD: Float64Array;
  lastReads: Reads | undefined;

  constructor(context: EstimatorContext) {
    const { direction, problem, rng, batchSize } = context;
    this.terms = direction.terms;
    this.dim = direction.dim;
    this.samplers = this.terms.map((t) => new BlockSampler(t.source === 'inner' ? problem.nInner : problem.nOuter, batchSize, rng.split()));
    this.batches = [];
    this.q = this.terms.map(() => new Float64Array(this.dim));
    this.scratch = new Float64Array(this.dim);
    this.lastD = new Float64Array(this.dim);
  }

  /** Draws this step's batch of every term. */
  draw(): void {
    for (let i = 0; i < this.terms.length; i++) this.batches[i] = this.samplers[i].next();
  }

  /** Remembers the point and the estimate of this step for `probe`. */
  remember(reads: Reads, d: Float64Array): void {
    this.lastReads = reads;
    this.lastD.set(d);
  }

  /** out ← lastD + Σ_terms [q_B(point) − q_B(lastReads)] with this step's batches. */
  probe(point: Reads, out: Float64Array): void {
    if (!this.lastReads) throw new Error('probe: call estimate first');
    out.set(this.lastD);
    const s = this.scratch;
    for (let i = 0; i < this.terms.length; i++) {
      const b = this.batches[i].indices;
      this.terms[i].evaluate(point, b, s);
      for (let k = 0; k < this.dim; k++) out[k] += s[k];
      this.terms[i].evaluate(this.lastReads, b, s);
      for (let k = 0; k < this.dim; k++) out[k] -= s[k];
    }
  }
}
