/**
 * What the iterative linear solvers of this library share: the operator and preconditioner types, the options
 * every method reads (tolerances, iteration cap, ridge, stall window), their validation and the stall test.
 * The solvers themselves are one per file: `cg.ts`, `normal-cg.ts`, `gmres.ts`, `bicgstab.ts`, `neumann-series.ts`.
 */

/** A linear operator given by its action: writes `A·p` into `out` (a buffer distinct from `p`). */
export type Matvec = (p: Float64Array, out: Float64Array) => void;

/** A preconditioner given by its action: writes `M⁻¹·r` into `out` (distinct from `r`), with M ≈ A. */
export type Precond = (r: Float64Array, out: Float64Array) => void;

/**
 * Why a solve stopped: `converged` (the residual test held), `max-iter` (the cap), `stalled` (no decrease of the
 * best residual by the stall factor over the stall window), `breakdown` (a division by a vanishing quantity of the
 * method's recursions: a BiCGSTAB ρ or ω, a singular GMRES Hessenberg matrix), `indefinite` (CG met a curvature
 * pᵀAp ≤ 0), `non-finite` (a NaN or infinite residual), `least-squares` (normal CG: the normal-equation residual
 * vanished while ‖b − A·x‖ did not, so b is not in the range of A and x is a least-squares solution).
 */
export type SolveReason = 'converged' | 'max-iter' | 'stalled' | 'breakdown' | 'indefinite' | 'non-finite' | 'least-squares';

/** Every {@link SolveReason}, in a fixed order: index k is the reason's numeric code in numeric-only diagnostics. */
export const SOLVE_REASONS: readonly SolveReason[] = ['converged', 'max-iter', 'stalled', 'breakdown', 'indefinite', 'non-finite', 'least-squares'];

/** What every iterative solver of this library reports, as data: a solve that stops short is not an exception. */
export interface LinearSolveResult {
  /** Iterations of the method (CG, GMRES Arnoldi and BiCGSTAB steps, Neumann terms beyond the first). */
  readonly iterations: number;
  /** Products with A (and Aᵀ, for normal CG) made by the solve, the ones for initial and final residuals included. */
  readonly matvecs: number;
  /** ‖b − (A + λI)·x‖ at exit (the recursively updated residual, equal to the true one up to rounding). */
  readonly residualNorm: number;
  /** Whether ‖b − (A + λI)·x‖ ≤ max(rtol·‖b‖, atol) at exit. */
  readonly converged: boolean;
  /** True when a stall, a breakdown, an indefinite curvature or a non-finite value ended the solve. */
  readonly stalled: boolean;
  readonly reason: SolveReason;
}

/** Options every iterative solver reads, with their defaults. */
export interface IterativeSolveOptions {
  /** Stop when ‖b − (A + λI)·x‖ ≤ max(rtol·‖b‖, atol). Default 1e-10. */
  readonly rtol?: number;
  /** Absolute floor of the residual test. Default 0. */
  readonly atol?: number;
  /** Iteration cap (an integer ≥ 0). Default 10·n for a system of size n. */
  readonly maxIter?: number;
  /** λ ≥ 0: solve (A + λI)·x = b instead of A·x = b (a ridge, for badly conditioned or singular A). Default 0. */
  readonly ridge?: number;
  /**
   * Stall window W (an integer ≥ 0; 0 turns the test off): the solve stops as `stalled` when the smallest residual
   * seen has not fallen below `stallFactor` times the smallest residual seen W iterations earlier. Default 50
   * (0 for {@link conjugateGradient}, whose callers predate the test).
   */
  readonly stallWindow?: number;
  /** The factor of the stall test, in (0, 1]. Default 0.99: at least 1% progress every `stallWindow` iterations. */
  readonly stallFactor?: number;
}

/** {@link IterativeSolveOptions} with the defaults resolved and the values checked. */
export interface ResolvedSolveOptions {
  readonly rtol: number;
  readonly atol: number;
  readonly maxIter: number;
  readonly ridge: number;
  readonly stallWindow: number;
  readonly stallFactor: number;
}

const COMMON_KEYS = ['rtol', 'atol', 'maxIter', 'ridge', 'stallWindow', 'stallFactor'] as const;

function finiteAtLeastZero(fn: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value >= 0)) {
    throw new RangeError(`${fn}: ${field} must be a finite number ≥ 0, received ${String(value)}`);
  }
  return value;
}

function integerAtLeastZero(fn: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RangeError(`${fn}: ${field} must be an integer ≥ 0, received ${String(value)}`);
  }
  return value;
}

/** A positive finite number, else a RangeError naming the function, the field and the value. */
export function positiveOption(fn: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) {
    throw new RangeError(`${fn}: ${field} must be a positive finite number, received ${String(value)}`);
  }
  return value;
}

/** A positive integer, else a RangeError naming the function, the field and the value. */
export function positiveIntegerOption(fn: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${fn}: ${field} must be a positive integer, received ${String(value)}`);
  }
  return value;
}

/** A function (a preconditioner, an Aᵀ product) or undefined, else a RangeError. */
export function optionalFunction<T>(fn: string, field: string, value: unknown): T | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new RangeError(`${fn}: ${field} must be a function (r, out) => void, received ${typeof value}`);
  }
  return value as T | undefined;
}

/**
 * Checks `options` up front and resolves the common defaults for a system of size `n`: unknown keys (other than the
 * method's own `extraKeys`) and out-of-range values are RangeErrors naming the function, the field, the value and
 * what was expected.
 */
export function resolveSolveOptions(
  fn: string,
  options: IterativeSolveOptions,
  n: number,
  extraKeys: readonly string[] = [],
  defaults: { readonly stallWindow?: number } = {},
): ResolvedSolveOptions {
  if (options === null || typeof options !== 'object') throw new RangeError(`${fn}: options must be an object, received ${String(options)}`);
  for (const key of Object.keys(options)) {
    if (!(COMMON_KEYS as readonly string[]).includes(key) && !extraKeys.includes(key)) {
      throw new RangeError(`${fn}: unknown option "${key}"; expected one of ${[...COMMON_KEYS, ...extraKeys].join(', ')}`);
    }
  }
  const rtol = finiteAtLeastZero(fn, 'rtol', options.rtol ?? 1e-10);
  const atol = finiteAtLeastZero(fn, 'atol', options.atol ?? 0);
  const maxIter = integerAtLeastZero(fn, 'maxIter', options.maxIter ?? 10 * n);
  const ridge = finiteAtLeastZero(fn, 'ridge', options.ridge ?? 0);
  const stallWindow = integerAtLeastZero(fn, 'stallWindow', options.stallWindow ?? defaults.stallWindow ?? 50);
  const stallFactor = options.stallFactor ?? 0.99;
  if (typeof stallFactor !== 'number' || !(stallFactor > 0 && stallFactor <= 1)) {
    throw new RangeError(`${fn}: stallFactor must be a number in (0, 1], received ${String(stallFactor)}`);
  }
  return { rtol, atol, maxIter, ridge, stallWindow, stallFactor };
}

/** Throws unless `b` and `x` have the same length (the system's size). */
export function checkSystem(fn: string, b: Float64Array, x: Float64Array): void {
  if (!(b instanceof Float64Array) || !(x instanceof Float64Array)) throw new RangeError(`${fn}: b and x must be Float64Arrays`);
  if (b.length !== x.length) throw new RangeError(`${fn}: x has length ${x.length}, expected the length of b, ${b.length}`);
}

/** `matvec` itself when λ = 0, else p ↦ A·p + λp (one closure per solve, none per iteration). */
export function withRidge(matvec: Matvec, ridge: number): Matvec {
  if (ridge === 0) return matvec;
  return (p, out) => {
    matvec(p, out);
    for (let i = 0; i < p.length; i++) out[i] += ridge * p[i];
  };
}

/**
 * The stall test over a window of W iterations: keeps the running minimum of the residuals pushed, in a ring of
 * W + 1 entries allocated once, and says "stalled" when that minimum has not fallen below `factor` times its value W
 * pushes earlier. With W = 0 it never fires.
 */
export class StallTest {
  private readonly best: Float64Array;
  private count = 0;
  private min = Infinity;

  constructor(
    private readonly window: number,
    private readonly factor: number,
  ) {
    this.best = new Float64Array(window + 1);
  }

  /** Records the residual of one more iteration; true when the solve has stalled. */
  push(residual: number): boolean {
    if (this.window === 0) return false;
    if (residual < this.min) this.min = residual;
    const w = this.window + 1;
    this.best[this.count % w] = this.min;
    this.count++;
    if (this.count <= this.window) return false;
    return !(this.min < this.factor * this.best[this.count % w]);
  }
}
