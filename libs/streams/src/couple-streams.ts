import { Observable, Subscription } from 'rxjs';
import { Multicast } from './multicast';
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
   * How published versions are stored. `ring` (default): each variable owns 3 buffers and 3 version records used
   * in turn, enough for any synchronous schedule (a version is read within one tick of the next one); a step
   * allocates nothing, and a subscriber that keeps a version past two newer ones must copy it. `copy`: every
   * version gets its own array, needed when emissions are asynchronous and buffered for longer.
   */
  readonly buffers?: 'ring' | 'copy';
  /** Outer steps completed when the first version of x is published (for resumed runs). Default 0. */
  readonly startIteration?: number;
  /**
   * Start from these versions instead of version 0 of `init` (a resumed run): each variable's latest version (its
   * number k, value and aux) and the steps each stream has taken, so step counts and version numbers continue.
   */
  readonly start?: {
    readonly versions: Readonly<Record<Variable, Version>>;
    readonly steps: Readonly<Record<StreamName, number>>;
  };
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
 * Delivery of new versions to the variables' subjects, trampolined: a version published while another is being
 * delivered waits until that delivery is over, so every subscriber sees the versions of a variable in order (a
 * step triggered synchronously by a delivery would otherwise publish k + 1 to the remaining subscribers before
 * k). The role `observeOn(queueScheduler)` played, without allocating a scheduled action per version: the queue is
 * three parallel arrays reused for the whole run.
 */
class Trampoline {
  private readonly targets: Multicast<Version>[] = [];
  private readonly values: (Version | undefined)[] = [];
  /** 0 next, 1 error, 2 complete. */
  private readonly kinds: number[] = [];
  private readonly errors: unknown[] = [];
  /** Entries queued; the arrays keep their length (truncating them costs more than it saves). */
  private count = 0;
  private draining = false;

  constructor(private readonly onNext: (target: Multicast<Version>, value: Version) => void) {}

  next(target: Multicast<Version>, value: Version): void {
    this.push(target, 0, value, undefined);
  }
  error(target: Multicast<Version>, err: unknown): void {
    this.push(target, 1, undefined, err);
  }
  complete(target: Multicast<Version>): void {
    this.push(target, 2, undefined, undefined);
  }

  /** Runs `fn` with deliveries held, then delivers what it queued (as one trampolined action). */
  batch(fn: () => void): void {
    if (this.draining) {
      fn();
      return;
    }
    this.draining = true;
    try {
      fn();
    } catch (err) {
      this.draining = false;
      throw err;
    }
    this.drain();
  }

  private push(target: Multicast<Version>, kind: number, value: Version | undefined, err: unknown): void {
    const i = this.count++;
    this.targets[i] = target;
    this.kinds[i] = kind;
    this.values[i] = value;
    this.errors[i] = err;
    if (this.draining) return;
    this.draining = true;
    this.drain();
  }

  private drain(): void {
    try {
      for (let i = 0; i < this.count; i++) {
        const t = this.targets[i];
        const kindI = this.kinds[i];
        if (kindI === 0) this.onNext(t, this.values[i] as Version);
        else if (kindI === 1) t.error(this.errors[i]);
        else t.complete();
      }
    } finally {
      this.count = 0;
      this.draining = false;
    }
  }
}

/**
 * One stream's inputs paired in order, as `zip(clock$.pipe(filter(gate)), z$, v$, x$)` pairs them: the n-th step
 * runs once the n-th tick where `gate` holds and the n-th emission of each of its three views have all arrived; ends when an input that
 * ended has nothing left to pair (zip's rule) or with the first error (of an input or of the step itself).
 * Written out instead of `zip` + `map` to save the tuple allocated per step; non-reentrant, so a version
 * delivered during a step is paired after it.
 */
function pairSteps(
  clock$: Observable<number>,
  gate: (tick: number) => boolean,
  z$: Observable<Version>,
  v$: Observable<Version>,
  x$: Observable<Version>,
  step: (z: Version, v: Version, x: Version, n: number) => Version,
  firstStep = 0,
): Observable<Version> {
  return new Observable<Version>((subscriber) => {
    const qz: Version[] = [];
    const qv: Version[] = [];
    const qx: Version[] = [];
    let gates = 0;
    let n = firstStep;
    let ended = false;
    let busy = false;
    const done = [false, false, false, false];
    const drain = () => {
      if (busy || ended) return;
      busy = true;
      try {
        while (gates > 0 && qz.length > 0 && qv.length > 0 && qx.length > 0) {
          gates--;
          const version = step(qz.shift() as Version, qv.shift() as Version, qx.shift() as Version, n++);
          subscriber.next(version);
          if (ended) return;
        }
        if ((done[0] && gates === 0) || (done[1] && qz.length === 0) || (done[2] && qv.length === 0) || (done[3] && qx.length === 0)) {
          ended = true;
          subscriber.complete();
        }
      } catch (err) {
        ended = true;
        subscriber.error(err);
      } finally {
        busy = false;
      }
    };
    const fail = (err: unknown) => {
      if (ended) return;
      ended = true;
      subscriber.error(err);
    };
    const inputs = new Subscription();
    inputs.add(
      clock$.subscribe({
        next: (t) => {
          if (!gate(t)) return;
          gates++;
          drain();
        },
        error: fail,
        complete: () => ((done[0] = true), drain()),
      }),
    );
    inputs.add(z$.subscribe({ next: (ver) => (qz.push(ver), drain()), error: fail, complete: () => ((done[1] = true), drain()) }));
    inputs.add(v$.subscribe({ next: (ver) => (qv.push(ver), drain()), error: fail, complete: () => ((done[2] = true), drain()) }));
    inputs.add(x$.subscribe({ next: (ver) => (qx.push(ver), drain()), error: fail, complete: () => ((done[3] = true), drain()) }));
    return inputs;
  });
}

/**
 * Wires the inner, linear-system and outer updates as three RxJS streams coupled through observable state.
 *
 * Each variable is a subject of versions. Stream S pairs, in order, the clock ticks where S steps with the
 * versions of z, v and x it reads (each variable's stream through the schedule's view for S: `zip` semantics) and
 * maps them through S's step into its own variable's subject, so the n-th step of S reads exactly the versions
 * the schedule names and runs only when its tick has come and every version it needs has been published. A tick
 * never triggers more than one step per stream, and publication is trampolined (see `Trampoline`), so the
 * synchronous feedback loop cannot recurse and every subscriber sees each variable's versions in order.
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
  const subjects: Record<Variable, Multicast<Version>> = { z: new Multicast(), v: new Multicast(), x: new Multicast() };
  const rings = {} as Record<Variable, Float64Array[]>;
  const latest = {} as Record<Variable, Version>;
  const start = options.start;
  for (const w of ['z', 'v', 'x'] as const) {
    rings[w] = Array.from({ length: copyMode ? 1 : RING }, () => new Float64Array(init[w].length));
    if (start) {
      const ver = start.versions[w];
      if (ver.value.length !== init[w].length) throw new RangeError(`coupleStreams: the start version of ${w} has ${ver.value.length} entries, expected ${init[w].length}`);
      const buf = rings[w][copyMode ? 0 : ver.k % RING];
      buf.set(ver.value);
      latest[w] = ver.aux === undefined ? { k: ver.k, value: buf } : { k: ver.k, value: buf, aux: ver.aux };
    } else {
      rings[w][0].set(init[w]);
      latest[w] = { k: 0, value: rings[w][0] };
    }
  }
  // the latest version of each variable is recorded as it is delivered, before its subscribers see it
  const trampoline = new Trampoline((target, ver) => {
    if (target === subjects.z) latest.z = ver;
    else if (target === subjects.v) latest.v = ver;
    else latest.x = ver;
    target.next(ver);
  });
  const subscription = new Subscription();

  for (const s of STREAMS) {
    const w = OWN[s];
    const stepFn = steps[s];
    // ring mode reuses one reads object per stream and a ring of version records per variable (both hold
    // buffers that are reused anyway), so a step allocates nothing; copy mode gives every version its own record
    const reads = { z: init.z, v: init.v, x: init.x };
    const records: { k: number; value: Float64Array }[] = Array.from({ length: RING }, () => ({ k: 0, value: init[w] }));
    const out$ = pairSteps(
      clock$,
      (t) => schedule.steps(s, t),
      subjects.z.pipe(schedule.view(s, 'z')),
      subjects.v.pipe(schedule.view(s, 'v')),
      subjects.x.pipe(schedule.view(s, 'x')),
      (z, v, x, n): Version => {
        const k = n + 1;
        const out = copyMode ? new Float64Array(init[w].length) : rings[w][k % RING];
        let aux: unknown;
        if (z.aux === undefined && v.aux === undefined && x.aux === undefined) {
          reads.z = z.value;
          reads.v = v.value;
          reads.x = x.value;
          aux = stepFn(reads, n, out);
        } else aux = stepFn({ z: z.value, v: v.value, x: x.value, aux: { z: z.aux, v: v.aux, x: x.aux } }, n, out);
        if (!allFinite(out)) {
          throw new DivergenceError(s, w, k, {
            iteration: startIteration + latest.x.k,
            z: Float64Array.from(latest.z.value),
            v: Float64Array.from(latest.v.value),
            x: Float64Array.from(latest.x.value),
            versions: { z: latest.z.k, v: latest.v.k, x: latest.x.k },
          });
        }
        if (aux !== undefined || copyMode) return aux === undefined ? { k, value: out } : { k, value: out, aux };
        const record = records[k % RING];
        record.k = k;
        record.value = out;
        return record;
      },
      start?.steps[s] ?? 0,
    );
    const target = subjects[w];
    subscription.add(
      out$.subscribe({
        next: (ver) => trampoline.next(target, ver),
        error: (err) => trampoline.error(target, err),
        complete: () => trampoline.complete(target),
      }),
    );
  }
  return {
    z$: subjects.z.asObservable(),
    v$: subjects.v.asObservable(),
    x$: subjects.x.asObservable(),
    latest: (variable) => latest[variable],
    start() {
      // the three versions 0 are delivered as one action, so no step runs before all three are out
      trampoline.batch(() => {
        trampoline.next(subjects.z, latest.z);
        trampoline.next(subjects.v, latest.v);
        trampoline.next(subjects.x, latest.x);
      });
    },
    subscription,
  };
}
