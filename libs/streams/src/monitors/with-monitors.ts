import type { Observable } from 'rxjs';
import { Subject, finalize } from 'rxjs';
import type { Snapshot } from '../snapshot';
import type { Finding } from './finding';
import type { Monitor, MonitorContext } from './monitor';
import { monitorSnapshots } from './monitor-snapshots';

/** A monitored run: its snapshots and what the monitors found. */
export interface MonitoredRun {
  /** The run's snapshots, unchanged; in strict mode it errors with a MonitorViolationError at the first violation. */
  readonly snapshots$: Observable<Snapshot>;
  /** Findings in the order found; completes when the run ends (completes, errors or is unsubscribed). */
  readonly findings$: Observable<Finding>;
}

/**
 * Attaches monitors to a run (see {@link monitorSnapshots}) and exposes their findings as a stream. `findings$` is
 * hot: subscribe to it before subscribing to `snapshots$`. Meant for one run: a second subscription to
 * `snapshots$` runs again, but its findings go nowhere (findings$ completed with the first run).
 *
 * @example
 * const { snapshots$, findings$ } = withMonitors(run(p, s, o), monitorContext(p, s, o), DEFAULT_MONITORS, { strict: true });
 * findings$.subscribe((f) => log.info(f, 'finding'));
 * await lastValueFrom(snapshots$);
 */
export function withMonitors(
  snapshots$: Observable<Snapshot>,
  ctx: MonitorContext,
  monitors: readonly Monitor[],
  options: { readonly strict?: boolean } = {},
): MonitoredRun {
  const findings = new Subject<Finding>();
  const monitored$ = snapshots$.pipe(
    monitorSnapshots(ctx, monitors, { ...options, onFinding: (f) => findings.next(f) }),
    finalize(() => findings.complete()),
  );
  return { snapshots$: monitored$, findings$: findings.asObservable() };
}
