// Clocks that tick each stream separately. coupleStreams subscribes to its clock once per stream (the gate of
// inner, linsys, outer, in that order); a cold clock can therefore give every stream its own tick sequence 0, 1, 2, …
// delivered at times chosen by the test, which is how asynchrony is injected at the level the library exposes.
import type { Scheduler } from 'fast-check';
import { Observable, Subject } from 'rxjs';
import type { StreamName } from '@bilevel/solvers';

const ORDER: readonly StreamName[] = ['inner', 'linsys', 'outer'];

/** Stream of the i-th subscriber of a split clock (coupleStreams subscribes inner, linsys, outer in turn). */
function streamOf(fn: string, i: number): StreamName {
  const s = ORDER[i];
  if (s === undefined) throw new RangeError(`${fn}: subscriber ${i} of the clock, expected exactly 3 (inner, linsys, outer)`);
  return s;
}

/**
 * A clock whose subscriber for each stream receives `ticks[stream]` ticks, each delivered when the fast-check
 * scheduler `s` resolves it; `done` resolves when all three sequences have been delivered, and `delivered()` counts
 * the ticks delivered so far. Ticks of one stream stay in order; ticks of different streams interleave as the
 * scheduler decides. The clock does not complete (as run's).
 */
export function scheduledClock(s: Scheduler, ticks: Readonly<Record<StreamName, number>>) {
  let subscribers = 0;
  let delivered = 0;
  const finished: Promise<void>[] = [];
  let release: () => void = () => undefined;
  const allSubscribed = new Promise<void>((resolve) => (release = resolve));
  const clock$ = new Observable<number>((sub) => {
    const stream = streamOf('scheduledClock', subscribers++);
    let live = true;
    finished.push(
      (async () => {
        for (let t = 0; t < ticks[stream] && live; t++) {
          await s.schedule(Promise.resolve(t), `${stream} tick ${t}`);
          if (live) {
            delivered++;
            sub.next(t);
          }
        }
      })(),
    );
    if (subscribers === ORDER.length) release();
    return () => {
      live = false;
    };
  });
  const done = allSubscribed.then(() => Promise.all(finished)).then(() => undefined);
  return { clock$, done, delivered: () => delivered };
}

/** A clock whose subscriber for each stream is a subject the test pushes ticks into by hand. */
export function manualClock() {
  const subjects: Subject<number>[] = [];
  const next: Record<StreamName, number> = { inner: 0, linsys: 0, outer: 0 };
  let delivered = 0;
  const clock$ = new Observable<number>((sub) => {
    streamOf('manualClock', subjects.length);
    const subject = new Subject<number>();
    subjects.push(subject);
    return subject.subscribe(sub);
  });
  return {
    clock$,
    /** Delivers the next tick to `stream` (its ticks are numbered 0, 1, 2, … per stream). */
    tick(stream: StreamName) {
      const subject = subjects[ORDER.indexOf(stream)];
      if (subject === undefined) throw new Error(`manualClock.tick: ${stream} has not subscribed yet`);
      delivered++;
      subject.next(next[stream]++);
    },
    /** Ticks delivered so far, all streams together. */
    delivered: () => delivered,
  };
}
