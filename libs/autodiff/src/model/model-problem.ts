import { allFinite, bicgstab, conjugateGradient, gmres, normalCg } from '@bilevel/linalg';
import type { Matvec } from '@bilevel/linalg';
import { fullBatch, INNER_TOL, solveInnerLbfgs } from '@bilevel/problems';
import type { BilevelProblem, Hypergradient, InnerSolution, InnerSolveOptions } from '@bilevel/problems';
import type { TapeOptions } from '../tape/tape';
import type { TapeProblem } from '../tape/tape-problem';
import { LossOracles } from './loss-oracles';
import { initialParams } from './model-init';
import type { ModelInit } from './model-init';
import { recordLoss } from './record-loss';
import type { LossNames, ModelLoss } from './record-loss';
import { solveInnerNewtonCg } from './solve-inner-newton-cg';
import { tensorLayout } from './tensor-layout';
import type { TensorLayout, TensorShapes } from './tensor-layout';

/** One side of a model: its n samples and its loss on a batch of them. */
export interface ModelSide<P extends TensorShapes, H extends TensorShapes> {
  /** Number of samples (positive integer): the rows of the data the loss gathers. */
  readonly n: number;
  /** The mean loss over a batch, recorded once (see {@link ModelLoss}). */
  readonly loss: ModelLoss<P, H>;
}

/** The linear solvers of the hypergradient's system by name (the Krylov methods of @bilevel/linalg). */
export type ModelLinearSolverName = 'cg' | 'gmres' | 'bicgstab' | 'normal-cg';

/**
 * A linear solver of one's own, `solve(matvec, b, x)` with x the warm start (zeros) on entry and the solution on exit
 * (the optax/jaxopt convention; any `LinearSolver` of @bilevel/solvers, e.g. `createLinearSolver('neumann', …)`).
 */
export interface ModelLinearSolver {
  readonly name?: string;
  solve(
    matvec: Matvec,
    b: Float64Array,
    x: Float64Array,
    rmatvec?: Matvec,
  ): { readonly iterations: number; readonly matvecs: number; readonly residualNorm?: number; readonly converged?: boolean; readonly reason?: string };
}

/** What {@link modelProblem} builds a problem from. Only `params`, `hyper`, `inner` and `outer` are required. */
export interface ModelSpec<P extends TensorShapes, H extends TensorShapes> {
  /** Short identifier (oracle errors start with it). Default `model`. */
  readonly name?: string;
  /** The parameters z: named shapes, e.g. `{ W1: [64, 32], b1: [32], W2: [32, 10], b2: [10] }`; flat z is their concatenation (see {@link tensorLayout}). */
  readonly params: P;
  /** The hyperparameters x, likewise, e.g. `{ logDecay: [2] }`. */
  readonly hyper: H;
  /** The inner problem G = mean of g_j over n training samples. */
  readonly inner: ModelSide<P, H>;
  /** The outer problem F = mean of f_i over m validation samples. */
  readonly outer: ModelSide<P, H>;
  /**
   * Most samples one replay holds (the length of the batch axis of the tapes' buffers, per tape at most its n). A
   * longer batch (the full batch of an evaluation) runs in chunks of this size, exactly (the oracles are means).
   * Default: min(n, 1024), fewer if a tape's buffers would exceed 256 MiB (measured per sample when the tape is built).
   */
  readonly maxBatch?: number;
  /** The start of z: flat values, `'zeros'`, or seeded Glorot-uniform weights (see {@link ModelInit}). Default `{ kind: 'glorot-uniform', seed: 0 }`. */
  readonly init?: ModelInit;
  /** Each inner solve starts where the previous one ended (true, default) or always at `init` (false). */
  readonly warmStart?: boolean;
  /** Evaluation-time inner solver: `lbfgs` (L-BFGS then Newton–CG polish, default) or `newton-cg` (line-search truncated Newton on HVPs). */
  readonly innerSolver?: 'lbfgs' | 'newton-cg';
  /** Inner solves stop at ‖∇_z G‖ ≤ innerTol. Default 1e-10. */
  readonly innerTol?: number;
  /** Iteration cap of an inner solve. Default: the solver's (5000 L-BFGS iterations, 200 Newton steps). */
  readonly innerMaxIter?: number;
  /** The solver of ∇²_zz G·v = −∇_z F in the hypergradient. Default `cg`. */
  readonly linearSolver?: ModelLinearSolverName | ModelLinearSolver;
  /** Relative residual of the named linear solvers. Default 1e-12. */
  readonly linearTol?: number;
  /** Iteration cap of the named linear solvers. Default 50·dimZ. */
  readonly linearMaxIter?: number;
  /** Replaces the evaluation-time inner solve altogether (its `tol`, left out, is reported as the one asked for). */
  readonly solveInner?: (x: Float64Array, options?: InnerSolveOptions) => Omit<InnerSolution, 'tol'> & { readonly tol?: number };
  /** Smoothness and strong-convexity constants of G, when known (passed through to solvers that read them). */
  readonly innerConstants?: BilevelProblem['innerConstants'];
  /** Kernels of the tapes, see {@link TapeOptions}. Default `auto`. */
  readonly kernels?: TapeOptions['kernels'];
  /** Facts for logs and summaries. */
  readonly info?: Readonly<Record<string, string | number | boolean>>;
}

/** {@link Hypergradient} with what the linear solve of v* reached. */
export interface ModelHypergradient extends Hypergradient {
  readonly linear: { readonly solver: string; readonly iterations: number; readonly matvecs: number; readonly residualNorm?: number; readonly converged?: boolean; readonly reason?: string };
}

/** A {@link BilevelProblem} from a model written on the tape engine: every optional oracle, the layouts of z and x. */
export interface ModelProblem<P extends TensorShapes = TensorShapes, H extends TensorShapes = TensorShapes> extends TapeProblem {
  /** Where each named tensor lies in flat z and x: `layout.params.split(z).W1` is W1's entries (a view). */
  readonly layout: { readonly params: TensorLayout<P>; readonly hyper: TensorLayout<H> };
  /** Samples per replay of the inner and outer tapes (longer batches run in chunks). */
  readonly capacity: { readonly inner: number; readonly outer: number };
  /** The initial z of the spec (a copy): pass it as `z0` to a solver run. */
  initialZ(): Float64Array;
  hypergradient(x: Float64Array, options?: InnerSolveOptions): ModelHypergradient;
}

/** How errors name the builder and its spec fields. */
export interface ModelNames {
  readonly who: string;
  readonly inner: LossNames;
  readonly outer: LossNames;
}

const MODEL_NAMES: ModelNames = {
  who: 'modelProblem',
  inner: { who: 'modelProblem', loss: 'spec.inner.loss', n: 'spec.inner.n', params: 'spec.params', hyper: 'spec.hyper' },
  outer: { who: 'modelProblem', loss: 'spec.outer.loss', n: 'spec.outer.n', params: 'spec.params', hyper: 'spec.hyper' },
};

const SPEC_KEYS = [
  'name', 'params', 'hyper', 'inner', 'outer', 'maxBatch', 'init', 'warmStart', 'innerSolver', 'innerTol', 'innerMaxIter', 'linearSolver', 'linearTol',
  'linearMaxIter', 'solveInner', 'innerConstants', 'kernels', 'info',
] as const;
const LINEAR_SOLVERS: readonly ModelLinearSolverName[] = ['cg', 'gmres', 'bicgstab', 'normal-cg'];
const DEFAULT_LINEAR_TOL = 1e-12;

const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : String(v));

function positiveInteger(field: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)) {
    throw new RangeError(`modelProblem: spec.${field} must be a positive integer, received ${describe(value)}`);
  }
}

function positiveNumber(field: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
    throw new RangeError(`modelProblem: spec.${field} must be a positive finite number, received ${describe(value)}`);
  }
}

function validateSpec(spec: ModelSpec<TensorShapes, TensorShapes>): void {
  if (spec === null || typeof spec !== 'object') throw new TypeError(`modelProblem: spec must be an object { params, hyper, inner, outer, … }, received ${describe(spec)}`);
  for (const key of Object.keys(spec)) {
    if (!(SPEC_KEYS as readonly string[]).includes(key)) throw new RangeError(`modelProblem: unknown field spec.${key}; expected one of ${SPEC_KEYS.join(', ')}`);
  }
  for (const side of ['inner', 'outer'] as const) {
    const s = spec[side];
    if (s === null || typeof s !== 'object') throw new TypeError(`modelProblem: spec.${side} must be an object { n, loss }, received ${describe(s)}`);
    if (s.n === undefined) throw new RangeError(`modelProblem: spec.${side}.n is required (the number of ${side} samples)`);
    positiveInteger(`${side}.n`, s.n);
    if (typeof s.loss !== 'function') throw new TypeError(`modelProblem: spec.${side}.loss must be a function (t, params, hyper) => scalar, received ${describe(s.loss)}`);
  }
  positiveInteger('maxBatch', spec.maxBatch);
  positiveInteger('innerMaxIter', spec.innerMaxIter);
  positiveInteger('linearMaxIter', spec.linearMaxIter);
  positiveNumber('innerTol', spec.innerTol);
  positiveNumber('linearTol', spec.linearTol);
  if (spec.name !== undefined && (typeof spec.name !== 'string' || spec.name === '')) throw new TypeError(`modelProblem: spec.name must be a non-empty string when given, received ${describe(spec.name)}`);
  if (spec.warmStart !== undefined && typeof spec.warmStart !== 'boolean') throw new TypeError(`modelProblem: spec.warmStart must be a boolean, received ${describe(spec.warmStart)}`);
  if (spec.innerSolver !== undefined && spec.innerSolver !== 'lbfgs' && spec.innerSolver !== 'newton-cg') {
    throw new RangeError(`modelProblem: spec.innerSolver must be "lbfgs" or "newton-cg", received ${describe(spec.innerSolver)}`);
  }
  const ls = spec.linearSolver;
  if (ls !== undefined && !(typeof ls === 'string' && (LINEAR_SOLVERS as readonly string[]).includes(ls)) && !(typeof ls === 'object' && ls !== null && typeof ls.solve === 'function')) {
    throw new RangeError(`modelProblem: spec.linearSolver must be one of ${LINEAR_SOLVERS.join(', ')} or an object with solve(matvec, b, x), received ${describe(ls)}`);
  }
  if (spec.kernels !== undefined && spec.kernels !== 'auto' && spec.kernels !== 'js') throw new RangeError(`modelProblem: spec.kernels must be "auto" or "js" when given, received ${describe(spec.kernels)}`);
  for (const field of ['solveInner', 'innerConstants'] as const) {
    if (spec[field] !== undefined && typeof spec[field] !== 'function') throw new TypeError(`modelProblem: spec.${field} must be a function when given, received ${describe(spec[field])}`);
  }
  if (spec.info !== undefined && (spec.info === null || typeof spec.info !== 'object')) throw new TypeError(`modelProblem: spec.info must be a record of facts when given, received ${describe(spec.info)}`);
}

/** The named linear solver as a function of (matvec, b, x). */
function namedSolver(name: ModelLinearSolverName, rtol: number, maxIter: number): ModelLinearSolver {
  const options = { rtol, atol: 1e-300, maxIter };
  switch (name) {
    case 'cg':
      return { name, solve: (A, b, x) => conjugateGradient(A, b, x, options) };
    case 'gmres':
      return { name, solve: (A, b, x) => gmres(A, b, x, options) };
    case 'bicgstab':
      return { name, solve: (A, b, x) => bicgstab(A, b, x, options) };
    case 'normal-cg':
      return { name, solve: (A, b, x, At) => normalCg(A, At ?? A, b, x, options) };
  }
}

/**
 * The problem of a validated spec, with the names errors use: {@link modelProblem}'s, or `tapeProblem`'s for the
 * flat case it builds on this. One implementation of the oracle plumbing for both.
 */
export function buildModelProblem<P extends TensorShapes, H extends TensorShapes>(
  spec: ModelSpec<P, H>,
  names: ModelNames,
  info: Readonly<Record<string, string | number | boolean>>,
): ModelProblem<P, H> {
  const name = spec.name ?? 'model';
  const params = tensorLayout(spec.params, names.who, names.inner.params);
  const hyper = tensorLayout(spec.hyper, names.who, names.inner.hyper);
  const init = initialParams(params, spec.init ?? { kind: 'glorot-uniform', seed: 0 }, names.who, 'spec.init');
  const dimZ = params.size;
  const dimX = hyper.size;
  const nInner = spec.inner.n;
  const nOuter = spec.outer.n;
  const recordOptions = { maxBatch: spec.maxBatch, kernels: spec.kernels };
  const gLoss = recordLoss(spec.inner.loss as ModelLoss<TensorShapes, TensorShapes>, nInner, params, hyper, names.inner, recordOptions);
  const fLoss = recordLoss(spec.outer.loss as ModelLoss<TensorShapes, TensorShapes>, nOuter, params, hyper, names.outer, recordOptions);
  const G = new LossOracles(gLoss, name, params, hyper);
  const F = new LossOracles(fLoss, name, params, hyper);

  const warmStart = spec.warmStart ?? true;
  const warm = Float64Array.from(init);
  const innerTol = spec.innerTol ?? INNER_TOL;
  const linear = typeof spec.linearSolver === 'object' ? spec.linearSolver : namedSolver(spec.linearSolver ?? 'cg', spec.linearTol ?? DEFAULT_LINEAR_TOL, spec.linearMaxIter ?? 50 * dimZ);

  const problem: ModelProblem<P, H> = {
    name,
    dimZ,
    dimX,
    nInner,
    nOuter,
    precision: 'float64',
    fullInner: fullBatch(nInner),
    fullOuter: fullBatch(nOuter),
    info,
    tapeSizes: { inner: gLoss.tape.size, outer: fLoss.tape.size },
    layout: { params, hyper },
    capacity: { inner: gLoss.capacity, outer: fLoss.capacity },
    initialZ: () => Float64Array.from(init),
    innerValue: (z, x, batch) => G.value('innerValue', z, x, batch),
    outerValue: (z, x, batch) => F.value('outerValue', z, x, batch),
    innerGradZ: (z, x, batch, out) => G.grad('innerGradZ', 0, z, x, batch, out),
    innerGradX: (z, x, batch, out) => G.grad('innerGradX', 1, z, x, batch, out),
    outerGradZ: (z, x, batch, out) => F.grad('outerGradZ', 0, z, x, batch, out),
    outerGradX: (z, x, batch, out) => F.grad('outerGradX', 1, z, x, batch, out),
    innerHvp: (z, x, v, batch, out) => G.second('innerHvp', 0, z, x, v, batch, out),
    innerCross: (z, x, v, batch, out) => G.second('innerCross', 1, z, x, v, batch, out),
    outerHvp: (z, x, v, batch, out) => F.second('outerHvp', 0, z, x, v, batch, out),
    outerCross: (z, x, v, batch, out) => F.second('outerCross', 1, z, x, v, batch, out),
    innerHvpCross: (z, x, v, batch, outHvp, outCross) => G.both('innerHvpCross', z, x, v, batch, outHvp, outCross),
    solveInner(x: Float64Array, options: InnerSolveOptions = {}): InnerSolution {
      if (spec.solveInner) return { tol: options.tol ?? innerTol, ...spec.solveInner(x, options) };
      const o: InnerSolveOptions = { tol: options.tol ?? innerTol, maxIter: options.maxIter ?? spec.innerMaxIter, z0: options.z0 ?? (warmStart ? warm : init) };
      const res = spec.innerSolver === 'newton-cg' ? solveInnerNewtonCg(problem, x, o) : solveInnerLbfgs(problem, x, o);
      if (warmStart && allFinite(res.z)) warm.set(res.z);
      return res;
    },
    hypergradient(x: Float64Array, options: InnerSolveOptions = {}): ModelHypergradient {
      const inner = problem.solveInner(x, options);
      const { z } = inner;
      const b = new Float64Array(dimZ);
      problem.outerGradZ(z, x, problem.fullOuter, b);
      for (let i = 0; i < dimZ; i++) b[i] = -b[i];
      const v = new Float64Array(dimZ);
      const hvp = (p: Float64Array, out: Float64Array) => problem.innerHvp(z, x, p, problem.fullInner, out);
      const res = linear.solve(hvp, b, v, hvp);
      const grad = new Float64Array(dimX);
      const cross = new Float64Array(dimX);
      problem.outerGradX(z, x, problem.fullOuter, grad);
      problem.innerCross(z, x, v, problem.fullInner, cross);
      for (let k = 0; k < dimX; k++) grad[k] += cross[k];
      return {
        value: problem.outerValue(z, x, problem.fullOuter),
        grad,
        z,
        v,
        innerGradNorm: inner.gradNorm,
        innerConverged: inner.converged,
        innerTol: inner.tol,
        linear: {
          solver: linear.name ?? 'custom',
          iterations: res.iterations,
          matvecs: res.matvecs,
          ...(res.residualNorm !== undefined ? { residualNorm: res.residualNorm } : {}),
          ...(res.converged !== undefined ? { converged: res.converged } : {}),
          ...(res.reason !== undefined ? { reason: res.reason } : {}),
        },
      };
    },
  };
  if (spec.innerConstants) {
    const constants = spec.innerConstants;
    (problem as { innerConstants?: BilevelProblem['innerConstants'] }).innerConstants = (x) => constants(x);
  }
  return problem;
}

const describeShapes = (layout: TensorLayout) => layout.names.map((n, k) => `${n} [${layout.shapes[k].join(', ')}]`).join(', ');

/**
 * A {@link BilevelProblem} from a model of one's own, written with the float64 tape engine ({@link Tape}):
 *
 *   G(z, x) = (1/n) Σ_j g_j(z, x)   `spec.inner.loss` on a batch of training samples,
 *   F(z, x) = (1/m) Σ_i f_i(z, x)   `spec.outer.loss` on a batch of validation samples,
 *
 * with z the parameters and x the hyperparameters as named tensors (`spec.params`, `spec.hyper`). Flat z is the
 * concatenation of the parameter tensors in declared order, each row-major; likewise x (see {@link tensorLayout}:
 * `problem.layout.params.split(z)` gives the tensors by name, `join` the reverse). Each loss is recorded once on its
 * own tape and planned for every oracle (value, ∇_z, ∇_x, ∇²_zz·v, ∇²_xz·v and both of these from one
 * forward-over-reverse sweep, `innerHvpCross`), all float64, allocation-free per call, writing into the caller's
 * buffers; a batch longer than the capacity (`maxBatch`) runs in chunks whose means are combined exactly. An HVP
 * costs about two to four gradients (one forward-over-reverse sweep; see `expectedCost`).
 *
 * Evaluation: `solveInner(x)` by L-BFGS (then Newton–CG polish) or Newton–CG on HVPs to ‖∇_z G‖ ≤ innerTol, started
 * at `init` and, with `warmStart` (default), at the previous solution: for a non-convex model (a neural network)
 * z*(x) is then the local minimizer the solver reaches from there, not a global one, and h(x) = F(z*(x), x) depends
 * on that start. `hypergradient(x)` solves ∇²_zz G·v = −∇_z F by CG (or `linearSolver`) on full-batch HVPs (at a
 * local minimizer the Hessian is positive semi-definite) and returns ∇h = ∇_x F + ∇²_xz G·v with the solves'
 * diagnostics.
 *
 * Errors name the spec field and what was expected: unknown fields, bad shapes, a loss reading an undeclared tensor,
 * operands that do not match (e.g. W1 [12, 16] against data of 13 columns), a loss that is not a scalar, data whose
 * number of rows is not n; the oracles name the argument of the wrong length and a sample index out of range.
 *
 * @example an MLP with one weight decay per layer (x = log decays), data A [n, 13], labels y:
 *   const p = modelProblem({
 *     params: { W1: [13, 16], b1: [16], W2: [16, 3], b2: [3] },
 *     hyper: { logDecay: [2] },
 *     inner: { n, loss: (t, { W1, b1, W2, b2 }, { logDecay }) => {
 *       const logits = t.linear(t.relu(t.linear(t.gatherRows(A), W1, b1)), W2, b2);
 *       const decay = t.dot(t.exp(logDecay), t.concat([t.reshape(t.sum(t.square(W1)), [1]), t.reshape(t.sum(t.square(W2)), [1])], 0));
 *       return t.add(t.mean(t.softmaxCrossEntropy(logits, t.gatherLabels(y))), t.scale(decay, 0.5));
 *     } },
 *     outer: { n: m, loss: (t, { W1, b1, W2, b2 }) => … the same cross-entropy on the validation rows … },
 *   });
 */
export function modelProblem<P extends TensorShapes, H extends TensorShapes>(spec: ModelSpec<P, H>): ModelProblem<P, H> {
  validateSpec(spec as unknown as ModelSpec<TensorShapes, TensorShapes>);
  const params = tensorLayout(spec.params, 'modelProblem', 'spec.params');
  const hyper = tensorLayout(spec.hyper, 'modelProblem', 'spec.hyper');
  return buildModelProblem(spec, MODEL_NAMES, { engine: 'float64 tape', params: describeShapes(params), hyper: describeShapes(hyper), ...spec.info });
}
