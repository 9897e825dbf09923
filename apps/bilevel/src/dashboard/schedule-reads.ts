import type { StreamName } from '@bilevel/solvers';
import type { Schedule } from '@bilevel/streams';

/** What the latest step of a stream read: its step count and the version of z, v and x it read. */
export interface StreamReads {
  /** Steps the stream has taken. */
  readonly steps: number;
  /** Versions of z, v, x its latest step read (null before its first step). */
  readonly z: number | null;
  readonly v: number | null;
  readonly x: number | null;
  /** Version of its own variable now (= steps). */
  readonly own: number;
}

const STREAMS: readonly StreamName[] = ['inner', 'linsys', 'outer'];

/**
 * The versions each stream's latest step read after `tick` clock ticks of a schedule (its `steps` and `reads`):
 * the dashboard's view of the coupling (Jacobi: every step reads iterate t of all three; Gauss-Seidel: v and x
 * read the z of the same tick; multi-rate(k): z and v read x_s during k steps, x reads z and v after them).
 *
 * @example
 * scheduleReads(multiRate({ k: 3 }), 7).outer; // { steps: 2, z: 6, v: 6, x: 1, own: 2 }
 */
export function scheduleReads(schedule: Schedule, tick: number): Record<StreamName, StreamReads> {
  const out = {} as Record<StreamName, StreamReads>;
  const period = schedule.period;
  const full = Math.floor(tick / period);
  for (const s of STREAMS) {
    let perPeriod = 0;
    let partial = 0;
    for (let t = 0; t < period; t++) {
      if (!schedule.steps(s, t)) continue;
      perPeriod++;
      if (t < tick - full * period) partial++;
    }
    const steps = full * perPeriod + partial;
    const n = steps - 1;
    const read = (w: 'z' | 'v' | 'x') => (n >= 0 ? schedule.reads(s, w, n) : null);
    out[s] = { steps, z: read('z'), v: read('v'), x: read('x'), own: steps };
  }
  return out;
}
