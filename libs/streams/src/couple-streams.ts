import type { Observable } from 'rxjs';
import { Subject, Subscription, filter, map, observeOn, queueScheduler, zip } from 'rxjs';
import { allFinite } from '@bilevel/linalg';
import type { Reads, StreamName } from '@bilevel/solvers';
import type { Schedule, Variable, Version } from './schedule';
import { DivergenceError } from './divergence-error';

/**
 * A stream's update with its state bound: writes the new variable into `out` from the versions it reads; what it
 * returns is published as the new version's `aux`.
 */
export type BoundStep = (reads: Reads, n: number, out: Float64Array) => unknown;

/** Options of {@link coupleStreams}. */
export interface CoupleOptions {
  /**
   * How published versions are stored. `ring` (default): each variable owns 3 buffers used in turn, enough for any
   * synchronous schedule (a version is read within one tick of the next one); allocation-free. `copy`: every
   * version gets its own array, needed when emissions are asynchronous and buffered for longer.
   */
  readonly buffers?: 'ring' | 'copy';
  /** Outer steps completed when the first version of x is published (for resumed runs). Default 0. */
  readonly startIteration?: number;
}

/** The three coupled streams and their latest published versions. */
export interface CoupledStreams {
  /** Versions of z, v, x as they are published (version 0 first, as soon as {@link CoupledStreams.start} runs). */
  readonly z$: Observable<Version>;
  readonly v$: Observable<Version>;
  readonly x$: Observable<Version>;
  /** The latest published version of each variable (plain reads, for snapshots). */
  latest(variable: Variable): Version;
  /** Publishes version 0 of each variable; call once, after subscribing to the streams. */
  start(): void;
  /** Stops the three streams. */
  readonly subscription: Subscription;
}

const STREAMS: readonly StreamName[] = ['inner', 'linsys', 'outer'];
const OWN: Record<StreamName, Variable> = { inner: 'z', linsys: 'v', outer: 'x' };
const RING = 3;

/**
 * Wires the inner, linear-system and outer updates as three RxJS streams coupled through observable state.
 *
 * Each variable is a subject of versions. Stream S is
 *   zip(clock ticks where S steps, z$ ▹ view(S, z), v$ ▹ view(S, v), x$ ▹ view(S, x)) ▹ map(step)
 * feeding its own variable's subject, so the n-th step of S reads exactly the versions the schedule names
 * and runs only when its tick has come and every version it needs has been published. A tick never triggers more
 * than one step per stream, so the synchronous feedback loop cannot recurse.
 *
 * A step that throws ends all three streams with that error; a non-finite iterate ends them with a
 * {@link DivergenceError} carrying the last finite versions.
 */
export function coupleStreams(
  clock$: Observable<number>,
  steps: Readonly<Record<StreamName, BoundStep>>,
  schedule: Schedule,
  init: Readonly<Record<Variable, Float64Array>>,
  options: CoupleOptions = {},
): CoupledStreams {
  const copyMode = (options.buffers ?? 'ring') === 'copy';
  const startIteration = options.startIteration ?? 0;
  const subjects: Record<Variable, Subject<Version>> = { z: new Subject(), v: new Subject(), x: new Subject() };
  const rings = {} as Record<Variable, Float64Array[]>;
  const latest = {} as Record<Variable, Version>;
  for (const w of ['z', 'v', 'x'] as const) {
    rings[w] = Array.from({ length: copyMode ? 1 : RING }, () => new Float64Array(init[w].length));
    rings[w][0].set(init[w]);
    latest[w] = { k: 0, value: rings[w][0] };
  }
  // Errors reach the run through its own subscriptions; these trackers only record the latest versions.
  const ignore = () => undefined;
  // (A separate container: a subscriber closes itself on error and would tear down what was added to it.)
  const subscription = new Subscription();
  subscription.add(subjects.z.subscribe({ next: (ver) => (latest.z = ver), error: ignore }));
  subscription.add(subjects.v.subscribe({ next: (ver) => (latest.v = ver), error: ignore }));
  subscription.add(subjects.x.subscribe({ next: (ver) => (latest.x = ver), error: ignore }));

  for (const s of STREAMS) {
    const w = OWN[s];
    const step = steps[s];
    const gate$ = clock$.pipe(filter((t) => schedule.steps(s, t)));
    const out$ = zip(gate$, subjects.z.pipe(schedule.view(s, 'z')), subjects.v.pipe(schedule.view(s, 'v')), subjects.x.pipe(schedule.view(s, 'x'))).pipe(
      map(([, z, v, x], n): Version => {
        const k = n + 1;
        const out = copyMode ? new Float64Array(init[w].length) : rings[w][k % RING];
        const aux =
          z.aux === undefined && v.aux === undefined && x.aux === undefined
            ? step({ z: z.value, v: v.value, x: x.value }, n, out)
            : step({ z: z.value, v: v.value, x: x.value, aux: { z: z.aux, v: v.aux, x: x.aux } }, n, out);
        if (!allFinite(out)) {
          throw new DivergenceError(s, w, k, {
            iteration: startIteration + latest.x.k,
            z: Float64Array.from(latest.z.value),
            v: Float64Array.from(latest.v.value),
            x: Float64Array.from(latest.x.value),
            versions: { z: latest.z.k, v: latest.v.k, x: latest.x.k },
          });
        }
        return aux === undefined ? { k, value: out } : { k, value: out, aux };
      }),
    );
    subscription.add(out$.pipe(observeOn(queueScheduler)).subscribe(subjects[w]));
  }
  return {
    z$: subjects.z.asObservable(),
    v$: subjects.v.asObservable(),
    x$: subjects.x.asObservable(),
    latest: (variable) => latest[variable],
    start() {
      queueScheduler.schedule(() => {
        subjects.z.next(latest.z);
        subjects.v.next(latest.v);
        subjects.x.next(latest.x);
      });
    },
    subscription,
  };
}
