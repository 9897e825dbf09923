import type { Reads } from '../solver';
import type { StepSize } from '../part-description';

/** What a step rule sees for one step of its stream. */
export interface StepContext {
  /** The stream's variable: `z`, `v` or `x`. */
  readonly variable: 'z' | 'v' | 'x';
  /** The point of this step (the versions the schedule chose). */
  readonly reads: Reads;
  /** The current value of the stream's own variable (= reads[variable]). */
  readonly own: Float64Array;
  /** This stream's step index t = 0, 1, … */
  readonly t: number;
  /** The estimator's direction at `reads` for this step. */
  readonly d: Float64Array;
  /** A fresh estimate (new batches) at the point `reads` with the own variable replaced by `value`. */
  estimateAt(value: Float64Array, out: Float64Array): void;
  /** This step's estimate re-evaluated (same batches) with the own variable replaced by `value`. */
  probeAt(value: Float64Array, out: Float64Array): void;
}

/**
 * How a stream moves along its direction: an explicit init/apply pair over its own state. `apply` writes the new
 * value of the stream's variable into `out` (distinct from every array in the context).
 */
export interface StepRule<S = unknown> {
  readonly name: string;
  /** The step it applies, machine-readable (see {@link StepSize}); absent: unknown to the monitors and the kit. */
  readonly stepSize?: StepSize;
  init(dim: number): S;
  apply(state: S, context: StepContext, out: Float64Array): void;
  diagnostics?(state: S): Readonly<Record<string, number>>;
}
