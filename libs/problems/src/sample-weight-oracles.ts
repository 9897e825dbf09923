import type { BilevelProblem } from './bilevel-problem';

/**
 * Optional structure of a problem whose outer variable holds **one weight per inner sample** (`dimX = nInner`,
 * x_i enters only g_i), such as data hyper-cleaning. Then the cross product of a batch B,
 * `∇²_xz g_B(z, x)·v`, is zero outside the coordinates B: a batch touches only its own weights.
 *
 * A solver that finds these members may keep n numbers where it would keep a dense table (SABA: the SAGA memory of
 * the cross term stores each block's own entries, n values, instead of one dense row of length n per block, and it
 * skips the memory of ∇_x F when `outerIndependentOfX`). The dense oracles of {@link BilevelProblem} stay the
 * reference: `innerCross` must equal `innerCrossOnBatch` scattered into zeros.
 */
export interface SampleWeightOracles {
  /**
   * out[k] ← (∇²_xz g_B(z, x)·v)[batch[k]] for k < |B|: the only entries of the cross product that can be non-zero.
   * The batch indices are distinct.
   */
  innerCrossOnBatch(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void;
  /** True when ∇_x f_i ≡ 0 for every outer sample (the outer loss does not depend on x). */
  readonly outerIndependentOfX: boolean;
}

/**
 * The problem with its {@link SampleWeightOracles} when it has them and its shape fits (`dimX = nInner`), else
 * undefined. Works through wrappers that inherit the problem's members (such as the oracle counter).
 */
export function sampleWeightOracles(problem: BilevelProblem): (BilevelProblem & SampleWeightOracles) | undefined {
  const p = problem as BilevelProblem & Partial<SampleWeightOracles>;
  if (typeof p.innerCrossOnBatch !== 'function' || typeof p.outerIndependentOfX !== 'boolean') return undefined;
  if (p.dimX !== p.nInner) return undefined;
  return p as BilevelProblem & SampleWeightOracles;
}
