import type { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { PartDescription } from './part-description';

/** The three coupled updates of the single-loop framework: z (inner), v (linear system), x (outer). */
export type StreamName = 'inner' | 'linsys' | 'outer';

/** The variable each stream owns. */
export const STREAM_VARIABLE = { inner: 'z', linsys: 'v', outer: 'x' } as const;

/** The versions of z, v and x that one step reads, as chosen by the schedule. Read-only for the step. */
export interface Reads {
  readonly z: Float64Array;
  readonly v: Float64Array;
  readonly x: Float64Array;
  /**
   * What the streams published alongside those versions (see {@link StreamPart.step}), e.g. the curvature pairs an
   * inner quasi-Newton stream hands to the linear-system stream. Undefined when nothing was published.
   */
  readonly aux?: Readonly<{ z?: unknown; v?: unknown; x?: unknown }>;
}

/**
 * One stream's update rule: an explicit `init` and `step` over a typed state that holds everything the update
 * needs (its samplers and their RNG, memories, scratch buffers); no hidden globals, no clock.
 *
 * `step(state, reads, t, out)` writes the stream's new variable into `out` (a buffer the wiring owns, distinct
 * from the arrays in `reads`); `t` is this stream's own step count, starting at 0. A step may update the buffers
 * of its own state in place. What it returns (if not undefined) is published with the new version as its `aux`
 * and reaches the readers of that version in `reads.aux`; it must not be mutated afterwards.
 * `diagnostics(state)`, when present, is reported in every snapshot (step sizes, privacy spent, tolerances…).
 * `description`, when present, says what the part really does (estimator, batch size, step, linear solver): the
 * runtime monitors and the property kit read it (a part without one is "not checked" by them).
 */
export interface StreamPart<S = unknown> {
  readonly stream: StreamName;
  readonly description?: PartDescription;
  init(problem: BilevelProblem, rng: Rng): S;
  step(state: S, reads: Reads, t: number, out: Float64Array): unknown;
  diagnostics?(state: S): Readonly<Record<string, number>>;
}

/**
 * A bilevel solver: an inner part, a linear-system part and an outer part, plus the schedule its paper assumes.
 * Compose, don't subclass: any part can be replaced by another with the same `stream`.
 */
export interface Solver {
  readonly name: string;
  /** Authors, title, venue and year of the method's paper. */
  readonly citation: string;
  /** Schedule of the paper: `jacobi` for SOBA/SABA (all three read iterate t), `gauss-seidel` for loop methods. */
  readonly schedule: string;
  /**
   * True when a part reads what another part published at the same point (e.g. MRBO's x step follows the direction
   * its v step computed at the same x), so the solver is only correct under `schedule`: the CLI refuses another
   * `--schedule`, and such a step throws when it reads a version from another point. Default false.
   */
  readonly fixedSchedule?: boolean;
  readonly inner: StreamPart;
  readonly linsys: StreamPart;
  readonly outer: StreamPart;
  /** The options in effect (defaults filled in), for summaries. */
  readonly options: Readonly<Record<string, number | string | boolean>>;
}
