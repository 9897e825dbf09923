import { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { OracleCounts, Solver, StreamName } from '@bilevel/solvers';
import { countingProblem, emptyCounts } from '@bilevel/solvers';

/**
 * How a worker thread rebuilds the run's problem and solver: `module` (a file URL or a package specifier) exports a
 * function `name` that, given `args` (structured-cloneable), returns the same problem and solver as the caller's (or
 * a promise of them). The worker's steps are bit-identical to the caller's only if the rebuilt ones are the same.
 */
export interface ThreadSource {
  readonly module: string;
  readonly name: string;
  readonly args?: unknown;
}

/** What a {@link ThreadSource} function returns. */
export interface Rebuilt {
  readonly problem: BilevelProblem;
  readonly solver: Solver;
}

/** Slots of the control array (an Int32Array over a SharedArrayBuffer). */
export const CTL = { gen: 0, op: 1, done: 2, error: 3, tick: 4, length: 5 } as const;
/** Operations the main thread posts through `CTL.op`. */
export const OP = { step: 1, report: 2, exit: 3 } as const;
/** Bytes of each worker's report area (diagnostics as JSON, or an error message). */
export const REPORT_BYTES = 1 << 16;
/** The oracle counters, in the order they are stored in shared memory. */
export const COUNT_KEYS = Object.keys(emptyCounts()) as (keyof OracleCounts)[];
/** The variable each stream owns. */
export const OWN = { inner: 'z', linsys: 'v', outer: 'x' } as const;
export const STREAMS: readonly StreamName[] = ['inner', 'linsys', 'outer'];

/** What a worker thread receives when it starts (structured-cloneable): how to rebuild the problem and solver. */
export interface WorkerStart {
  readonly source: ThreadSource;
}

/** What a worker receives for each run it serves (all structured-cloneable; the buffers are shared, not copied). */
export interface WorkerRun {
  /** The run's number in this process: the worker's messages about the run carry it. */
  readonly id: number;
  readonly seed: number;
  readonly streams: readonly StreamName[];
  /** z, v, x, each two versions (iterate t at parity t & 1). */
  readonly vars: Readonly<Record<'z' | 'v' | 'x', SharedArrayBuffer>>;
  /**
   * Control array of the run (fresh for each run); its generation starts at 0 and is bumped once every worker said
   * `bound`, or earlier to cancel the run (the worker then leaves at its first look).
   */
  readonly ctl: SharedArrayBuffer;
  /** One Float64Array of COUNT_KEYS.length per stream. */
  readonly counts: Readonly<Record<StreamName, SharedArrayBuffer>>;
  /** Length (Int32) then UTF-8 bytes. */
  readonly report: SharedArrayBuffer;
}

/**
 * Messages of a worker to the main thread: `ready` once it has rebuilt the problem and solver (or an `error` of phase
 * 'rebuild': the rebuild failed, and the worker is of no use); for run `run`: `bound` once it has initialized its
 * streams, with the {@link rebuiltIdentity} of what it rebuilt (or an `error` of phase 'bind': their initialization
 * threw, and the worker waits for the next run), and `idle` when it has left the run.
 */
export type WorkerMessage =
  | { readonly ready: true }
  | { readonly bound: true; readonly run: number; readonly identity: string }
  | { readonly idle: true; readonly run: number }
  | { readonly error: string; readonly phase: 'rebuild' }
  | { readonly error: string; readonly phase: 'bind'; readonly run: number };

/**
 * What must agree between the caller's problem and solver and a worker's rebuilt ones for a threaded run: the
 * solver's name and options in effect, the problem's name and sizes. (The data behind them is not compared: a
 * rebuild must return the same problem.)
 */
export function rebuiltIdentity(problem: BilevelProblem, solver: Solver): string {
  const { name, dimZ, dimX, nInner, nOuter } = problem;
  return JSON.stringify({ solver: solver.name, options: solver.options, problem: { name, dimZ, dimX, nInner, nOuter } });
}

/** A stream's part bound to its state: the same RNG split and counting wrapper as `prepare` gives it. */
export interface BoundPart {
  readonly step: (reads: { z: Float64Array; v: Float64Array; x: Float64Array }, n: number, out: Float64Array) => unknown;
  readonly counts: OracleCounts;
  readonly diagnostics?: () => Readonly<Record<string, number>>;
}

/**
 * Initializes only `streams` of the solver, each with the RNG split `prepare` would give it (the seed's generator
 * split once per stream in the order inner, linsys, outer) and its own counter.
 */
export function bindParts(problem: BilevelProblem, solver: Solver, seed: number, streams: readonly StreamName[]): Partial<Record<StreamName, BoundPart>> {
  const rng = Rng.fromSeed(seed);
  const bound: Partial<Record<StreamName, BoundPart>> = {};
  for (const s of STREAMS) {
    const split = rng.split();
    if (!streams.includes(s)) continue;
    const part = solver[s];
    const counts = emptyCounts();
    const state = part.init(countingProblem(problem, counts), split);
    const report = part.diagnostics;
    bound[s] = {
      step: (reads, n, out) => part.step(state, reads, n, out),
      counts,
      ...(report ? { diagnostics: () => report.call(part, state) } : {}),
    };
  }
  return bound;
}

/** Writes a string into a report area. */
export function writeReport(area: SharedArrayBuffer, text: string): void {
  const bytes = new TextEncoder().encode(text).subarray(0, REPORT_BYTES - 4);
  new Uint8Array(area, 4).set(bytes);
  new Int32Array(area, 0, 1)[0] = bytes.length;
}

/** Reads what {@link writeReport} wrote. */
export function readReport(area: SharedArrayBuffer): string {
  const n = new Int32Array(area, 0, 1)[0];
  return new TextDecoder().decode(new Uint8Array(area, 4, n).slice());
}
