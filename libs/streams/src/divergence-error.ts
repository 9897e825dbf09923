import type { StreamName } from '@bilevel/solvers';
import type { Variable } from './schedule';

/** The latest finite version of each variable when a run diverged. */
export interface LastFiniteState {
  /** Outer steps completed. */
  readonly iteration: number;
  readonly z: Float64Array;
  readonly v: Float64Array;
  readonly x: Float64Array;
  /** Version index of each array above. */
  readonly versions: Readonly<Record<Variable, number>>;
}

/**
 * A stream produced a non-finite iterate (NaN or ±Infinity). The run stops at the first one; the error names the
 * stream and the version, and carries the last finite state of all three variables.
 */
export class DivergenceError extends Error {
  override readonly name = 'DivergenceError';
  constructor(
    readonly stream: StreamName,
    readonly variable: Variable,
    /** Version index of the non-finite iterate. */
    readonly version: number,
    readonly lastFinite: LastFiniteState,
  ) {
    super(
      `${stream} stream produced a non-finite ${variable} at version ${version} (after ${lastFinite.iteration} outer steps); ` +
        'the step sizes are probably too large for this problem',
    );
  }
}
