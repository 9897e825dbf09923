import type { MonoTypeOperatorFunction, Observable } from 'rxjs';
import { concatMap, filter, from, identity, skip } from 'rxjs';
import type { StreamName } from '@bilevel/solvers';

/** A variable of the coupled system. */
export type Variable = 'z' | 'v' | 'x';

/** A published version of a variable: version k is the value after k updates (version 0 is the start). */
export interface Version {
  readonly k: number;
  readonly value: Float64Array;
  /** What the producing step returned, published with the value (see StreamPart.step). */
  readonly aux?: unknown;
}

/**
 * Which stream steps at which clock tick, and which version of each variable a step reads.
 *
 * Two equivalent descriptions are kept side by side and tested against each other:
 * - `reads(stream, variable, n)`: the version index read by the stream's n-th step (n = 0, 1, …), used by the plain
 *   loop driver;
 * - `view(stream, variable)`: an RxJS operator that turns the variable's stream of versions (0, 1, 2, …) into the
 *   sequence the stream consumes, one element per step, used by the stream wiring (zip pairs the n-th elements).
 * A tick runs the stepping streams in the order inner, linsys, outer; a step may read a version produced earlier in
 * the same tick (gauss-seidel), never a later one.
 */
export interface Schedule {
  readonly name: string;
  /** Clock ticks per outer step. */
  readonly period: number;
  /** Whether `stream` steps at tick t. */
  steps(stream: StreamName, tick: number): boolean;
  /** Version of `variable` read by the n-th step of `stream`. */
  reads(stream: StreamName, variable: Variable, n: number): number;
  /** The same as an operator on the variable's versions. */
  view(stream: StreamName, variable: Variable): MonoTypeOperatorFunction<Version>;
}

const own: Record<StreamName, Variable> = { inner: 'z', linsys: 'v', outer: 'x' };

/** Jacobi: every stream steps each tick and reads iterate t of all three (SOBA, SABA). */
export function jacobi(): Schedule {
  return {
    name: 'jacobi',
    period: 1,
    steps: () => true,
    reads: (_s, _w, n) => n,
    view: () => identity,
  };
}

/**
 * Gauss-Seidel: z steps first; v reads the new z; x reads the new z and the new v.
 * z_{t+1} = Z(z_t, v_t, x_t), v_{t+1} = V(z_{t+1}, v_t, x_t), x_{t+1} = X(z_{t+1}, v_{t+1}, x_t).
 */
export function gaussSeidel(): Schedule {
  const ahead = (s: StreamName, w: Variable) => (s === 'linsys' && w === 'z') || (s === 'outer' && (w === 'z' || w === 'v'));
  return {
    name: 'gauss-seidel',
    period: 1,
    steps: () => true,
    reads: (s, w, n) => (ahead(s, w) ? n + 1 : n),
    view: (s, w) => (ahead(s, w) ? skip(1) : identity),
  };
}

/** Options of {@link multiRate}. */
export interface MultiRateOptions {
  /** Inner and linear-system steps per outer step (k ≥ 1). */
  readonly k: number;
  /** How z and v read each other during the k steps: `jacobi` (default) or `gauss-seidel` (v reads the new z). */
  readonly inner?: 'jacobi' | 'gauss-seidel';
}

/**
 * Multi-rate: k steps of z and v per step of x (two-timescale or warm-started loops, as AmIGO). During outer step s,
 * z and v read x_s; x_{s+1} = X(z_{(s+1)k}, v_{(s+1)k}, x_s) reads the results of the k steps.
 */
export function multiRate(options: MultiRateOptions): Schedule {
  const { k } = options;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`multiRate: k must be a positive integer, received ${String(k)}`);
  const innerGs = (options.inner ?? 'jacobi') === 'gauss-seidel';
  if (!['jacobi', 'gauss-seidel'].includes(options.inner ?? 'jacobi')) {
    throw new RangeError(`multiRate: inner must be "jacobi" or "gauss-seidel", received "${String(options.inner)}"`);
  }
  const repeatEach: MonoTypeOperatorFunction<Version> = (src: Observable<Version>) =>
    src.pipe(concatMap((ver) => from(Array.from({ length: k }, () => ver))));
  const everyK: MonoTypeOperatorFunction<Version> = (src) =>
    src.pipe(
      filter((ver) => ver.k % k === 0),
      skip(1),
    );
  return {
    name: innerGs ? `multi-rate(${k}, gauss-seidel)` : `multi-rate(${k})`,
    period: k,
    steps: (s, t) => s !== 'outer' || t % k === k - 1,
    reads(s, w, n) {
      if (w === own[s]) return n;
      if (s === 'outer') return (n + 1) * k; // z and v after the k steps of this outer step
      if (w === 'x') return Math.floor(n / k);
      if (s === 'linsys' && w === 'z' && innerGs) return n + 1;
      return n;
    },
    view(s, w) {
      if (w === own[s]) return identity;
      if (s === 'outer') return everyK;
      if (w === 'x') return repeatEach;
      if (s === 'linsys' && w === 'z' && innerGs) return skip(1);
      return identity;
    },
  };
}

/** A schedule by name: `jacobi`, `gauss-seidel`, or `multi-rate:K` (optionally `multi-rate:K:gauss-seidel`). */
export function parseSchedule(spec: string): Schedule {
  if (spec === 'jacobi') return jacobi();
  if (spec === 'gauss-seidel') return gaussSeidel();
  const m = /^multi-rate:(\d+)(?::(jacobi|gauss-seidel))?$/.exec(spec);
  if (m) return multiRate({ k: Number(m[1]), inner: (m[2] as 'jacobi' | 'gauss-seidel' | undefined) ?? 'jacobi' });
  throw new RangeError(`parseSchedule: unknown schedule "${spec}"; expected jacobi, gauss-seidel or multi-rate:K[:gauss-seidel]`);
}
