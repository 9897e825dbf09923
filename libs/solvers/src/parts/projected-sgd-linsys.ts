import { BlockSampler } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { StreamPart } from '../solver';

interface ProjectedSgdLinsysState {
  readonly problem: BilevelProblem;
  readonly innerSampler: BlockSampler;
  readonly outerSampler: BlockSampler;
  readonly hv: Float64Array;
  readonly fz: Float64Array;
}

/**
 * The SOBA linear-system step with a constant step and an optional projection (MA-SOBA, BO-REP):
 * v ← Π_{‖v‖ ≤ radius}(v − step·(∇²_zz g(z, x; S_in) v + ∇_z f(z, x; S_out))), one HVP on an inner minibatch and one
 * ∇_z f on an outer minibatch per step; `radius` Infinity projects nothing.
 */
export function projectedSgdLinsys(batchSize: number, step: number, radius: number): StreamPart<ProjectedSgdLinsysState> {
  return {
    stream: 'linsys',
    description: { estimator: 'sgd', batchSize, step: radius === Infinity ? { kind: 'constant', value: step } : { kind: 'other', rule: `constant ${step}, projected onto ‖v‖ ≤ ${radius}` } },
    init: (problem, rng) => ({
      problem,
      innerSampler: new BlockSampler(problem.nInner, batchSize, rng.split()),
      outerSampler: new BlockSampler(problem.nOuter, batchSize, rng.split()),
      hv: new Float64Array(problem.dimZ),
      fz: new Float64Array(problem.dimZ),
    }),
    step(s, { z, v, x }, _t, out) {
      s.problem.innerHvp(z, x, v, s.innerSampler.next().indices, s.hv);
      s.problem.outerGradZ(z, x, s.outerSampler.next().indices, s.fz);
      let sq = 0;
      for (let k = 0; k < out.length; k++) {
        out[k] = v[k] - step * (s.hv[k] + s.fz[k]);
        sq += out[k] * out[k];
      }
      if (radius !== Infinity && sq > radius * radius) {
        const scale = radius / Math.sqrt(sq);
        for (let k = 0; k < out.length; k++) out[k] *= scale;
      }
    },
  };
}
