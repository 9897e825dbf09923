import { InputError } from '@bilevel/io';
import type { Finding, Monitor } from '@bilevel/streams';
import { monitorsByName } from '@bilevel/verify';

/**
 * The monitors every `bilevel run` watches unless told otherwise: finiteness (every iterate and, when one is not
 * finite, the oracle that produced it) and theorem (the steps against the convergence theorem's bounds, at most 2%
 * of solver time). Both are cheap; their findings go to the trace and the summary, and an unusual end of the run
 * to one warning line ({@link endOfRunWarning}). `--no-monitor` turns them off, `--monitor LIST` names others.
 */
export const DEFAULT_RUN_MONITORS = 'finiteness,theorem';

/** The value of `--monitor` that turns every monitor off (what `--no-monitor` gives). */
export const NO_MONITORS = 'none';

/**
 * A run's relative suboptimality (h − h*)/|h*| above which it is said to have ended far from h*: 1%, far above the
 * precision of an evaluation (1e-9) and below what a run whose steps are too large or too few ends at (SOBA's
 * defaults: 1.07 on the default task).
 */
export const FAR_FROM_H_STAR = 0.01;

/** The monitors of a run, and the names of those on by default only (see {@link runMonitors}). */
export interface RunMonitors {
  readonly monitors: Monitor[];
  /**
   * Monitors the user did not name: their findings go to the summary (and the end-of-run warning), not to the trace,
   * whose lines stay evaluations only, and to the log at debug level (SABA's default ρ = 0.1 breaks SAGA's bound on
   * the default task, yet the run converges: that is no news for every `npm start`).
   */
  readonly quiet: ReadonlySet<string>;
}

/**
 * The monitors of `--monitor LIST` (`none`: none), or {@link DEFAULT_RUN_MONITORS} when it was not given (a deep
 * equilibrium model has no default monitors: its forward-solve monitor is added by the run); an unknown name is an
 * InputError on `--monitor`.
 */
export function runMonitors(list: string | undefined, problem?: string): RunMonitors {
  if (list === NO_MONITORS || (list === undefined && problem === 'deq')) return { monitors: [], quiet: new Set() };
  let monitors: Monitor[];
  try {
    monitors = monitorsByName(list ?? DEFAULT_RUN_MONITORS);
  } catch (err) {
    throw new InputError((err as Error).message.replace(/^monitorsByName: /, ''), '--monitor');
  }
  return { monitors, quiet: new Set(list === undefined ? monitors.map((m) => m.name) : []) };
}

/** How a run ended, as much as {@link endOfRunWarning} needs. */
export interface RunEnd {
  /** Whether the monitors were on (not `--no-monitor`): off, there is no line. */
  readonly monitored: boolean;
  readonly status: string;
  /** (h − h*)/|h*| at the end, when h* was computed. */
  readonly relativeSuboptimality?: number;
  /** h at the first and at the last evaluation. */
  readonly firstValue?: number;
  readonly lastValue?: number;
  readonly findings: readonly Finding[];
}

/**
 * One line saying that a run that "finished" did not do what was asked, or undefined when nothing is unusual: it
 * ended far from h* (relative suboptimality above {@link FAR_FROM_H_STAR}), or without h* with h above where it
 * started, or a monitor found a non-finite value. The first violation the monitors found (a checked fact that failed,
 * e.g. a step above 2/L), else the first warning (e.g. a step above the theorem's sufficient bound), is named as the
 * likely cause. A diverged or interrupted run says so itself and gets no line.
 *
 * @example
 * endOfRunWarning({ monitored: true, status: 'finished', relativeSuboptimality: 1.07, findings: [] });
 * // 'warning: the run ended far from h*: relative suboptimality 1.07 (more iterations or other steps may help; --no-monitor silences this line)'
 */
export function endOfRunWarning(end: RunEnd): string | undefined {
  if (!end.monitored || end.status !== 'finished') return undefined;
  const rel = end.relativeSuboptimality;
  const nonFinite = end.findings.find((f) => f.monitor === 'finiteness' && f.level === 'violation');
  let what: string | undefined;
  if (nonFinite) what = `a value stopped being finite (${nonFinite.message})`;
  else if (rel !== undefined && !(Math.abs(rel) <= FAR_FROM_H_STAR)) what = `the run ended far from h*: relative suboptimality ${Number.isFinite(rel) ? rel.toPrecision(3) : String(rel)}`;
  else if (rel === undefined && end.firstValue !== undefined && end.lastValue !== undefined && !(end.lastValue <= end.firstValue)) {
    what = `h ended above where it started (${end.firstValue.toPrecision(6)} → ${end.lastValue.toPrecision(6)})`;
  }
  if (what === undefined) return undefined;
  // a violation (a checked fact that failed) first, else a warning (e.g. a step above the theorem's sufficient bound)
  const cause = end.findings.find((f) => f.level === 'violation' && f !== nonFinite) ?? end.findings.find((f) => f.level === 'warning');
  return `warning: ${what}${cause ? `; the ${cause.monitor} monitor found: ${cause.message}` : ''} (more iterations or other steps may help; --no-monitor silences this line)`;
}
