/**
 * What the batched fixed-point solvers ({@link BatchedBroyden}, {@link BatchedAnderson}) share: the map type, the
 * options, the per-sample convergence test and the result. A batch holds B independent problems z_b = f_b(z_b) of
 * d unknowns each, stored as one row-major [B, d] array; one call of the map evaluates all B at once (one replay of
 * a batched layer), and each sample has its own iterate, its own quasi-Newton or mixing history and its own test.
 */

/** A fixed-point map on a batch: writes f(z) into `out`, row b being f_b(z_b) (B rows of d numbers; out ≠ z). */
export type BatchMap = (z: Float64Array, out: Float64Array) => void;

/** Options of a batched fixed-point solve, with their defaults. */
export interface FixedPointSolveOptions {
  /** Relative tolerance: sample b has converged when ‖z_b − f_b(z_b)‖ ≤ max(tol·‖f_b(z_b)‖, atol). Default 1e-6. */
  readonly tol?: number;
  /** Absolute floor of the test. Default 0. */
  readonly atol?: number;
  /** Iterations (map evaluations after the first). Default 30. */
  readonly maxIter?: number;
  /**
   * A sample whose residual ‖z_b − f_b(z_b)‖ grows beyond `divergence` times its first one, or turns non-finite, is
   * declared diverged and frozen (it is not iterated on to the budget). Default 1e4.
   */
  readonly divergence?: number;
}

/** Per-sample outcome codes of a solve (in {@link FixedPointResult.status}). */
export const SAMPLE_STATUS = { converged: 0, maxIter: 1, diverged: 2 } as const;

/** What a batched fixed-point solve reached; non-convergence is data, never an exception. */
export interface FixedPointResult {
  /** Every sample converged. */
  readonly converged: boolean;
  /** Iterations made (map evaluations after the first). */
  readonly iterations: number;
  /** Calls of the map, the first included. */
  readonly evaluations: number;
  /** Samples that converged, reached the cap, diverged. */
  readonly convergedCount: number;
  readonly maxIterCount: number;
  readonly divergedCount: number;
  /** Largest relative residual ‖z_b − f_b(z_b)‖/‖f_b(z_b)‖ over the samples at exit (Infinity when one is not finite). */
  readonly maxResidual: number;
  /** Per sample: {@link SAMPLE_STATUS} code. */
  readonly status: Int8Array;
  /** Per sample: the iteration at which it stopped (converged or diverged), or the cap. */
  readonly sampleIterations: Int32Array;
}

/** Options resolved and checked. */
export interface ResolvedFixedPointOptions {
  readonly tol: number;
  readonly atol: number;
  readonly maxIter: number;
  readonly divergence: number;
}

const KEYS = new Set(['tol', 'atol', 'maxIter', 'divergence']);

/** Validates {@link FixedPointSolveOptions} (errors name the function, the field and the value). */
export function resolveFixedPointOptions(fn: string, options: FixedPointSolveOptions): ResolvedFixedPointOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: options must be an object, received ${String(options)}`);
  for (const k of Object.keys(options)) if (!KEYS.has(k)) throw new RangeError(`${fn}: unknown option "${k}" (expected one of ${[...KEYS].join(', ')})`);
  const tol = options.tol ?? 1e-6;
  const atol = options.atol ?? 0;
  const maxIter = options.maxIter ?? 30;
  const divergence = options.divergence ?? 1e4;
  if (!(typeof tol === 'number' && tol >= 0 && Number.isFinite(tol))) throw new RangeError(`${fn}: tol must be a finite number ≥ 0, received ${String(tol)}`);
  if (!(typeof atol === 'number' && atol >= 0 && Number.isFinite(atol))) throw new RangeError(`${fn}: atol must be a finite number ≥ 0, received ${String(atol)}`);
  if (!(Number.isInteger(maxIter) && maxIter >= 0)) throw new RangeError(`${fn}: maxIter must be an integer ≥ 0, received ${String(maxIter)}`);
  if (!(typeof divergence === 'number' && divergence > 1)) throw new RangeError(`${fn}: divergence must be a number > 1, received ${String(divergence)}`);
  return { tol, atol, maxIter, divergence };
}

/** Checks the batch dimensions of a solver's constructor. */
export function checkBatchDims(fn: string, batch: number, dim: number): void {
  if (!(Number.isInteger(batch) && batch >= 1)) throw new RangeError(`${fn}: batch must be a positive integer, received ${String(batch)}`);
  if (!(Number.isInteger(dim) && dim >= 1)) throw new RangeError(`${fn}: dim must be a positive integer, received ${String(dim)}`);
}

/** Checks an array of B·d numbers. */
export function checkBatchArray(fn: string, field: string, a: Float64Array, length: number): void {
  if (!(a instanceof Float64Array) || a.length !== length) {
    throw new RangeError(`${fn}: ${field} must be a Float64Array of batch × dim = ${length} numbers, received ${a instanceof Float64Array ? `length ${a.length}` : typeof a}`);
  }
}

/** ‖a[o..o+d)‖² (plain sum; NaN and ∞ propagate). */
export function rowNorm2(a: Float64Array, o: number, d: number): number {
  let s = 0;
  for (let i = o; i < o + d; i++) s += a[i] * a[i];
  return s;
}

/**
 * Per-sample bookkeeping of a solve: the first residual, the status and stop iteration of each sample, and the
 * summary {@link FixedPointResult}. `active[b]` is 1 while sample b is iterated on.
 */
export class SampleTracker {
  readonly status: Int8Array;
  readonly stopped: Int32Array;
  readonly active: Uint8Array;
  readonly residual: Float64Array;
  private readonly first: Float64Array;

  constructor(
    readonly batch: number,
    private readonly opts: ResolvedFixedPointOptions,
  ) {
    this.status = new Int8Array(batch).fill(SAMPLE_STATUS.maxIter);
    this.stopped = new Int32Array(batch);
    this.active = new Uint8Array(batch).fill(1);
    this.residual = new Float64Array(batch);
    this.first = new Float64Array(batch);
  }

  /**
   * Records sample b's residual norm r = ‖z_b − f_b‖ and ‖f_b‖ at iteration `it`; stops it when it converged or
   * diverged. Returns whether it is still active.
   */
  check(b: number, r: number, fNorm: number, it: number): boolean {
    const rel = fNorm > 0 ? r / fNorm : r === 0 ? 0 : Infinity;
    this.residual[b] = Number.isFinite(r) ? rel : Infinity;
    if (it === 0) this.first[b] = r;
    if (!Number.isFinite(r) || (it > 0 && r > this.opts.divergence * Math.max(this.first[b], Number.MIN_VALUE))) {
      this.stop(b, SAMPLE_STATUS.diverged, it);
      return false;
    }
    if (r <= Math.max(this.opts.tol * fNorm, this.opts.atol)) {
      this.stop(b, SAMPLE_STATUS.converged, it);
      return false;
    }
    this.stopped[b] = it;
    return true;
  }

  private stop(b: number, code: number, it: number): void {
    this.status[b] = code;
    this.stopped[b] = it;
    this.active[b] = 0;
  }

  anyActive(): boolean {
    for (let b = 0; b < this.batch; b++) if (this.active[b]) return true;
    return false;
  }

  result(iterations: number, evaluations: number): FixedPointResult {
    let c = 0;
    let m = 0;
    let dv = 0;
    let worst = 0;
    for (let b = 0; b < this.batch; b++) {
      if (this.status[b] === SAMPLE_STATUS.converged) c++;
      else if (this.status[b] === SAMPLE_STATUS.diverged) dv++;
      else m++;
      if (!(this.residual[b] <= worst)) worst = this.residual[b];
    }
    return {
      converged: c === this.batch,
      iterations,
      evaluations,
      convergedCount: c,
      maxIterCount: m,
      divergedCount: dv,
      maxResidual: Number.isNaN(worst) ? Infinity : worst,
      status: Int8Array.from(this.status),
      sampleIterations: Int32Array.from(this.stopped),
    };
  }
}
