import type { BilevelProblem } from '@bilevel/problems';
import type { Reads, StreamName } from '../solver';

/** Which sample set a term averages over. */
export type SampleSet = 'inner' | 'outer';

/** One sample-wise term of a stream's direction: its minibatch mean at a point. */
export interface Term {
  readonly name: string;
  readonly source: SampleSet;
  /** out ← the term's mean over `batch` at the point `reads`. */
  evaluate(reads: Reads, batch: Int32Array, out: Float64Array): void;
}

/** A stream's direction as a sum of sample-wise terms (what an estimator estimates). */
export interface Direction {
  readonly stream: StreamName;
  readonly dim: number;
  readonly terms: readonly Term[];
}

/**
 * The single-loop directions of the framework of SOBA/SABA (Dagréou et al., NeurIPS 2022), each a sum of
 * sample-wise terms so that any unbiased or variance-reduced estimator applies term by term:
 *   inner:  D_z = ∇_z g_j(z, x)
 *   linsys: D_v = ∇²_zz g_j(z, x)·v + ∇_z f_i(z, x)
 *   outer:  D_x = ∇²_xz g_j(z, x)·v + ∇_x f_i(z, x)
 */
export function streamDirection(stream: StreamName, problem: BilevelProblem): Direction {
  const p = problem;
  switch (stream) {
    case 'inner':
      return { stream, dim: p.dimZ, terms: [{ name: 'innerGradZ', source: 'inner', evaluate: (r, b, out) => p.innerGradZ(r.z, r.x, b, out) }] };
    case 'linsys':
      return {
        stream,
        dim: p.dimZ,
        terms: [
          { name: 'innerHvp', source: 'inner', evaluate: (r, b, out) => p.innerHvp(r.z, r.x, r.v, b, out) },
          { name: 'outerGradZ', source: 'outer', evaluate: (r, b, out) => p.outerGradZ(r.z, r.x, b, out) },
        ],
      };
    case 'outer':
      return {
        stream,
        dim: p.dimX,
        terms: [
          { name: 'innerCross', source: 'inner', evaluate: (r, b, out) => p.innerCross(r.z, r.x, r.v, b, out) },
          { name: 'outerGradX', source: 'outer', evaluate: (r, b, out) => p.outerGradX(r.z, r.x, b, out) },
        ],
      };
  }
}
