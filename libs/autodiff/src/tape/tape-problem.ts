import { fullBatch, hypergradientCg, INNER_TOL, solveInnerLbfgs } from '@bilevel/problems';
import type { BilevelProblem, Hypergradient, InnerSolution, InnerSolveOptions } from '@bilevel/problems';
import { Tape } from './tape';
import type { TapeOptions, TapeVar } from './tape';

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

/** One loss recorded and planned: its inputs and the plans of every oracle. */
function record(spec: TapeSpec, which: 'g' | 'f', samples: number) {
  const t = new Tape({ kernels: spec.kernels ?? 'auto' });
  const z = t.input(spec.dimZ);
  const x = t.input(spec.dimX);
  const s = spec[which](t, z, x);
  t.output(s);
  if (t.samples !== null && t.samples !== samples) {
    const field = which === 'g' ? 'nInner' : 'nOuter';
    throw new RangeError(`tapeProblem: spec.${which} gathers data of ${t.samples} samples but spec.${field} is ${samples}`);
  }
  return {
    size: t.size,
    samples,
    z,
    x,
    out: t.out as TapeVar,
    value: t.plan({ order: 0 }),
    gradZ: t.plan({ order: 1, wrt: [z] }),
    gradX: t.plan({ order: 1, wrt: [x] }),
    hvp: t.plan({ order: 2, wrt: [z], direction: [z] }),
    cross: t.plan({ order: 2, wrt: [x], direction: [z] }),
    hvpCross: t.plan({ order: 2, wrt: [z, x], direction: [z] }),
  };
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
 * Evaluation: `solveInnerLbfgs` (L-BFGS on the tape oracles to ‖∇_z G‖ ≤ 1e-10) unless `spec.solveInner` is given,
 * and `hypergradientCg` (v* by CG on full-batch HVPs), the generic routes of @bilevel/problems.
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
  const { dimZ, dimX, nInner, nOuter } = spec;
  const name = spec.name ?? 'tape';
  const G = record(spec, 'g', nInner);
  const F = record(spec, 'f', nOuter);
  type Recorded = typeof G;

  const fail = (oracle: string, what: string): never => {
    throw new RangeError(`${name}.${oracle}: ${what}`);
  };
  const vec = (oracle: string, arg: string, a: Float64Array, n: number) => {
    if (!(a instanceof Float64Array) || a.length !== n) {
      fail(oracle, `${arg} must be a Float64Array of length ${n}, received ${a instanceof Float64Array ? `length ${a.length}` : typeof a}`);
    }
  };
  const load = (L: Recorded, oracle: string, z: Float64Array, x: Float64Array, batch: Int32Array) => {
    vec(oracle, 'z', z, dimZ);
    vec(oracle, 'x', x, dimX);
    if (!(batch instanceof Int32Array) || batch.length === 0 || batch.length > L.samples) {
      fail(oracle, `batch must be an Int32Array of 1..${L.samples} sample indices, received ${batch instanceof Int32Array ? `length ${batch.length}` : typeof batch}`);
    }
    for (let k = 0; k < batch.length; k++) {
      const j = batch[k];
      if (j < 0 || j >= L.samples) fail(oracle, `batch[${k}] = ${j} is outside 0..${L.samples - 1}`);
    }
    L.z.val.set(z);
    L.x.val.set(x);
  };
  const value = (L: Recorded, oracle: string, z: Float64Array, x: Float64Array, batch: Int32Array) => {
    load(L, oracle, z, x, batch);
    L.value.run(batch);
    return L.out.val[0];
  };
  const gradient = (L: Recorded, oracle: string, wrt: 'z' | 'x', z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array) => {
    vec(oracle, 'out', out, wrt === 'z' ? dimZ : dimX);
    load(L, oracle, z, x, batch);
    (wrt === 'z' ? L.gradZ : L.gradX).run(batch);
    out.set(L[wrt].bar);
  };
  const second = (L: Recorded, oracle: string, which: 'hvp' | 'cross', z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array) => {
    vec(oracle, 'v', v, dimZ);
    vec(oracle, 'out', out, which === 'hvp' ? dimZ : dimX);
    load(L, oracle, z, x, batch);
    L.z.dot.set(v);
    L[which].run(batch);
    out.set(which === 'hvp' ? L.z.bdot : L.x.bdot);
  };
  const both = (L: Recorded, oracle: string, z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, outHvp: Float64Array, outCross: Float64Array) => {
    vec(oracle, 'v', v, dimZ);
    vec(oracle, 'outHvp', outHvp, dimZ);
    vec(oracle, 'outCross', outCross, dimX);
    load(L, oracle, z, x, batch);
    L.z.dot.set(v);
    L.hvpCross.run(batch);
    outHvp.set(L.z.bdot);
    outCross.set(L.x.bdot);
  };

  const problem: TapeProblem = {
    name,
    dimZ,
    dimX,
    nInner,
    nOuter,
    precision: 'float64',
    fullInner: fullBatch(nInner),
    fullOuter: fullBatch(nOuter),
    info: { engine: 'float64 tape', ...spec.info },
    tapeSizes: { inner: G.size, outer: F.size },
    innerValue: (z, x, batch) => value(G, 'innerValue', z, x, batch),
    outerValue: (z, x, batch) => value(F, 'outerValue', z, x, batch),
    innerGradZ: (z, x, batch, out) => gradient(G, 'innerGradZ', 'z', z, x, batch, out),
    innerGradX: (z, x, batch, out) => gradient(G, 'innerGradX', 'x', z, x, batch, out),
    outerGradZ: (z, x, batch, out) => gradient(F, 'outerGradZ', 'z', z, x, batch, out),
    outerGradX: (z, x, batch, out) => gradient(F, 'outerGradX', 'x', z, x, batch, out),
    innerHvp: (z, x, v, batch, out) => second(G, 'innerHvp', 'hvp', z, x, v, batch, out),
    innerCross: (z, x, v, batch, out) => second(G, 'innerCross', 'cross', z, x, v, batch, out),
    outerHvp: (z, x, v, batch, out) => second(F, 'outerHvp', 'hvp', z, x, v, batch, out),
    outerCross: (z, x, v, batch, out) => second(F, 'outerCross', 'cross', z, x, v, batch, out),
    innerHvpCross: (z, x, v, batch, outHvp, outCross) => both(G, 'innerHvpCross', z, x, v, batch, outHvp, outCross),
    solveInner(x: Float64Array, options: InnerSolveOptions = {}): InnerSolution {
      return spec.solveInner ? { tol: options.tol ?? INNER_TOL, ...spec.solveInner(x, options) } : solveInnerLbfgs(problem, x, options);
    },
    hypergradient(x: Float64Array, options: InnerSolveOptions = {}): Hypergradient {
      return hypergradientCg(problem, x, (xx, o) => problem.solveInner(xx, o), options);
    },
  };
  if (spec.innerConstants) {
    const constants = spec.innerConstants;
    (problem as { innerConstants?: BilevelProblem['innerConstants'] }).innerConstants = (x) => constants(x);
  }
  return problem;
}
