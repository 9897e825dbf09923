import type { StreamName } from '@bilevel/solvers';
import type { Variable } from '../schedule';

/**
 * How serious a finding is: `info` (a measurement), `counterexample` (a counterexample that a counterexample-guided
 * loop found and used on its way, e.g. an intermediate falsification during certified training: not a failure of the
 * result), `warning` (a guarantee may not hold), `violation` (it does not).
 */
export type FindingLevel = 'info' | 'counterexample' | 'warning' | 'violation';

/**
 * What a monitor reports about a run: a typed record for the trace, the summary and the log. `value` is what was
 * measured and `bound` what it was checked against (a step size and its theorem's bound, a call count and its
 * limit…), so `bound / value` is the margin.
 */
export interface Finding {
  readonly level: FindingLevel;
  /** Name of the monitor that reported it. */
  readonly monitor: string;
  /** Outer steps completed when it was found. */
  readonly iteration: number;
  readonly message: string;
  readonly value?: number;
  readonly bound?: number;
  /** The stream concerned, when there is one. */
  readonly stream?: StreamName;
  /** The variable concerned and the index of the entry, when there is one (finiteness). */
  readonly variable?: Variable;
  readonly index?: number;
  /** The oracle concerned, when there is one (`innerHvp`, `outerGradX`…). */
  readonly oracle?: string;
}
