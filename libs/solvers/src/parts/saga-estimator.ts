import type { Estimator } from './estimator';
import { BatchTerms } from './batch-terms';
import { SagaMemory } from '../saga-memory';

interface SagaState {
  readonly base: BatchTerms;
  readonly memories: SagaMemory[];
  readonly d: Float64Array;
}

/**
 * SAGA estimate (Defazio, Bach, Lacoste-Julien, NeurIPS 2014), one memory per term with one row per block:
 * d = Σ_terms [q_j(w_t) − m_j + m̄] (see {@link SagaMemory}). Variance vanishes at the solution, so constant steps
 * converge (SABA). Memories start at zero.
 */
export function sagaEstimator(): Estimator<SagaState> {
  return {
    name: 'saga',
    init(context) {
      const base = new BatchTerms(context);
      const memories = base.samplers.map((sampler) => {
        const weights = Array.from({ length: sampler.nBlocks }, (_, b) => sampler.block(b).weight);
        return new SagaMemory(sampler.nBlocks, base.dim, weights);
      });
      return { base, memories, d: new Float64Array(base.dim) };
    },
    estimate({ base, memories, d }, reads, _t, out) {
      base.draw();
      out.fill(0);
      for (let i = 0; i < base.terms.length; i++) {
        const q = base.q[i];
        base.terms[i].evaluate(reads, base.batches[i].indices, q);
        memories[i].direction(base.batches[i].block, q, d);
        for (let k = 0; k < base.dim; k++) out[k] += d[k];
      }
      base.remember(reads, out);
    },
    probe: (s, point, out) => s.base.probe(point, out),
  };
}
