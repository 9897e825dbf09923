import type { BilevelProblem, InnerSolution, InnerSolveOptions } from '@bilevel/problems';
import { buildModelProblem } from '../model/model-problem';
import type { LossNames } from '../model/record-loss';
import type { Tape, TapeOptions, TapeVar } from './tape';

/**
 * A sample-wise loss recorded on a {@link Tape}: given the tape and its inputs z (length dimZ) and x (length dimX),
 * return the scalar MEAN of the per-sample losses over the batch (e.g. `t.mean(…)` of batch-length values built from
 * `t.rowsDot(M, z)` and `t.gather(y)`, plus batch-independent terms). Called once, when the problem is built.
 */
export type TapeLoss = (t: Tape, z: TapeVar, x: TapeVar) => TapeVar;

/** What {@link tapeProblem} builds a problem from. */
export interface TapeSpec {
  /** Short identifier. Default `tape`. */
  readonly name?: string;
  /** Dimension of the inner variable z (positive integer). */
  readonly dimZ: number;
  /** Dimension of the outer variable x (positive integer). */
  readonly dimX: number;
  /** Number of inner samples n (positive integer): the rows of the data g gathers. */
  readonly nInner: number;
  /** Number of outer samples m (positive integer): the rows of the data f gathers. */
  readonly nOuter: number;
  /** Inner loss g_B(z, x), recorded once. */
  readonly g: TapeLoss;
  /** Outer loss f_B(z, x), recorded once. */
  readonly f: TapeLoss;
  /**
   * Evaluation-time inner solve replacing the default (L-BFGS on the tape oracles to ‖∇_z G‖ ≤ 1e-10, then Newton–CG).
   * Its `tol`, when left out, is reported as the one asked for (`options.tol`, default 1e-10).
   */
  readonly solveInner?: (x: Float64Array, options?: InnerSolveOptions) => Omit<InnerSolution, 'tol'> & { readonly tol?: number };
  /** Smoothness and strong-convexity constants of G, when known (passed through to solvers that read them). */
  readonly innerConstants?: BilevelProblem['innerConstants'];
  /** Kernels of the tapes' data products, see {@link TapeOptions}. Default `auto`. */
  readonly kernels?: TapeOptions['kernels'];
  /** Facts for logs and summaries. */
  readonly info?: Readonly<Record<string, string | number | boolean>>;
}

/** A {@link BilevelProblem} whose oracles replay float64 tapes, with every optional oracle and shared passes. */
export interface TapeProblem extends BilevelProblem {
  readonly precision: 'float64';
  innerGradX(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void;
  outerHvp(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void;
  outerCross(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void;
  /** outHvp ← ∇²_zz g_B·v and outCross ← ∇²_xz g_B·v from one forward-over-reverse sweep. */
  innerHvpCross(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, outHvp: Float64Array, outCross: Float64Array): void;
  /** Recorded operations of the inner and outer tapes. */
  readonly tapeSizes: { readonly inner: number; readonly outer: number };
}

const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

function validateSpec(spec: TapeSpec): void {
  if (spec === null || typeof spec !== 'object') throw new TypeError(`tapeProblem: spec must be an object, received ${String(spec)}`);
  for (const field of ['dimZ', 'dimX', 'nInner', 'nOuter'] as const) {
    const value = spec[field];
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`tapeProblem: spec.${field} must be a positive integer, received ${describe(value)}`);
  }
  for (const field of ['g', 'f'] as const) {
    if (typeof spec[field] !== 'function') throw new TypeError(`tapeProblem: spec.${field} must be a function (tape, z, x) => scalar, received ${typeof spec[field]}`);
  }
  for (const field of ['solveInner', 'innerConstants'] as const) {
    if (spec[field] !== undefined && typeof spec[field] !== 'function') {
      throw new TypeError(`tapeProblem: spec.${field} must be a function when given, received ${typeof spec[field]}`);
    }
  }
  if (spec.kernels !== undefined && spec.kernels !== 'auto' && spec.kernels !== 'js') {
    throw new RangeError(`tapeProblem: spec.kernels must be "auto" or "js" when given, received ${describe(spec.kernels)}`);
  }
  if (spec.name !== undefined && (typeof spec.name !== 'string' || spec.name === '')) {
    throw new TypeError(`tapeProblem: spec.name must be a non-empty string when given, received ${describe(spec.name)}`);
  }
}

/**
 * Builds a {@link BilevelProblem} from the inner and outer losses recorded on float64 tapes (see {@link Tape}):
 *
 *   ∇_z g_B, ∇_x g_B, ∇_z f_B, ∇_x f_B       reverse sweeps of the recorded g or f,
 *   ∇²_zz g_B·v, ∇²_xz g_B·v                  a forward-over-reverse sweep with tangent (ż, ẋ) = (v, 0)
 *                                             (Pearlmutter, Neural Computation 1994), both from one sweep in
 *                                             `innerHvpCross`; likewise `outerHvp`/`outerCross` on f.
 *
 * Each oracle replays a plan made at build time that runs only what its result reads (activity analysis, see
 * {@link ReplayPlan}): e.g. for a loss plus ½Σe^{x}z², `innerCross` touches the regularizer only and never the data,
 * and a gradient in an input the loss does not depend on is filled with zeros. Oracles check their arguments' lengths
 * and the batch's indices, compute in float64 (`precision: 'float64'`), write into the caller's `out` and allocate
 * nothing. Not re-entrant: one problem's oracles share the tapes' buffers.
 *
 * The flat case of {@link modelProblem} (one parameter tensor z [dimZ], one hyperparameter tensor x [dimX], capacity
 * n, no chunks), which holds the oracle plumbing of both. Evaluation: `solveInnerLbfgs` (L-BFGS on the tape oracles
 * to ‖∇_z G‖ ≤ 1e-10, from zeros) unless `spec.solveInner` is given, and v* by CG on full-batch HVPs to relative
 * residual 1e-12.
 *
 * @example
 *   const p = tapeProblem({
 *     dimZ: d, dimX: 1, nInner: n, nOuter: m,
 *     g: (t, z, x) => t.add(t.mean(t.softplus(t.neg(t.mul(t.gather(yA), t.rowsDot(A, z))))),
 *                           t.scale(t.sum(t.mul(t.exp(x), t.square(z))), 0.5)),
 *     f: (t, z) => t.mean(t.softplus(t.neg(t.mul(t.gather(yB), t.rowsDot(B, z))))),
 *   });
 */
export function tapeProblem(spec: TapeSpec): TapeProblem {
  validateSpec(spec);
  const side = (which: 'inner' | 'outer'): LossNames => ({
    who: 'tapeProblem',
    loss: which === 'inner' ? 'spec.g' : 'spec.f',
    n: which === 'inner' ? 'spec.nInner' : 'spec.nOuter',
    params: 'spec.dimZ',
    hyper: 'spec.dimX',
  });
  return buildModelProblem(
    {
      name: spec.name ?? 'tape',
      params: { z: [spec.dimZ] },
      hyper: { x: [spec.dimX] },
      inner: { n: spec.nInner, loss: (t, p, h) => spec.g(t, p.z, h.x) },
      outer: { n: spec.nOuter, loss: (t, p, h) => spec.f(t, p.z, h.x) },
      // capacity n: a batch never needs chunks
      maxBatch: Math.max(spec.nInner, spec.nOuter),
      init: 'zeros',
      warmStart: false,
      ...(spec.solveInner ? { solveInner: spec.solveInner } : {}),
      ...(spec.innerConstants ? { innerConstants: spec.innerConstants } : {}),
      ...(spec.kernels ? { kernels: spec.kernels } : {}),
    },
    { who: 'tapeProblem', inner: side('inner'), outer: side('outer') },
    { engine: 'float64 tape', ...spec.info },
  );
}
