import type { MonoTypeOperatorFunction } from 'rxjs';
import { Observable } from 'rxjs';
import type { Snapshot } from '../snapshot';
import type { Finding } from './finding';
import type { Monitor, MonitorContext, MonitorSession } from './monitor';
import { MonitorViolationError } from './monitor-violation-error';

/** Options of {@link monitorSnapshots}, with their defaults. */
export interface MonitorSnapshotsOptions {
  /**
   * End the run at the first `violation`: the snapshot that revealed it is still passed on, then the output
   * errors with a {@link MonitorViolationError} and the run is unsubscribed (no further step). Default false.
   */
  readonly strict?: boolean;
  /** Receives every finding, in the order found (for each snapshot: the monitors in the order given). */
  readonly onFinding?: (finding: Finding) => void;
}

const KEYS = ['strict', 'onFinding'];

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * An RxJS operator that passes a run's snapshots through unchanged and shows each one to every monitor, sending
 * what they find to `onFinding`. Per subscription (one run) each monitor's `start(ctx)` is called once.
 *
 * - A run that errors ({@link DivergenceError}, an oracle that threw) is shown to every session's `onError` first
 *   (the finiteness monitor turns a DivergenceError into a violation naming the stream and variable); the original
 *   error then propagates unchanged, in strict mode too.
 * - A monitor that throws does not end the run: it yields one `warning` finding naming it and is disabled.
 * - Monitors run when a snapshot is delivered, outside the timed solver stretches of `run`, so their time is not
 *   solver time (it is wall time).
 *
 * Options are validated when the operator is built: a RangeError names the field.
 *
 * @example run(problem, solver, opts).pipe(monitorSnapshots(monitorContext(problem, solver, opts), DEFAULT_MONITORS, { strict: true, onFinding: (f) => log(f) }))
 */
export function monitorSnapshots(
  ctx: MonitorContext,
  monitors: readonly Monitor[],
  options: MonitorSnapshotsOptions = {},
): MonoTypeOperatorFunction<Snapshot> {
  const fn = 'monitorSnapshots';
  for (const key of Object.keys(options)) {
    if (!KEYS.includes(key)) throw new RangeError(`${fn}: unknown option "${key}"; expected one of ${KEYS.join(', ')}`);
  }
  const strict = options.strict ?? false;
  if (typeof strict !== 'boolean') throw new RangeError(`${fn}: strict must be a boolean, received ${String(strict)}`);
  const onFinding = options.onFinding;
  if (onFinding !== undefined && typeof onFinding !== 'function') {
    throw new RangeError(`${fn}: onFinding must be a function, received ${String(onFinding)}`);
  }
  const names = new Set<string>();
  monitors.forEach((m, i) => {
    if (!m || typeof m.name !== 'string' || typeof m.start !== 'function') {
      throw new RangeError(`${fn}: monitors[${i}] must be a Monitor ({ name, description, start }), received ${String(m)}`);
    }
    if (names.has(m.name)) throw new RangeError(`${fn}: monitors[${i}] repeats the name "${m.name}"; expected distinct names`);
    names.add(m.name);
  });

  return (source) =>
    new Observable<Snapshot>((subscriber) => {
      let violation: Finding | undefined;
      let stopped = false;
      let iteration = 0;
      const emit = (found: readonly Finding[] | void) => {
        if (!found) return;
        for (const f of found) {
          onFinding?.(f);
          if (strict && f.level === 'violation' && violation === undefined) violation = f;
        }
      };
      const sessions: (MonitorSession | undefined)[] = [];
      /** Runs one monitor call; a monitor that throws is reported and disabled. */
      const call = (i: number, body: (s: MonitorSession) => readonly Finding[] | void) => {
        const session = sessions[i];
        if (session === undefined) return;
        try {
          emit(body(session));
        } catch (err) {
          sessions[i] = undefined;
          emit([{ level: 'warning', monitor: monitors[i].name, iteration, message: `the monitor threw and was disabled: ${message(err)}` }]);
        }
      };
      monitors.forEach((m, i) => {
        try {
          sessions[i] = m.start(ctx);
        } catch (err) {
          sessions[i] = undefined;
          emit([{ level: 'warning', monitor: m.name, iteration, message: `the monitor could not start and was disabled: ${message(err)}` }]);
        }
      });
      const fail = () => {
        stopped = true;
        subscriber.error(new MonitorViolationError(violation as Finding));
      };
      if (violation !== undefined) {
        fail();
        return;
      }
      return source.subscribe({
        next(snapshot) {
          if (stopped) return;
          iteration = snapshot.iteration;
          for (let i = 0; i < sessions.length; i++) call(i, (s) => s.onSnapshot(snapshot));
          subscriber.next(snapshot);
          if (violation !== undefined) fail();
        },
        error(err) {
          if (stopped) return;
          stopped = true;
          for (let i = 0; i < sessions.length; i++) call(i, (s) => s.onError?.(err));
          subscriber.error(err);
        },
        complete() {
          if (stopped) return;
          stopped = true;
          subscriber.complete();
        },
      });
    });
}
