// Probe steps for the coupling: each step writes its own version number as the iterate (a length-1 array), so the
// values a step reads name the versions it was given, and every call is appended to a shared event log.
import type { StreamName } from '@bilevel/solvers';
import type { BoundStep } from '@bilevel/streams';

/** One call of a step: which stream, its step index n, and the versions of z, v, x it read. */
export interface StepEvent {
  readonly stream: StreamName;
  readonly n: number;
  readonly z: number;
  readonly v: number;
  readonly x: number;
}

/** Bound steps that log every call in `log` and publish version n + 1 as the value [n + 1]. */
export function probeSteps(log: StepEvent[]): Record<StreamName, BoundStep> {
  const make =
    (stream: StreamName): BoundStep =>
    (r, n, out) => {
      log.push({ stream, n, z: r.z[0], v: r.v[0], x: r.x[0] });
      out[0] = n + 1;
    };
  return { inner: make('inner'), linsys: make('linsys'), outer: make('outer') };
}

/** Length-1 starting iterates holding version 0. */
export function probeInit() {
  return { z: new Float64Array(1), v: new Float64Array(1), x: new Float64Array(1) };
}
