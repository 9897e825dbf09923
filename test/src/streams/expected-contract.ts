// The schedules' contract written down a second time, independently of libs/streams/src/schedule.ts, from its doc
// comments: which version of each variable the n-th step of a stream reads, and how many steps a stream takes after
// it has received d clock ticks. The interleaving tests check the coupled streams against this, so a change in
// schedule.ts that breaks the documented contract is caught here too.
import type { StreamName } from '@bilevel/solvers';
import type { Variable } from '@bilevel/streams';

/** A schedule name as `parseSchedule` accepts it, decoded. */
export interface ScheduleContract {
  readonly spec: string;
  /** Clock ticks per outer step (k for multi-rate, 1 otherwise). */
  readonly period: number;
  /** Version of `variable` read by the n-th step of `stream`. */
  read(stream: StreamName, variable: Variable, n: number): number;
  /** Steps `stream` takes once it has received `ticks` clock ticks (0, 1, …, ticks − 1) and every version it needs. */
  stepsAfter(stream: StreamName, ticks: number): number;
}

export const OWN: Readonly<Record<StreamName, Variable>> = { inner: 'z', linsys: 'v', outer: 'x' };

/**
 * jacobi:        z_{t+1} = Z(z_t, v_t, x_t), v_{t+1} = V(z_t, v_t, x_t), x_{t+1} = X(z_t, v_t, x_t);
 * gauss-seidel:  z_{t+1} = Z(z_t, v_t, x_t), v_{t+1} = V(z_{t+1}, v_t, x_t), x_{t+1} = X(z_{t+1}, v_{t+1}, x_t);
 * multi-rate:K:  z and v step K times on x_s (n-th step reads x_{⌊n/K⌋}), x_{s+1} = X(z_{(s+1)K}, v_{(s+1)K}, x_s),
 *                x steps on the last tick of each cycle of K; `:gauss-seidel` makes v's n-th step read z_{n+1}.
 */
export function expectedContract(spec: string): ScheduleContract {
  if (spec === 'jacobi') {
    return { spec, period: 1, read: (_s, _w, n) => n, stepsAfter: (_s, d) => d };
  }
  if (spec === 'gauss-seidel') {
    const ahead = (s: StreamName, w: Variable) => (s === 'linsys' && w === 'z') || (s === 'outer' && w !== 'x');
    return { spec, period: 1, read: (s, w, n) => (ahead(s, w) ? n + 1 : n), stepsAfter: (_s, d) => d };
  }
  const m = /^multi-rate:(\d+)(:gauss-seidel)?$/.exec(spec);
  if (!m) throw new RangeError(`expectedContract: spec is "${spec}", expected jacobi, gauss-seidel or multi-rate:K[:gauss-seidel]`);
  const k = Number(m[1]);
  const innerGs = m[2] !== undefined;
  return {
    spec,
    period: k,
    read(s, w, n) {
      if (w === OWN[s]) return n;
      if (s === 'outer') return (n + 1) * k;
      if (w === 'x') return Math.floor(n / k);
      return innerGs && s === 'linsys' && w === 'z' ? n + 1 : n;
    },
    stepsAfter: (s, d) => (s === 'outer' ? Math.floor(d / k) : d),
  };
}
